"""External ids: stable, opaque, URL-safe, one per email however many mailboxes saw it."""

from __future__ import annotations

import datetime
import string

from hypothesis import given
from hypothesis import strategies as st

from sync.salesforce import external_ids
from sync.salesforce.external_ids import (
    EXTERNAL_ID_LENGTH,
    company_external_id,
    contact_external_id,
    email_external_id,
    help_offer_external_id,
    interaction_external_id,
    is_external_id,
    kind_of,
    meeting_external_id,
    normalize_message_id,
)

URL_SAFE = set(string.ascii_lowercase + string.digits + "-")


def test_a_company_gets_the_same_value_every_time():
    first = company_external_id(organization_id=1, company_id=42)
    assert first == company_external_id(organization_id=1, company_id=42)
    assert first == "rl-co-" + first.split("-")[2]


def test_values_are_pinned_so_a_change_to_the_scheme_fails_loudly():
    # Records already in Salesforce carry these: the scheme must never change.
    assert company_external_id(organization_id=1, company_id=3) == "rl-co-908799b877712463bd65764b4f693a15"
    assert contact_external_id(organization_id=1, contact_id=7) == "rl-ct-d3381767a8368f8f067789090b1b4420"


def test_kinds_and_organizations_never_share_a_value():
    values = {
        company_external_id(organization_id=1, company_id=5),
        contact_external_id(organization_id=1, contact_id=5),
        help_offer_external_id(organization_id=1, help_offer_id=5),
        interaction_external_id(organization_id=1, interaction_id=5, kind="call"),
        interaction_external_id(organization_id=1, interaction_id=5, kind="note"),
        interaction_external_id(organization_id=1, interaction_id=5, kind="email"),
        interaction_external_id(organization_id=1, interaction_id=5, kind="meeting"),
        company_external_id(organization_id=2, company_id=5),
    }
    assert len(values) == 8


def test_one_email_in_two_mailboxes_is_one_value_whatever_the_brackets_spacing_or_domain_case():
    seen_by_rita = email_external_id(organization_id=1, message_id="<CAF+abc.123@Mail.Example.COM>")
    seen_by_tom = email_external_id(organization_id=1, message_id="  CAF+abc.123@mail.example.com ")
    assert seen_by_rita == seen_by_tom
    assert kind_of(seen_by_rita) == "em"


def test_the_local_part_of_a_message_id_stays_case_sensitive():
    assert normalize_message_id("<ABC@X.org>") == "ABC@x.org"
    assert email_external_id(organization_id=1, message_id="<ABC@x.org>") != email_external_id(
        organization_id=1, message_id="<abc@x.org>"
    )


def test_the_message_id_does_not_leak_into_the_value():
    value = email_external_id(organization_id=1, message_id="<secret-deal.rita@acme.example>")
    assert "acme" not in value and "rita" not in value


def test_an_email_stored_with_its_message_id_uses_the_message_id_not_the_row():
    by_row = interaction_external_id(organization_id=1, interaction_id=10, kind="email", external_id="<m1@x.org>")
    other_row = interaction_external_id(organization_id=1, interaction_id=99, kind="email", external_id="<m1@x.org>")
    assert by_row == other_row == email_external_id(organization_id=1, message_id="m1@x.org")


def test_an_email_logged_by_hand_uses_its_interaction_id():
    one = interaction_external_id(organization_id=1, interaction_id=10, kind="email")
    two = interaction_external_id(organization_id=1, interaction_id=11, kind="email")
    assert one != two and kind_of(one) == "em"


def test_a_meeting_occurrence_is_its_uid_and_recurrence_id_as_the_capture_stores_them():
    occurrence = datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC)
    built = meeting_external_id(organization_id=1, uid="weekly@cal.example", recurrence_id=occurrence)
    stored = interaction_external_id(
        organization_id=1, interaction_id=3, kind="meeting", external_id="weekly@cal.example|2024-05-06T09:00:00Z"
    )
    assert built == stored
    next_week = meeting_external_id(
        organization_id=1, uid="weekly@cal.example", recurrence_id=occurrence + datetime.timedelta(days=7)
    )
    assert next_week != built
    assert meeting_external_id(organization_id=1, uid="weekly@cal.example") != built


def test_a_recurrence_id_in_another_zone_is_the_same_occurrence():
    utc = datetime.datetime(2024, 5, 6, 9, 0, tzinfo=datetime.UTC)
    paris = utc.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    assert meeting_external_id(organization_id=1, uid="u", recurrence_id=utc) == meeting_external_id(
        organization_id=1, uid="u", recurrence_id=paris
    )


def test_kind_of_rejects_what_is_not_ours():
    assert kind_of("00Q5e000001abcdEAA") is None
    assert kind_of("rl-zz-" + "0" * 32) is None
    assert not is_external_id("")


@given(
    organization_id=st.integers(min_value=1, max_value=2**31),
    message_id=st.text(min_size=1, max_size=2000).filter(lambda s: normalize_message_id(s)),
)
def test_every_email_value_is_url_safe_short_and_recognisable(organization_id, message_id):
    value = email_external_id(organization_id=organization_id, message_id=message_id)
    assert set(value) <= URL_SAFE
    assert len(value) == EXTERNAL_ID_LENGTH <= 255
    assert kind_of(value) == external_ids.KIND_EMAIL
    assert value == email_external_id(organization_id=organization_id, message_id=message_id)


@given(
    organization_id=st.integers(min_value=1, max_value=2**31),
    row_id=st.integers(min_value=1, max_value=2**63 - 1),
    kind=st.sampled_from(["email", "meeting", "call", "note"]),
    stored=st.text(max_size=998),
)
def test_every_interaction_value_is_url_safe(organization_id, row_id, kind, stored):
    value = interaction_external_id(
        organization_id=organization_id, interaction_id=row_id, kind=kind, external_id=stored
    )
    assert set(value) <= URL_SAFE
    assert is_external_id(value)
