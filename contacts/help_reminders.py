"""Daily reminders of help the rep promised: due tomorrow, due today, overdue.

One email per rep, listing their open given help offers due by tomorrow. Idempotent
per rep and day without a table: before sending, the rep's key for the day is claimed
with ``cache.add`` (Redis ``SET NX``, so only one worker wins, and it expires after two
days); a send that fails releases the claim so a retry can send. A second run on the
same day sends nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone

from contacts.models import OPEN_HELP_STATUSES, HelpDirection, HelpOffer
from relintel.accounts.models import Membership

CLAIM_TTL = 2 * 24 * 3600
PER_REP_LIMIT = 50


@dataclass(frozen=True)
class ReminderResult:
    sent: int
    skipped: int  # already reminded today


def _claim_key(*, user_id: int, organization_id: int, day: datetime.date) -> str:
    return f"help-reminder:{organization_id}:{user_id}:{day.isoformat()}"


def _due_label(due: datetime.date, today: datetime.date) -> str:
    if due < today:
        days = (today - due).days
        return f"overdue by {days} day{'s' if days != 1 else ''}"
    return "due today" if due == today else "due tomorrow"


def reminder_text(*, name: str, offers: list[HelpOffer], today: datetime.date) -> str:
    lines = [f"Hello {name},", "", "Help you promised that is coming due:", ""]
    for offer in offers:
        assert offer.due_date is not None
        intro = f" → {offer.intro_contact.full_name}" if offer.intro_contact else ""
        lines.append(
            f"- {offer.get_kind_display()} for {offer.contact.full_name}{intro}: "
            f"{offer.description[:120]} ({_due_label(offer.due_date, today)})"
        )
    lines += ["", f"Deliver, decline or reschedule: {settings.RELINTEL_BASE_URL}{reverse('contacts:help_list')}"]
    return "\n".join(lines)


def help_offer_reminders_send(*, today: datetime.date | None = None) -> ReminderResult:
    """Email every rep their open given help offers due by tomorrow (overdue included)."""
    today = today or timezone.localdate()
    offers = (
        HelpOffer.objects.filter(
            direction=HelpDirection.GIVEN,
            status__in=OPEN_HELP_STATUSES,
            due_date__lte=today + datetime.timedelta(days=1),
            contact__merged_into__isnull=True,
        )
        .select_related("contact", "intro_contact")
        .order_by("organization_id", "user_id", "due_date", "id")
    )
    by_rep: dict[tuple[int, int], list[HelpOffer]] = defaultdict(list)
    for offer in offers.iterator(chunk_size=2000):
        rows = by_rep[(offer.organization_id, offer.user_id)]
        if len(rows) < PER_REP_LIMIT:
            rows.append(offer)
    if not by_rep:
        return ReminderResult(sent=0, skipped=0)
    members = {
        (m.organization_id, m.user_id): m
        for m in Membership.objects.filter(is_active=True, user__is_active=True)
        .filter(user_id__in={user_id for _, user_id in by_rep})
        .select_related("user")
    }
    sent = skipped = 0
    connection = get_connection()
    for key, rep_offers in by_rep.items():
        member = members.get(key)
        if member is None or not member.user.email:
            continue
        claim = _claim_key(organization_id=key[0], user_id=key[1], day=today)
        if not cache.add(claim, "1", timeout=CLAIM_TTL):
            skipped += 1
            continue
        count = len(rep_offers)
        message = EmailMessage(
            subject=f"Help you promised: {count} item{'s' if count != 1 else ''} due",
            body=reminder_text(name=member.user.display_name, offers=rep_offers, today=today),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[member.user.email],
            connection=connection,
        )
        try:
            message.send()
        except Exception:
            cache.delete(claim)  # let a retry send it
            raise
        sent += 1
    return ReminderResult(sent=sent, skipped=skipped)
