"""Thin Celery tasks for activities: re-read by id, call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def relationship_refresh(organization_id: int, contact_ids: list[int]) -> int:
    from activities import services

    return services.contact_insights_refresh(organization_id=organization_id, contact_ids=contact_ids)


@shared_task(queue="insight")
def relationships_rescore_all() -> int:
    """Nightly (and "rescore now"): strength decays with time, so every organization is re-scored."""
    from relintel.accounts.models import Organization

    organization_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in organization_ids:
        relationships_rescore.delay(organization_id)
    return len(organization_ids)


@shared_task(
    queue="insight", autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def relationships_rescore(organization_id: int) -> int:
    """Rebuild one organization's relationships and its reps' replies owed from scratch (idempotent)."""
    from activities.relationships import relationships_rebuild
    from activities.replies import replies_owed_rebuild
    from relintel.accounts.models import Organization

    if not Organization.objects.filter(pk=organization_id).exists():
        return 0  # deleted since the fan-out
    written = relationships_rebuild(organization_id=organization_id)
    replies_owed_rebuild(organization_id=organization_id)
    return written


# --- capture ------------------------------------------------------------------------
# One task per source: a broken mailbox only ever delays itself (see
# activities/capture/sources/runner.py for the lease and the back-off).


@shared_task
def capture_schedule_due() -> int:
    """Beat, every 30 s: enqueue a run for each source whose poll is due."""
    from activities.capture.sources.runner import capture_accounts_claim_due

    account_ids = capture_accounts_claim_due()
    for account_id in account_ids:
        capture_account_run.delay(account_id)
    return len(account_ids)


@shared_task
def capture_account_run(account_id: int, lease_seconds: int | None = None, run_seconds: int | None = None) -> str:
    """Read one source for about a minute under its lease; continue a backfill right away."""
    from activities.capture.sources.runner import capture_account_run_once
    from relintel.celery import bounded_countdown

    result = capture_account_run_once(account_id=account_id, lease_seconds=lease_seconds, run_seconds=run_seconds)
    if result == "more":
        capture_account_run.apply_async(
            (account_id,),
            {"lease_seconds": lease_seconds, "run_seconds": run_seconds},
            countdown=bounded_countdown(0),
        )
    return result


@shared_task(
    queue="insight", autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def contacts_touch_latest(organization_id: int, latest: list[list[object]], derive: list[int] | None = None) -> None:
    """After a capture batch commits: move its contacts' latest interaction (derived, eventually consistent).

    ``latest``: [contact id, ISO time] pairs, each contact only moves forward (one set-based
    ``GREATEST`` update); ``derive``: contacts re-derived from all their participations
    (deletions, moved meetings). Idempotent.
    """
    from activities.capture.ingest.records import contacts_latest_apply

    contacts_latest_apply(organization_id=organization_id, latest=latest, derive=derive or ())


# --- rollups for the team dashboards (see activities/rollups.py) ----------------------


@shared_task(
    queue="insight", autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def activity_rollups_refresh(organization_id: int, user_weeks: list[list[object]]) -> int:
    """Re-derive the weekly rollups of these [user id, ISO Monday] pairs (idempotent)."""
    import datetime

    from activities.rollups import activity_rollups_refresh as refresh

    pairs = [(int(str(user_id)), datetime.date.fromisoformat(str(week))) for user_id, week in user_weeks]
    return refresh(organization_id=organization_id, user_weeks=pairs)


@shared_task(queue="insight")
def activity_rollups_refresh_all() -> int:
    """Nightly: rebuild every organization's rollups, the safety net behind the incremental refreshes."""
    from activities.rollups import activity_rollups_rebuild
    from relintel.accounts.models import Organization

    total = 0
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        total += activity_rollups_rebuild(organization_id=organization_id)
    return total
