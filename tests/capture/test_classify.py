"""classify: direction and every skip rule, table-driven, plus the order of the rules."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest

from activities.capture.classify import classify
from activities.capture.items import (
    EMAIL,
    INBOUND,
    INTERNAL,
    MEETING,
    OUTBOUND,
    ROLE_ATTENDEE,
    ROLE_CC,
    ROLE_FROM,
    ROLE_ORGANIZER,
    ROLE_TO,
    CaptureContext,
    CapturedItem,
    CapturedParticipant,
)
from activities.models import SkipReason

UTC = datetime.UTC
CONTEXT = CaptureContext(
    own_addresses=frozenset({"rep@acme.example", "rep.private@gmail.example"}),
    internal_domains=frozenset({"acme.example"}),
    excluded_addresses=frozenset({"hr@client.example"}),
    excluded_domains=frozenset({"lawyers.example"}),
    max_recipients=20,
    window_start=datetime.datetime(2024, 1, 1, tzinfo=UTC),
    window_end=datetime.datetime(2024, 7, 1, tzinfo=UTC),
)


def email(
    sender: str = "bob@client.example", *to: str, signals: dict[str, str] | None = None, **fields
) -> CapturedItem:
    recipients = to or ("rep@acme.example",)
    return CapturedItem(
        kind=EMAIL,
        external_id="<m@x>",
        occurred_at=datetime.datetime(2024, 3, 1, tzinfo=UTC),
        subject=fields.pop("subject", "Pricing"),
        participants=[CapturedParticipant(address=sender, role=ROLE_FROM)]
        + [CapturedParticipant(address=a, role=ROLE_TO) for a in recipients],
        recipient_count=fields.pop("recipient_count", len(recipients)),
        signals=signals or {},
        **fields,
    )


def meeting(*attendees: tuple[str, str], organizer: str = "rep@acme.example", **fields) -> CapturedItem:
    return CapturedItem(
        kind=MEETING,
        external_id="uid@x",
        occurred_at=fields.pop("occurred_at", datetime.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        participants=[CapturedParticipant(address=organizer, role=ROLE_ORGANIZER)]
        + [CapturedParticipant(address=a, role=ROLE_ATTENDEE, response=r) for a, r in attendees],
        recipient_count=len(attendees),
        status=fields.pop("status", "confirmed"),
        **fields,
    )


# --- direction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "direction"),
    [
        (email("bob@client.example", "rep@acme.example"), INBOUND),
        (email("rep@acme.example", "bob@client.example"), OUTBOUND),
        (email("REP.private@gmail.example".lower(), "bob@client.example"), OUTBOUND),
        (email("colleague@acme.example", "bob@client.example", "rep@acme.example"), OUTBOUND),
        (email("colleague@eu.acme.example", "bob@client.example"), OUTBOUND),
        (email("colleague@acme.example", "rep@acme.example"), INTERNAL),
        (email("rep@acme.example", "colleague@acme.example"), OUTBOUND),
        (meeting(("bob@client.example", "accepted")), OUTBOUND),
        (meeting(("rep@acme.example", "accepted"), organizer="bob@client.example"), INBOUND),
        (meeting(("colleague@acme.example", "accepted"), organizer="boss@acme.example"), INTERNAL),
    ],
)
def test_direction_is_relative_to_the_rep_and_the_organization(item, direction):
    assert classify(item, CONTEXT).direction == direction


# --- every rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "reason", "detail"),
    [
        # captured
        (email(), "", ""),
        (email(signals={"auto-submitted": "no"}), "", ""),
        (email(signals={"x-mailer": "Outlook 16", "return-path": "<bob@client.example>"}), "", ""),
        (email(signals={"x-auto-response-suppress": "All"}), "", ""),
        (meeting(("bob@client.example", "accepted"), ("rep@acme.example", "accepted")), "", ""),
        # malformed
        (email(parse_error="no email headers found"), SkipReason.MALFORMED, "no email headers found"),
        # internal
        (email("colleague@acme.example", "rep@acme.example"), SkipReason.INTERNAL, "no one outside the organization"),
        (email("colleague@acme.example", "x@sub.acme.example"), SkipReason.INTERNAL, "no one outside"),
        # automated
        (email(signals={"auto-submitted": "auto-replied"}), SkipReason.AUTOMATED, "Auto-Submitted: auto-replied"),
        (email(signals={"auto-submitted": "auto-generated; type=x"}), SkipReason.AUTOMATED, "Auto-Submitted"),
        (email(signals={"x-autoreply": "yes"}), SkipReason.AUTOMATED, "X-Autoreply: yes"),
        (email(signals={"x-autorespond": "1"}), SkipReason.AUTOMATED, "X-Autorespond: 1"),
        (
            email(signals={"x-auto-response-suppress": "All"}, subject="Automatic reply: Pricing"),
            SkipReason.AUTOMATED,
            "X-Auto-Response-Suppress: All",
        ),
        (email(signals={"return-path": "<>"}), SkipReason.AUTOMATED, "Return-Path: <>"),
        (email(signals={"precedence": "auto_reply"}), SkipReason.AUTOMATED, "Precedence: auto_reply"),
        (email("no-reply@shop.example"), SkipReason.AUTOMATED, "from no-reply@shop.example"),
        (email("noreply@shop.example"), SkipReason.AUTOMATED, "from noreply@shop.example"),
        (email("do-not-reply@shop.example"), SkipReason.AUTOMATED, "from do-not-reply@shop.example"),
        (email("donotreply@shop.example"), SkipReason.AUTOMATED, "from donotreply@shop.example"),
        (email("mailer-daemon@mx.example"), SkipReason.AUTOMATED, "from mailer-daemon@mx.example"),
        (email("postmaster@mx.example"), SkipReason.AUTOMATED, "from postmaster@mx.example"),
        (email("notifications@github.example"), SkipReason.AUTOMATED, "from notifications@github.example"),
        (email("bounce+abc@mail.example"), SkipReason.AUTOMATED, "from bounce+abc@mail.example"),
        (email("bounces-123@mail.example"), SkipReason.AUTOMATED, "from bounces-123@mail.example"),
        (email(signals={"feedback-id": "1:2:ses"}), SkipReason.AUTOMATED, "Feedback-ID: 1:2:ses"),
        (email(signals={"x-sg-eid": "abc"}), SkipReason.AUTOMATED, "X-SG-EID: abc"),
        (email(signals={"x-mailgun-tag": "promo"}), SkipReason.AUTOMATED, "X-Mailgun-Tag: promo"),
        (email(signals={"x-mc-user": "u1"}), SkipReason.AUTOMATED, "X-Mc-User: u1"),
        # bulk
        (email(signals={"list-id": "<news.example.com>"}), SkipReason.BULK, "List-Id: <news.example.com>"),
        (email(signals={"list-unsubscribe": "<mailto:u@x>"}), SkipReason.BULK, "List-Unsubscribe: <mailto:u@x>"),
        (email(signals={"precedence": "bulk"}), SkipReason.BULK, "Precedence: bulk"),
        (email(signals={"precedence": "list"}), SkipReason.BULK, "Precedence: list"),
        (email(signals={"precedence": "Junk"}), SkipReason.BULK, "Precedence: Junk"),
        # excluded
        (email("hr@client.example"), SkipReason.EXCLUDED_PERSON, "hr@client.example is excluded"),
        (email("rep@acme.example", "bob@client.example", "hr@client.example"), SkipReason.EXCLUDED_PERSON, "hr@client"),
        (email("ann@lawyers.example"), SkipReason.EXCLUDED_DOMAIN, "the domain lawyers.example is excluded"),
        (email("ann@eu.lawyers.example"), SkipReason.EXCLUDED_DOMAIN, "eu.lawyers.example: the domain lawyers.example"),
        (email("ann@notlawyers.example"), "", ""),
        # too many recipients
        (email(recipient_count=32), SkipReason.TOO_MANY_RECIPIENTS, "32 recipients, the limit is 20"),
        (email(recipient_count=20), "", ""),
        # meetings
        (meeting(("bob@client.example", "accepted"), status="cancelled"), SkipReason.CANCELLED, "cancelled"),
        (
            meeting(("rep@acme.example", "declined"), organizer="bob@client.example"),
            SkipReason.DECLINED,
            "rep@acme.example declined",
        ),
        (meeting(("bob@client.example", "declined")), "", ""),
        (
            meeting(("bob@client.example", "accepted"), occurred_at=datetime.datetime(2023, 6, 1, tzinfo=UTC)),
            SkipReason.OUTSIDE_WINDOW,
            "before the window",
        ),
        (
            meeting(("bob@client.example", "accepted"), occurred_at=datetime.datetime(2024, 7, 1, tzinfo=UTC)),
            SkipReason.OUTSIDE_WINDOW,
            "after the window",
        ),
        (meeting(("colleague@acme.example", "accepted")), SkipReason.INTERNAL, "no one outside"),
        (meeting(("x@lawyers.example", "accepted")), SkipReason.EXCLUDED_DOMAIN, "lawyers.example"),
    ],
)
def test_each_rule_skips_with_its_reason_and_evidence(item, reason, detail):
    decision = classify(item, CONTEXT)
    assert decision.skip_reason == reason
    assert detail in decision.detail
    assert decision.captured == (not reason)


def test_every_reason_is_a_skip_reason_of_the_model():
    reasons = {
        "malformed",
        "internal",
        "automated",
        "bulk",
        "excluded_person",
        "excluded_domain",
        "too_many_recipients",
        "cancelled",
        "declined",
        "outside_window",
    }
    assert reasons <= set(SkipReason.values)


# --- the order: the most specific reason wins -------------------------------------------------


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (email("hr@client.example", parse_error="broken"), SkipReason.MALFORMED),
        (
            meeting(("rep@acme.example", "declined"), organizer="bob@client.example", status="cancelled"),
            SkipReason.CANCELLED,
        ),
        (
            meeting(
                ("rep@acme.example", "declined"),
                organizer="bob@client.example",
                occurred_at=datetime.datetime(2020, 1, 1, tzinfo=UTC),
            ),
            SkipReason.DECLINED,
        ),
        (
            meeting(("hr@client.example", "accepted"), occurred_at=datetime.datetime(2020, 1, 1, tzinfo=UTC)),
            SkipReason.OUTSIDE_WINDOW,
        ),
        (email("hr@client.example", "x@lawyers.example"), SkipReason.EXCLUDED_PERSON),
        (email("no-reply@lawyers.example", signals={"list-id": "<l>"}), SkipReason.EXCLUDED_DOMAIN),
        (email(signals={"auto-submitted": "auto-replied", "list-id": "<l>"}), SkipReason.AUTOMATED),
        (email("no-reply@news.example", signals={"list-unsubscribe": "<u>"}), SkipReason.BULK),
        (email("no-reply@acme.example", "rep@acme.example"), SkipReason.AUTOMATED),
        (email("colleague@acme.example", "rep@acme.example", recipient_count=50), SkipReason.INTERNAL),
    ],
)
def test_the_most_specific_reason_wins(item, reason):
    assert classify(item, CONTEXT).skip_reason == reason


def test_participants_without_an_address_do_not_make_a_message_external():
    item = email("colleague@acme.example", "rep@acme.example")
    item.participants.append(CapturedParticipant(address="", name="Undisclosed", role=ROLE_CC))
    assert classify(item, CONTEXT).skip_reason == SkipReason.INTERNAL


def test_the_recipient_limit_comes_from_the_context():
    assert classify(email(recipient_count=32), replace(CONTEXT, max_recipients=50)).captured


def test_a_meeting_without_a_window_is_never_outside_it():
    item = meeting(("bob@client.example", "accepted"), occurred_at=datetime.datetime(1999, 1, 1, tzinfo=UTC))
    assert classify(item, replace(CONTEXT, window_start=None, window_end=None)).captured


def test_a_message_without_sender_to_the_rep_from_outside_is_inbound():
    item = CapturedItem(
        kind=EMAIL,
        external_id="",
        occurred_at=None,
        participants=[
            CapturedParticipant(address="rep@acme.example", role=ROLE_TO),
            CapturedParticipant(address="bob@client.example", role=ROLE_CC),
        ],
        recipient_count=2,
    )
    decision = classify(item, CONTEXT)
    assert decision.captured
    assert decision.direction == INBOUND
