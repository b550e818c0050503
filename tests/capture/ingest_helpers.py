"""Builders of captured items for the ingest tests (what the parsers would produce)."""

from __future__ import annotations

import datetime

from activities.capture.items import (
    EMAIL,
    MEETING,
    ROLE_ATTENDEE,
    ROLE_CC,
    ROLE_FROM,
    ROLE_ORGANIZER,
    ROLE_REPLY_TO,
    ROLE_TO,
    Attachment,
    CapturedItem,
    CapturedParticipant,
)

WHEN = datetime.datetime(2025, 3, 4, 9, 30, tzinfo=datetime.UTC)


def email(
    message_id: str = "<m1@example.com>",
    *,
    sender: str = "jane.doe@customer.example",
    sender_name: str = "Jane Doe",
    to: tuple[str, ...] = ("rita@acme.example",),
    cc: tuple[str, ...] = (),
    reply_to: tuple[str, ...] = (),
    subject: str = "Pricing question",
    text: str = "",
    html: str = "",
    when: datetime.datetime | None = WHEN,
    attachments: tuple[Attachment, ...] = (),
    signals: dict[str, str] | None = None,
    size: int = 1234,
    names: dict[str, str] | None = None,
) -> CapturedItem:
    names = names or {}
    participants = [CapturedParticipant(address=sender, name=sender_name, role=ROLE_FROM)]
    participants += [CapturedParticipant(address=a, name=names.get(a, ""), role=ROLE_TO) for a in to]
    participants += [CapturedParticipant(address=a, name=names.get(a, ""), role=ROLE_CC) for a in cc]
    participants += [CapturedParticipant(address=a, name=names.get(a, ""), role=ROLE_REPLY_TO) for a in reply_to]
    return CapturedItem(
        kind=EMAIL,
        external_id=message_id,
        occurred_at=when,
        subject=subject,
        text_body=text,
        html_body=html,
        participants=participants,
        attachments=list(attachments),
        thread_id=message_id,
        signals=signals or {},
        recipient_count=len(to) + len(cc),
        size=size,
    )


def meeting(
    uid: str = "<evt-1@calendar.example>",
    *,
    organizer: str = "rita@acme.example",
    attendees: tuple[tuple[str, str], ...] = (("rita@acme.example", "accepted"), ("jane.doe@customer.example", "")),
    subject: str = "Kick-off",
    when: datetime.datetime = WHEN,
    duration: int = 30,
    version: str = "0|20250101T000000Z",
    status: str = "confirmed",
    text: str = "",
) -> CapturedItem:
    participants = [CapturedParticipant(address=organizer, role=ROLE_ORGANIZER)]
    participants += [CapturedParticipant(address=a, role=ROLE_ATTENDEE, response=r) for a, r in attendees]
    return CapturedItem(
        kind=MEETING,
        external_id=uid,
        occurred_at=when,
        subject=subject,
        text_body=text,
        participants=participants,
        recipient_count=len(attendees),
        duration_minutes=duration,
        status=status,
        version=version,
    )
