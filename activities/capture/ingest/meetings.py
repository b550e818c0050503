"""Newer versions of stored meetings: time, subject, body, attendees and their responses."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from activities.capture.ingest.content import stored_body, stored_subject
from activities.capture.ingest.rows import ParticipantRow
from activities.capture.items import CapturedItem
from activities.models import Interaction, Participant, ParticipantRole
from relintel.accounts.models import User


def meeting_updates(
    *,
    updates: list[tuple[int, CapturedItem]],
    user: User,
    privacy_level: str,
    now: datetime.datetime,
    participants_of: Callable[[int, CapturedItem], list[ParticipantRow]],
    touched_contacts: set[int],
) -> list[ParticipantRow]:
    """Apply newer versions of stored meetings; returns the participant rows to insert."""
    Interaction.objects.bulk_update(
        [
            Interaction(
                pk=interaction_id,
                occurred_at=item.occurred_at or now,
                duration_minutes=item.duration_minutes,
                subject=stored_subject(item, privacy_level),
                body=stored_body(item, privacy_level),
                external_version=item.version[:100],
                updated_at=now,
            )
            for interaction_id, item in updates
        ],
        ["occurred_at", "duration_minutes", "subject", "body", "external_version", "updated_at"],
    )
    existing: dict[tuple[int, str, str], Participant] = {}
    for row in Participant.objects.filter(interaction_id__in=[i for i, _ in updates]):
        existing[(row.interaction_id, row.address, row.role)] = row
        if row.contact_id is not None:
            touched_contacts.add(row.contact_id)
    to_insert: list[ParticipantRow] = []
    to_update: list[Participant] = []
    keep: set[int] = set()
    for interaction_id, item in updates:
        for fresh in participants_of(interaction_id, item):
            old = existing.get((interaction_id, fresh.address, fresh.role))
            if old is None:
                to_insert.append(fresh)
                continue
            keep.add(old.pk)
            if (old.response_status, old.display_name) != (fresh.response_status, fresh.display_name):
                old.response_status = fresh.response_status
                old.display_name = fresh.display_name or old.display_name
                to_update.append(old)
    if to_update:
        Participant.objects.bulk_update(to_update, ["response_status", "display_name"])
    # People no longer invited leave the meeting; other reps' own rows (from their sightings) stay.
    gone = [
        row.pk
        for row in existing.values()
        if row.pk not in keep
        and row.role in (ParticipantRole.ATTENDEE, ParticipantRole.ORGANIZER)
        and row.user_id is None
    ]
    if gone:
        Participant.objects.filter(pk__in=gone).delete()
    return to_insert
