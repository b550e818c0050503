"""Thin Celery tasks for the dashboards: the weekly digest (one task per member) and team figures."""

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


@shared_task
def nudge_actions_prune() -> int:
    """Nightly (beat): delete reps' answers to Today items that can no longer hide anything."""
    from relintel.dashboards import services

    return services.nudge_actions_prune()


@shared_task
def team_figures_warm_all() -> int:
    """Beat, every few minutes: one task per organization re-computing its teams' slow figures."""
    from relintel.accounts.models import Organization
    from relintel.dashboards.tasks import team_figures_warm

    ids = list(Organization.objects.values_list("pk", flat=True))
    for organization_id in ids:
        team_figures_warm.delay(organization_id)
    return len(ids)


@shared_task(
    autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, retry_backoff_max=300, max_retries=3
)
def team_figures_warm(organization_id: int) -> int:
    from relintel.accounts.models import Organization
    from relintel.dashboards.team import team_figures_warm as warm

    organization = Organization.objects.filter(pk=organization_id).first()
    return 0 if organization is None else warm(organization=organization)
