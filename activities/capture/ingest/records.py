"""Bookkeeping around a batch: skip records, the account's counters, the contacts touched."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

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
    """After commit: move the contacts' latest interaction, then refresh their relationships.

    Nothing here writes a contact inside the caller's transaction. ``Contact.last_interaction_at``
    is derived data, and updating it was the dearest statement of a capture batch (the column
    is in an index, so every update writes all of the contact table's indexes); it is now
    applied by the ``contacts_touch_latest`` task once the batch is committed, so it is
    *eventually* consistent: for the moment between the commit and the task (and until a
    worker picks the task up) a contact may show an older latest interaction. That is fine for
    a derived column; the task is idempotent and the next batch touching the contact repeats it.

    ``contact_ids`` are re-derived from their participations by the task (needed after a
    deletion or a meeting that moved); contacts only in ``latest`` (contact → the newest
    interaction a batch *added* for them) just move forward to it.
    """
    latest = latest or {}
    derive = sorted(contact_ids)
    moved = {contact_id: when for contact_id, when in latest.items() if contact_id not in contact_ids}
    forward: list[list[object]] = [[contact_id, moved[contact_id].isoformat()] for contact_id in sorted(moved)]
    ids = sorted(set(derive) | set(moved))
    if not ids:
        return

    def enqueue() -> None:
        tasks.contacts_touch_latest.delay(organization_id, forward, derive)
        tasks.relationship_refresh.delay(organization_id, ids)

    transaction.on_commit(enqueue)


def rollups_touch(*, organization_id: int, moments: Iterable[tuple[int | None, datetime.datetime | None]]) -> None:
    """After commit: refresh the weekly activity rollups of the batch's (owner, week) pairs.

    ``moments``: (owner id, time) of every interaction the batch added, moved (old and new
    time) or deleted; the task re-derives those weeks (see ``activities.rollups``).
    """
    from activities.rollups import activity_rollups_enqueue, week_of

    activity_rollups_enqueue(
        organization_id=organization_id,
        user_weeks={(owner_id, week_of(when)) for owner_id, when in moments if owner_id is not None and when},
    )


def contacts_latest_apply(
    *, organization_id: int, latest: Iterable[Sequence[object]] = (), derive: Iterable[int] = ()
) -> None:
    """Move contacts' latest interaction: forward to the given times, or re-derived (the task's body).

    ``latest``: (contact id, ISO time or datetime) pairs, a contact only ever moves forward
    (one ``UPDATE … GREATEST``). ``derive``: contacts re-derived from all their participations
    (after a deletion or a moved meeting). Idempotent. On SQLite everything is re-derived.
    """
    forward: dict[int, datetime.datetime] = {}
    for contact_id, when in latest:
        moment = when if isinstance(when, datetime.datetime) else datetime.datetime.fromisoformat(str(when))
        key = int(str(contact_id))
        if key not in forward or forward[key] < moment:
            forward[key] = moment
    again = set(derive)
    if not is_postgres():
        again |= set(forward)
    forward = {k: v for k, v in forward.items() if k not in again}
    with transaction.atomic():
        if again:
            newest = (
                Participant.objects.filter(contact_id=OuterRef("pk"))
                .order_by()
                .values("contact_id")
                .annotate(latest=Max("interaction__occurred_at"))
                .values("latest")
            )
            Contact.objects.filter(organization_id=organization_id, pk__in=sorted(again)).update(
                last_interaction_at=Subquery(newest)
            )
        contacts_latest_at_least(organization_id=organization_id, latest=forward)


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
