"""Bookkeeping around a batch: skip records, the account's counters, the contacts touched."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping

from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery

from activities import tasks
from activities.capture.ingest.content import stored_subject
from activities.capture.ingest.rows import SkipRow, contacts_latest_at_least, is_postgres
from activities.capture.items import CapturedItem
from activities.models import CaptureAccount, Participant
from contacts.models import Contact


def contacts_touch(
    *, organization_id: int, contact_ids: set[int], latest: Mapping[int, datetime.datetime] | None = None
) -> None:
    """Update the contacts' latest interaction and refresh their relationships after commit.

    ``contact_ids`` are re-derived from their participations (one UPDATE): needed after a
    deletion or a meeting that moved. Contacts only in ``latest`` (contact → the newest
    interaction a batch *added* for them) just move forward to it, which is much cheaper
    than re-deriving from every participation (one more UPDATE, PostgreSQL; SQLite re-derives).
    """
    latest = latest or {}
    derive = set(contact_ids)
    if not is_postgres():
        derive |= set(latest)
    forward = {contact_id: when for contact_id, when in latest.items() if contact_id not in derive}
    if derive:
        newest = (
            Participant.objects.filter(contact_id=OuterRef("pk"))
            .order_by()
            .values("contact_id")
            .annotate(latest=Max("interaction__occurred_at"))
            .values("latest")
        )
        Contact.objects.filter(organization_id=organization_id, pk__in=sorted(derive)).update(
            last_interaction_at=Subquery(newest)
        )
    contacts_latest_at_least(organization_id=organization_id, latest=forward)
    ids = sorted(derive | set(forward))
    transaction.on_commit(lambda: tasks.relationship_refresh.delay(organization_id, ids))


def skip_row(*, external_id: str, item: CapturedItem, reason: str, detail: str, privacy_level: str) -> SkipRow:
    """What a ``SkippedMessage`` records of a skipped item (the subject only where the level allows)."""
    sender = item.sender
    return SkipRow(
        external_id,
        stored_subject(item, privacy_level),
        (sender.address if sender else "")[:254],
        reason,
        (detail or "")[:500],
        item.occurred_at,
    )


def account_counts(*, account: CaptureAccount, captured: int, skipped: Counter[str], now: datetime.datetime) -> None:
    """Add a batch to the account's totals (same transaction as the batch)."""
    counts: dict[str, int] = {}
    if skipped:
        # The account's lease keeps other batches out; the row lock makes it certain.
        current = (
            CaptureAccount.objects.select_for_update().filter(pk=account.pk).values_list("skipped_counts", flat=True)
        )
        counts = dict(current.first() or {})
        for reason, n in skipped.items():
            counts[reason] = int(counts.get(reason, 0)) + n
    changes: dict[str, object] = {
        "captured_count": F("captured_count") + captured,
        "last_success_at": now,
        "updated_at": now,
    }
    if skipped:
        changes["skipped_counts"] = counts
    CaptureAccount.objects.filter(pk=account.pk).update(**changes)
