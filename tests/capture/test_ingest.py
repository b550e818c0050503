"""capture_ingest: dedupe, privacy, skips, meetings, cursor atomicity, query budget, isolation."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from activities.capture.ingest import (
    capture_context_for,
    capture_ingest,
    fallback_external_id,
)
from activities.capture.items import Attachment
from activities.models import (
    CaptureAccount,
    CaptureCursor,
    CaptureKind,
    CapturePolicy,
    CaptureSighting,
    Exclusion,
    ExclusionKind,
    Interaction,
    Participant,
    SkippedMessage,
)
from contacts.models import Contact
from tests.capture.ingest_helpers import WHEN, email, meeting
from tests.factories import ContactFactory


def ingest(membership, items, *, privacy="full", source="imap", **kwargs):
    return capture_ingest(
        organization=membership.organization,
        user=membership.user,
        source=source,
        items=items,
        privacy_level=privacy,
        visibility="team",
        **kwargs,
    )


@pytest.fixture
def account(world):
    return CaptureAccount.objects.create(
        organization=world.org,
        user=world.rep.user,
        kind=CaptureKind.IMAP,
        name="Work",
        host="imap.acme.example",
        username="rita.rep@acme-mail.example",
    )


# --- context ---------------------------------------------------------------------


def test_context_has_the_reps_addresses_domains_exclusions_and_limit(world, account):
    Exclusion.objects.create(organization=world.org, kind=ExclusionKind.DOMAIN, value="spam.example")
    Exclusion.objects.create(
        organization=world.org, user=world.rep.user, kind=ExclusionKind.EMAIL, value="ex@partner.example"
    )
    Exclusion.objects.create(
        organization=world.org, user=world.teammate.user, kind=ExclusionKind.EMAIL, value="toms@partner.example"
    )

    context = capture_context_for(organization=world.org, user=world.rep.user)

    assert context.own_addresses == {"rita@acme.example", "rita.rep@acme-mail.example"}
    assert context.internal_domains == {"acme.example"}
    assert context.excluded_domains == {"spam.example"}
    assert context.excluded_addresses == {"ex@partner.example"}
    assert context.max_recipients == 20
    assert CapturePolicy.objects.filter(organization=world.org).exists()


# --- a new email -------------------------------------------------------------------


def test_an_email_becomes_one_interaction_owned_by_the_rep_with_every_participant(world):
    contact = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    item = email(
        cc=("tom@acme.example",),
        reply_to=("assistant@customer.example",),
        attachments=(Attachment(name="quote.pdf", size=5120, content_type="application/pdf"),),
    )

    result = ingest(world.rep, [item])

    assert result.captured == 1
    interaction = Interaction.objects.get()
    assert interaction.owner == world.rep.user
    assert interaction.team == world.team_a
    assert interaction.kind == "email"
    assert interaction.direction == "inbound"
    assert interaction.source == "imap"
    assert interaction.external_id == "<m1@example.com>"
    assert interaction.occurred_at == WHEN
    assert interaction.attachments == [{"name": "quote.pdf", "size": 5120}]
    rows = {(p.address, p.role): p for p in interaction.participants.all()}
    assert set(rows) == {
        ("jane.doe@customer.example", "from"),
        ("rita@acme.example", "to"),
        ("tom@acme.example", "cc"),
        ("assistant@customer.example", "cc"),  # Reply-To is stored as cc
    }
    assert rows["jane.doe@customer.example", "from"].contact == contact
    assert rows["jane.doe@customer.example", "from"].display_name == "Jane Doe"
    assert rows["rita@acme.example", "to"].user == world.rep.user
    assert rows["tom@acme.example", "cc"].user == world.teammate.user
    assert CaptureSighting.objects.get().user == world.rep.user
    assert result.interaction_ids == [interaction.pk]


def test_a_sent_email_is_outbound_and_a_missing_date_becomes_now(world):
    before = timezone.now()
    ingest(world.rep, [email(sender="rita@acme.example", to=("jane.doe@customer.example",), when=None)])

    interaction = Interaction.objects.get()
    assert interaction.direction == "outbound"
    assert interaction.occurred_at >= before


def test_the_contacts_latest_interaction_is_updated_and_relationships_refreshed_once_after_commit(
    world, django_capture_on_commit_callbacks
):
    jane = ContactFactory(organization=world.org, email="jane.doe@customer.example")
    bob = ContactFactory(organization=world.org, email="bob@customer.example")
    items = [email(f"<m{i}@example.com>", cc=("bob@customer.example",)) for i in range(5)]

    with (
        mock.patch("activities.tasks.relationship_refresh.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest(world.rep, items)

    delay.assert_called_once_with(world.org.pk, sorted([jane.pk, bob.pk]))
    jane.refresh_from_db()
    assert jane.last_interaction_at == WHEN


# --- dedupe ----------------------------------------------------------------------


def test_the_same_email_from_two_reps_mailboxes_is_one_interaction_with_two_sightings(world):
    item = email(to=("rita@acme.example",), cc=("jane.doe@customer.example",), sender="tom@acme.example")
    # Tom sent it to a customer and Rita; Rita's mailbox and Tom's both have it.
    first = ingest(world.teammate, [item])
    second = ingest(world.rep, [item])

    assert (first.captured, first.duplicates) == (1, 0)
    assert (second.captured, second.duplicates) == (0, 1)
    interaction = Interaction.objects.get()
    assert interaction.owner == world.teammate.user
    assert set(CaptureSighting.objects.values_list("user_id", flat=True)) == {world.rep.user.pk, world.teammate.user.pk}
    users = set(interaction.participants.filter(user__isnull=False).values_list("user_id", flat=True))
    assert users == {world.rep.user.pk, world.teammate.user.pk}
    assert interaction.participants.count() == 3
    assert second.interaction_ids == [interaction.pk]


def test_a_rep_who_had_the_email_by_bcc_becomes_a_participant_of_the_existing_interaction(world):
    item = email(sender="jane.doe@customer.example", to=("tom@acme.example",))
    ingest(world.teammate, [item])

    ingest(world.rep, [item])  # Rita was Bcc'd: she is on no header

    interaction = Interaction.objects.get()
    assert interaction.participants.filter(user=world.rep.user).count() == 1
    ingest(world.rep, [item])  # a re-read adds nothing
    assert interaction.participants.filter(user=world.rep.user).count() == 1
    assert CaptureSighting.objects.filter(user=world.rep.user).count() == 1


def test_the_same_message_twice_in_one_batch_is_stored_once(world):
    result = ingest(world.rep, [email(), email()])

    assert (result.captured, result.duplicates) == (1, 1)
    assert Interaction.objects.count() == 1


def test_a_message_without_message_id_gets_a_stable_fallback_id(world):
    item = email("")
    same = email("")
    # The recipient's copy is larger (Received headers) but is the same message.
    same.size = item.size + 812
    other = email("", subject="Another subject")

    assert fallback_external_id(item) == fallback_external_id(same)
    assert fallback_external_id(item) != fallback_external_id(other)
    assert fallback_external_id(item).startswith("<") and fallback_external_id(item).endswith("@fallback.relintel>")

    ingest(world.rep, [item])
    result = ingest(world.teammate, [same, other])

    assert result.duplicates == 1
    assert result.captured == 1
    assert Interaction.objects.count() == 2
    assert Interaction.objects.filter(external_id=fallback_external_id(item)).exists()


def test_emails_are_deduplicated_per_organization(world):
    ingest(world.rep, [email()])
    ingest(world.outsider, [email(to=("otto@globex.example",))])

    assert Interaction.objects.filter(organization=world.org).count() == 1
    assert Interaction.objects.filter(organization=world.other_org).count() == 1


# --- privacy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("privacy", "subject", "body"),
    [
        ("metadata", "", ""),
        ("subject", "Pricing question", ""),
        ("full", "Pricing question", "Hi Rita, what does it cost?"),
    ],
)
def test_subject_and_body_are_stored_only_as_the_privacy_level_allows(world, privacy, subject, body):
    ingest(world.rep, [email(text="Hi Rita, what does it cost?", html="<p>Hi Rita</p>")], privacy=privacy)

    row = Interaction.objects.values("subject", "body").get()
    assert row == {"subject": subject, "body": body}


def test_an_html_only_email_is_stored_as_plain_text_at_the_full_level(world):
    ingest(world.rep, [email(html="<p>Hello <b>Rita</b></p><p>Second line</p>")], privacy="full")

    body = Interaction.objects.get().body
    assert "<" not in body
    assert "Hello Rita" in body
    assert "Second line" in body


@pytest.mark.parametrize(
    ("privacy", "kept"), [("metadata", ""), ("subject", "Weekly digest"), ("full", "Weekly digest")]
)
def test_a_skipped_message_keeps_its_subject_only_where_the_privacy_level_allows(world, privacy, kept):
    news = email(sender="news@vendor.example", subject="Weekly digest", signals={"list-id": "<news.vendor.example>"})

    ingest(world.rep, [news], privacy=privacy)

    skipped = SkippedMessage.objects.get()
    assert skipped.subject == kept
    assert skipped.sender == "news@vendor.example"


# --- skips -------------------------------------------------------------------------


def test_skipped_messages_are_recorded_with_their_reasons_and_counted_on_the_account(world, account):
    Exclusion.objects.create(organization=world.org, kind=ExclusionKind.DOMAIN, value="lawyers.example")
    items = [
        email("<a@x>", sender="news@vendor.example", signals={"list-id": "<news.vendor.example>"}),
        email("<b@x>", sender="tom@acme.example", to=("rita@acme.example",)),
        email("<c@x>", sender="counsel@lawyers.example"),
        email("<d@x>", to=tuple(f"p{i}@customer.example" for i in range(25))),
        email("<e@x>", sender="noreply@vendor.example"),
        email("<f@x>"),
    ]

    result = ingest(world.rep, items, account=account)

    assert result.captured == 1
    assert result.skipped == {
        "bulk": 1,
        "internal": 1,
        "excluded_domain": 1,
        "too_many_recipients": 1,
        "automated": 1,
    }
    assert dict(SkippedMessage.objects.values_list("external_id", "reason")) == {
        "<a@x>": "bulk",
        "<b@x>": "internal",
        "<c@x>": "excluded_domain",
        "<d@x>": "too_many_recipients",
        "<e@x>": "automated",
    }
    assert SkippedMessage.objects.get(external_id="<a@x>").detail  # the evidence, in words
    account.refresh_from_db()
    assert account.captured_count == 1
    assert account.skipped_counts == result.skipped
    assert account.last_success_at is not None

    ingest(world.rep, [email("<g@x>", sender="news@vendor.example", signals={"precedence": "bulk"})], account=account)
    account.refresh_from_db()
    assert account.skipped_counts["bulk"] == 2


def test_a_message_skipped_twice_is_recorded_once(world):
    news = email(sender="news@vendor.example", signals={"list-id": "<news.vendor.example>"})
    ingest(world.rep, [news])
    ingest(world.rep, [news])

    assert SkippedMessage.objects.count() == 1


def test_a_malformed_item_is_skipped_with_the_parse_error(world):
    broken = email("<broken@x>")
    broken.parse_error = "no headers at all"

    result = ingest(world.rep, [broken])

    assert result.skipped == {"malformed": 1}
    assert SkippedMessage.objects.get().detail == "no headers at all"


def test_the_recipient_limit_comes_from_the_capture_policy(world):
    CapturePolicy.objects.create(organization=world.org, max_recipients=3)

    result = ingest(world.rep, [email(to=("a@customer.example", "b@customer.example", "rita@acme.example", "c@c.ex"))])

    assert result.skipped == {"too_many_recipients": 1}


# --- meetings ----------------------------------------------------------------------


def test_a_meeting_keeps_its_organizer_attendees_responses_and_duration(world):
    result = ingest(world.rep, [meeting(duration=45)], source="caldav")

    assert result.captured == 1
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.duration_minutes, interaction.source) == ("meeting", 45, "caldav")
    assert interaction.external_version == "0|20250101T000000Z"
    responses = {(p.address, p.role): p.response_status for p in interaction.participants.all()}
    assert responses == {
        ("rita@acme.example", "organizer"): "",
        ("rita@acme.example", "attendee"): "accepted",
        ("jane.doe@customer.example", "attendee"): "",
    }


def test_a_newer_meeting_version_updates_time_subject_and_responses(world):
    ingest(world.rep, [meeting()], source="caldav")
    later = WHEN + datetime.timedelta(days=1)
    newer = meeting(
        subject="Kick-off (moved)",
        when=later,
        duration=60,
        version="1|20250102T000000Z",
        attendees=(("rita@acme.example", "accepted"), ("jane.doe@customer.example", "tentative")),
    )

    result = ingest(world.rep, [newer], source="caldav")

    assert (result.updated, result.captured, result.duplicates) == (1, 0, 0)
    interaction = Interaction.objects.get()
    assert (interaction.subject, interaction.occurred_at, interaction.duration_minutes) == (
        "Kick-off (moved)",
        later,
        60,
    )
    assert interaction.participants.get(address="jane.doe@customer.example").response_status == "tentative"
    assert interaction.participants.count() == 3


def test_an_attendee_dropped_by_a_newer_version_leaves_the_meeting(world):
    ingest(world.rep, [meeting()], source="caldav")
    newer = meeting(version="2|20250103T000000Z", attendees=(("rita@acme.example", "accepted"),))
    newer.participants.append(meeting().participants[-1].__class__(address="bo@customer.example", role="attendee"))

    ingest(world.rep, [newer], source="caldav")

    addresses = set(Participant.objects.values_list("address", flat=True))
    assert addresses == {"rita@acme.example", "bo@customer.example"}


def test_an_older_meeting_version_is_ignored(world):
    ingest(world.rep, [meeting(subject="Current", version="3|20250105T000000Z")], source="caldav")

    result = ingest(world.rep, [meeting(subject="Stale", version="2|20250104T000000Z")], source="caldav")

    assert (result.updated, result.duplicates) == (0, 1)
    assert Interaction.objects.get().subject == "Current"


def test_a_cancellation_deletes_the_stored_occurrence(world):
    ingest(world.rep, [meeting()], source="caldav")

    result = ingest(world.rep, [meeting(status="cancelled", version="1|20250102T000000Z")], source="caldav")

    assert result.deleted == 1
    assert not Interaction.objects.exists()
    assert not Participant.objects.exists()


def test_a_cancellation_of_a_meeting_never_stored_is_recorded_as_a_skip(world):
    result = ingest(world.rep, [meeting(status="cancelled")], source="caldav")

    assert result.skipped == {"cancelled": 1}
    assert SkippedMessage.objects.get().reason == "cancelled"


def test_a_meeting_the_rep_declined_is_skipped(world):
    declined = meeting(attendees=(("rita@acme.example", "declined"), ("jane.doe@customer.example", "accepted")))
    declined.participants[0] = declined.participants[0].__class__(address="jane.doe@customer.example", role="organizer")

    result = ingest(world.rep, [declined], source="caldav")

    assert result.skipped == {"declined": 1}
    assert not Interaction.objects.exists()


# --- cursor and transaction ---------------------------------------------------------


def test_the_cursor_is_saved_with_its_batch(world, account):
    cursor = CaptureCursor.objects.create(account=account, folder="INBOX", uidvalidity=7, last_uid=10)
    cursor.last_uid = 20

    ingest(world.rep, [email()], account=account, cursor=cursor)

    cursor.refresh_from_db()
    assert cursor.last_uid == 20


def test_a_failure_inside_the_batch_rolls_back_the_cursor_and_every_row(world, account):
    cursor = CaptureCursor.objects.create(account=account, folder="INBOX", uidvalidity=7, last_uid=10)
    cursor.last_uid = 20
    news = email("<n@x>", sender="news@vendor.example", signals={"list-id": "<x>"})

    with (
        mock.patch("activities.capture.ingest.writer.contacts_from_activity", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        ingest(world.rep, [email(), news], account=account, cursor=cursor)

    assert CaptureCursor.objects.get(pk=cursor.pk).last_uid == 10
    assert not Interaction.objects.exists()
    assert not SkippedMessage.objects.exists()
    account.refresh_from_db()
    assert (account.captured_count, account.skipped_counts, account.last_success_at) == (0, {}, None)


# --- throughput ------------------------------------------------------------------


def _batch(n: int, start: int = 0) -> list:
    items = []
    for i in range(start, start + n):
        if i % 4 == 0:
            items.append(email(f"<bulk{i}@x>", sender="news@vendor.example", signals={"list-id": "<news>"}))
        elif i % 4 == 1:
            items.append(email(f"<out{i}@x>", sender="rita@acme.example", to=(f"p{i % 7}@customer.example",)))
        else:
            items.append(email(f"<in{i}@x>", sender=f"p{i % 7}@customer.example", cc=(f"q{i}@other.example",)))
    return items


@pytest.mark.parametrize("size", [50, 200])
def test_the_query_count_of_a_batch_does_not_grow_with_its_size(world, account, size, django_assert_max_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits bulk inserts by its variable limit; the budget is PostgreSQL's")
    CapturePolicy.objects.create(organization=world.org, contact_creation="any")  # the busiest path
    for i in range(7):
        ContactFactory(organization=world.org, email=f"p{i}@customer.example")
    ingest(world.rep, _batch(20, start=10_000), account=account)  # some already stored: duplicates
    items = _batch(size) + _batch(20, start=10_000)
    cursor = CaptureCursor.objects.create(account=account, folder="INBOX")

    with django_assert_max_num_queries(30):
        result = ingest(world.rep, items, account=account, cursor=cursor)

    assert result.duplicates == 15
    assert result.captured == size * 3 // 4
    assert result.contacts_created == sum(1 for i in range(size) if i % 4 >= 2)  # every new q… address


# --- isolation ---------------------------------------------------------------------


def test_ingest_for_one_organization_never_matches_another_organizations_contacts(world):
    theirs = ContactFactory(organization=world.other_org, email="jane.doe@customer.example")

    ingest(world.rep, [email()])

    participant = Participant.objects.get(address="jane.doe@customer.example")
    assert participant.contact_id != theirs.pk
    assert not Participant.objects.filter(contact=theirs).exists()
    assert not Contact.objects.filter(organization=world.other_org).exclude(pk=theirs.pk).exists()
    assert Interaction.objects.get().organization == world.org


def test_a_batch_that_races_another_reps_batch_is_retried_and_sees_the_stored_message(world):
    from activities.capture.ingest import writer

    item = email(to=("rita@acme.example", "tom@acme.example"))
    ingest(world.teammate, [item])
    real = writer._stored
    calls = []

    def stale_first(**kwargs):
        # The first read misses the row, as if Tom's batch committed just after it.
        calls.append(1)
        return {} if len(calls) == 1 else real(**kwargs)

    with mock.patch.object(writer, "_stored", side_effect=stale_first):
        result = ingest(world.rep, [item])

    assert len(calls) == 2
    assert (result.captured, result.duplicates) == (0, 1)
    assert Interaction.objects.count() == 1
    assert CaptureSighting.objects.count() == 2
