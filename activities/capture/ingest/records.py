"""Bookkeeping around a batch: skip records, the account's counters, the contacts touched."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery

from activities import tasks
from activities.capture.ingest.content import stored_subject
from activities.capture.items import CapturedItem
from activities.models import CaptureAccount, Participant, SkippedMessage
from contacts.models import Contact
from relintel.accounts.models import Organization, User


def contacts_touch(*, organization_id: int, contact_ids: set[int]) -> None:
    """Re-derive the contacts' latest interaction (one UPDATE) and refresh relationships after commit."""
    latest = (
        Participant.objects.filter(contact_id=OuterRef("pk"))
        .order_by()
        .values("contact_id")
        .annotate(latest=Max("interaction__occurred_at"))
        .values("latest")
    )
    ids = sorted(contact_ids)
    Contact.objects.filter(organization_id=organization_id, pk__in=ids).update(last_interaction_at=Subquery(latest))
    transaction.on_commit(lambda: tasks.relationship_refresh.delay(organization_id, ids))


def skipped_row(
    *,
    organization: Organization,
    user: User,
    account: CaptureAccount | None,
    source: str,
    external_id: str,
    item: CapturedItem,
    reason: str,
    detail: str,
    privacy_level: str,
) -> SkippedMessage:
    sender = item.sender
    return SkippedMessage(
        organization=organization,
        user=user,
        account=account,
        source=source,
        external_id=external_id,
        subject=stored_subject(item, privacy_level),
        sender=(sender.address if sender else "")[:254],
        reason=reason,
        detail=(detail or "")[:500],
        occurred_at=item.occurred_at,
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
