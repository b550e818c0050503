"""Reads for the Salesforce sync, always scoped to the requesting member's organization."""

from __future__ import annotations

from relintel.accounts.models import Membership
from sync.models import ConnectionStatus, SalesforceConnection


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
