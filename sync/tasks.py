"""Thin Celery tasks for the sync (queue ``sync``): re-read by id, call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task
def sync_push_due() -> int:
    """Beat, every 30 s: one push per organization with due outbox rows."""
    from sync import services

    services.sync_runs_abandoned_close()
    organization_ids = services.sync_organizations_due()
    for organization_id in organization_ids:
        sync_push_organization.delay(organization_id)
    return len(organization_ids)


@shared_task
def sync_push_organization(organization_id: int) -> bool:
    """Push for about a minute; if rows remain, continue in a fresh task (others' work interleaves)."""
    from sync import services

    more = services.sync_push_organization(organization_id=organization_id)
    if more:
        sync_push_organization.apply_async((organization_id,), countdown=1)
    return more


@shared_task
def sync_bulk_job_poll(run_id: int, delay: int = 5) -> str:
    """Check a Bulk API 2.0 job; record its results when done, else look again later."""
    from relintel.celery import bounded_countdown
    from sync.salesforce import bulk

    state = bulk.bulk_poll(run_id=run_id)
    if state == bulk.POLL_AGAIN:
        sync_bulk_job_poll.apply_async((run_id, min(delay * 2, 60)), countdown=bounded_countdown(delay))
    return state


# --- pull (pull engineer) ------------------------------------------------------------------------


@shared_task
def sync_pull_due() -> int:
    """Beat, every ``RELINTEL_SALESFORCE_PULL_SECONDS`` (5 min): one pull per connected organization."""
    from sync import services

    organization_ids = services.sync_pull_organizations_due()
    for organization_id in organization_ids:
        sync_pull_organization.delay(organization_id)
    return len(organization_ids)


@shared_task
def sync_pull_organization(organization_id: int) -> dict[str, int] | None:
    """Pull one organization's changes from Salesforce (transient errors wait for the next beat)."""
    from sync import services

    return services.sync_pull_organization(organization_id=organization_id)
