"""Reads for the Salesforce sync, always scoped to the requesting member's organization."""

from __future__ import annotations

from django.db.models import QuerySet

from relintel.accounts.models import Membership
from sync.models import ConnectionStatus, OutboxEntry, SalesforceConnection


def salesforce_connection_of(*, membership: Membership) -> SalesforceConnection | None:
    """The organization's connection, or ``None`` before an admin saved one."""
    return (
        SalesforceConnection.objects.select_related("connected_by")
        .filter(organization_id=membership.organization_id)
        .first()
    )


def salesforce_connection_needs_reauth(*, organization_id: int) -> bool:
    return SalesforceConnection.objects.filter(
        organization_id=organization_id, status=ConnectionStatus.NEEDS_REAUTH
    ).exists()


def outbox_organizations_due() -> list[int]:
    """Organizations (across tenants: for the scheduler only) with due outbox rows and a
    connection that is connected and not paused."""
    from django.db.models import Q
    from django.utils import timezone

    from sync.models import OutboxEntry, OutboxState

    now = timezone.now()
    due = Q(state=OutboxState.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    expired = Q(state=OutboxState.IN_FLIGHT, claimed_until__lt=now)
    connected = SalesforceConnection.objects.filter(status=ConnectionStatus.CONNECTED).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    )
    return sorted(
        set(
            OutboxEntry.objects.filter(due | expired)
            .filter(organization_id__in=connected.values("organization_id"))
            .values_list("organization_id", flat=True)
            .distinct()
        )
    )


def outbox_entries_of(
    *, membership: Membership, state: str | None = None, code: str | None = None
) -> QuerySet[OutboxEntry]:
    """The organization's outbox rows, newest first, for the sync health page."""
    entries = OutboxEntry.objects.filter(organization_id=membership.organization_id).order_by("-updated_at")
    if state:
        entries = entries.filter(state=state)
    if code:
        entries = entries.filter(last_error_code=code)
    return entries
