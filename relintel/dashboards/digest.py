"""The weekly digest: each member's Today list by email, Monday morning.

The content is the Today page's (``today.today_list``): the same rules, the same hidden
items. An empty list sends nothing.

Idempotent per member and week: before sending, a ``DigestDelivery`` row for
(organization, user, the week's Monday) is claimed; the unique constraint lets only one
worker claim it, and a sent row is never sent again. A claim whose worker died before
sending expires after ``CLAIM_LEASE`` and can be claimed again; a send that fails
releases its claim so a retry can send.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from relintel.accounts.models import Membership
from relintel.dashboards import today
from relintel.dashboards.models import DigestDelivery

CLAIM_LEASE = datetime.timedelta(minutes=15)

SENT, EMPTY, ALREADY_SENT, IN_PROGRESS = "sent", "empty", "already sent", "being sent by another worker"


@dataclass(frozen=True)
class Digest:
    membership: Membership
    week: datetime.date
    page: today.TodayList
    subject: str
    text: str
    html: str

    @property
    def is_empty(self) -> bool:
        return self.page.total == 0


def week_of(now: datetime.datetime) -> datetime.date:
    """The Monday (local time) of the week ``now`` falls in."""
    day = timezone.localdate(now)
    return day - datetime.timedelta(days=day.weekday())


def digest_members(*, organization_id: int | None = None) -> QuerySet[Membership]:
    """Active members of active users: who gets a digest."""
    qs = Membership.objects.filter(is_active=True, user__is_active=True).select_related("user", "organization")
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.order_by("organization_id", "id")


def digest_build(*, membership: Membership, now: datetime.datetime | None = None) -> Digest:
    now = now or timezone.now()
    page = today.today_list(membership=membership, now=now)
    base_url = settings.RELINTEL_BASE_URL.rstrip("/")
    context = {
        "membership": membership,
        "user": membership.user,
        "page": page,
        "groups": [g for g in page.groups if g.items],
        "base_url": base_url,
        "home_url": base_url + reverse("dashboards:home"),
        "today": timezone.localdate(now),
    }
    total = page.total
    subject = f"Your week in Relintel: {total} thing{'s' if total != 1 else ''} to look at"
    return Digest(
        membership=membership,
        week=week_of(now),
        page=page,
        subject=subject,
        text=render_to_string("dashboards/email/digest.txt", context),
        html=render_to_string("dashboards/email/digest.html", context),
    )


def _claim(*, membership: Membership, week: datetime.date, now: datetime.datetime) -> DigestDelivery | str:
    """This worker's claim on the member's digest for ``week``, or why there is none."""
    try:
        with transaction.atomic():
            return DigestDelivery.objects.create(
                organization_id=membership.organization_id, user_id=membership.user_id, week=week, claimed_at=now
            )
    except IntegrityError:
        pass
    existing = DigestDelivery.objects.filter(
        organization_id=membership.organization_id, user_id=membership.user_id, week=week
    ).first()
    if existing is None:  # released between our insert and our read: someone is retrying
        return IN_PROGRESS
    if existing.sent_at is not None:
        return ALREADY_SENT
    # Take over a stale claim only if nobody else did first (a conditional update).
    taken = DigestDelivery.objects.filter(
        pk=existing.pk, sent_at__isnull=True, claimed_at__lt=now - CLAIM_LEASE
    ).update(claimed_at=now)
    if not taken:
        return IN_PROGRESS
    existing.claimed_at = now
    return existing


def digest_send(
    *,
    membership: Membership,
    now: datetime.datetime | None = None,
    week: datetime.date | None = None,
    connection: BaseEmailBackend | None = None,
) -> str:
    """Send the member's digest for the week unless it is empty or already sent; says which."""
    now = now or timezone.now()
    digest = digest_build(membership=membership, now=now)
    if digest.is_empty:
        return EMPTY
    claim = _claim(membership=membership, week=week or digest.week, now=now)
    if isinstance(claim, str):
        return claim
    message = EmailMultiAlternatives(
        subject=digest.subject,
        body=digest.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[membership.user.email],
        connection=connection or get_connection(),
    )
    message.attach_alternative(digest.html, "text/html")
    try:
        message.send()
    except Exception:
        # Release the claim so that a retry can send it.
        DigestDelivery.objects.filter(pk=claim.pk, sent_at__isnull=True).delete()
        raise
    DigestDelivery.objects.filter(pk=claim.pk).update(sent_at=timezone.now(), item_count=digest.page.total)
    return SENT
