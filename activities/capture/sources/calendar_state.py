"""Remembering which meeting occurrences a calendar source produced, to notice vanished ones.

A feed or a calendar object that no longer lists an occurrence we captured (deleted,
or an exception removed) means that meeting is off: it becomes a cancellation, whose
version beats the one we stored, so ingest applies it.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from activities.capture.items import MEETING, CapturedItem

# external id -> [occurred_at ISO or "", version]
Known = dict[str, list[str]]


def known_from(items: list[CapturedItem]) -> Known:
    return {
        item.external_id: [item.occurred_at.isoformat() if item.occurred_at else "", item.version]
        for item in items
        if item.external_id and not item.parse_error and item.status != "cancelled"
    }


def cancellations(previous: Known, current: Known, *, window_start: datetime.datetime) -> list[CapturedItem]:
    """Cancellations for the occurrences in ``previous`` that ``current`` no longer has.

    Occurrences that merely slid out of the window (their start is before it now) are kept.
    """
    stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = []
    for external_id, (occurred, version) in previous.items():
        if external_id in current:
            continue
        occurred_at = datetime.datetime.fromisoformat(occurred) if occurred else None
        if occurred_at is not None and occurred_at < window_start:
            continue
        # One above the sequence we stored: the cancellation must win even within the same second.
        try:
            sequence = int(version.partition("|")[0] or 0) + 1
        except ValueError:
            sequence = 1
        items.append(
            CapturedItem(
                kind=MEETING,
                external_id=external_id,
                occurred_at=occurred_at,
                status="cancelled",
                version=f"{sequence:010d}|{stamp}",
            )
        )
    return items
