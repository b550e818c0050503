"""Thin Celery tasks for the dashboards: the weekly digest, fanned out one task per member."""

from __future__ import annotations

import datetime
import smtplib

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from relintel.dashboards import digest


@shared_task
def digest_send_weekly() -> int:
    """Monday morning (beat): one task per active member, all for this week."""
    from relintel.dashboards.tasks import digest_send_member

    week = digest.week_of(timezone.now()).isoformat()
    ids = list(digest.digest_members().values_list("id", flat=True))
    for membership_id in ids:
        digest_send_member.delay(membership_id, week)
    return len(ids)


@shared_task(
    autoretry_for=(ConnectionError, OperationalError, smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def digest_send_member(membership_id: int, week: str) -> str:
    """Send one member's digest for ``week`` (a Monday); a retry or a second run sends nothing twice."""
    membership = digest.digest_members().filter(pk=membership_id).first()
    if membership is None:
        return "no longer a member"
    return digest.digest_send(membership=membership, week=datetime.date.fromisoformat(week))
