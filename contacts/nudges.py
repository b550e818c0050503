"""Writes for the Today list: what a rep did with one of its items (done, snoozed, dismissed).

Nudges are computed on read (``relintel.dashboards.today``); this records the member's
answer to one, keyed by the item's ``key``, with the ``fingerprint`` of the fact it
answered so a changed fact brings the item back. The caller resolves the key through
the Today selectors first, so only an item the member may see is ever recorded.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contacts.models import NudgeAction, NudgeState
from relintel.accounts.models import Membership

SNOOZE_CHOICES = {"tomorrow": "Tomorrow", "next_week": "Next week"}
# Snoozed items come back at the start of a working morning, not at midnight.
MORNING = datetime.time(8, 0)


def snooze_until(*, choice: str, now: datetime.datetime) -> datetime.datetime:
    """When a snoozed item returns: tomorrow morning, or next Monday morning (local time)."""
    today = timezone.localdate(now)
    if choice == "tomorrow":
        day = today + datetime.timedelta(days=1)
    elif choice == "next_week":
        day = today + datetime.timedelta(days=7 - today.weekday())
    else:
        raise ValidationError({"snooze": [f"“{choice}” is not a snooze choice: use tomorrow or next_week."]})
    return timezone.make_aware(datetime.datetime.combine(day, MORNING), timezone.get_current_timezone())


@transaction.atomic
def nudge_action_record(
    *,
    membership: Membership,
    key: str,
    state: str,
    fingerprint: str = "",
    snooze: str = "tomorrow",
    now: datetime.datetime | None = None,
) -> NudgeAction:
    """Record (or replace) the member's answer to the item ``key``."""
    if state not in NudgeState.values:
        raise ValidationError({"action": [f"“{state}” is not an action: use done, snoozed or dismissed."]})
    now = now or timezone.now()
    until = snooze_until(choice=snooze, now=now) if state == NudgeState.SNOOZED else None
    action, _ = NudgeAction.objects.update_or_create(
        user_id=membership.user_id,
        key=key,
        defaults={
            "organization_id": membership.organization_id,
            "state": state,
            "fingerprint": fingerprint,
            "until": until,
        },
    )
    return action


@transaction.atomic
def nudge_action_clear(*, membership: Membership, key: str) -> bool:
    """Undo: forget the member's answer to ``key`` so the item shows again. False if none."""
    deleted, _ = NudgeAction.objects.filter(user_id=membership.user_id, key=key).delete()
    return deleted > 0
