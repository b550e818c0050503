"""Thin Celery tasks for activities: re-read by id, call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def relationship_refresh(organization_id: int, contact_ids: list[int]) -> int:
    from activities import services

    return services.relationships_refresh(organization_id=organization_id, contact_ids=contact_ids)
