"""Acting on a Today item: resolve its key to something the member may act on, then record.

"Done" means something different per kind, so it is spelled out here:
- a reply owed: "Replied" (e.g. answered from a phone); hidden for good;
- help promised: "Delivered": the help offer moves to delivered (the same transition as
  the help pages), which also takes it off the list; it cannot be undone from Today;
- going cold: "Reached out"; hidden until the relationship's facts change (a new band
  drop, or silence again after the next interaction);
- introductions asked of me and suggested introductions have no "done": they are answered
  through their own flow (accept, decline, deliver; accept or dismiss the suggestion).
Snooze and dismiss work for every kind.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from activities.models import Interaction
from activities.replies import LOOK_BACK as REPLY_LOOK_BACK
from contacts import nudges
from contacts.models import (
    Contact,
    HelpOffer,
    HelpStatus,
    IntroRequest,
    IntroSuggestion,
    NudgeAction,
    NudgeState,
)
from contacts.services import help_offer_transition
from relintel.accounts.models import Membership
from relintel.dashboards import today

ACTIONS = {"done": NudgeState.DONE, "snooze": NudgeState.SNOOZED, "dismiss": NudgeState.DISMISSED}


@dataclass(frozen=True)
class NudgeOutcome:
    item: today.NudgeItem
    action: NudgeAction
    # Whether undo puts things back as they were (not after delivering help).
    undoable: bool

    @property
    def message(self) -> str:
        if self.action.state == NudgeState.SNOOZED and self.action.until is not None:
            local = timezone.localtime(self.action.until)
            return f"Snoozed until {local:%a %-d %b, %H:%M}."
        if self.action.state == NudgeState.DISMISSED:
            return "Dismissed."
        return f"{self.item.done_label or 'Done'}."


@transaction.atomic
def nudge_act(
    *, membership: Membership, key: str, action: str, snooze: str = "tomorrow", now: datetime.datetime | None = None
) -> NudgeOutcome:
    """Done, snooze or dismiss the item ``key`` (404 when it names nothing of the member's)."""
    now = now or timezone.now()
    # The key first: to anyone but its member an item does not exist, whatever they ask.
    item = today.nudge_get(membership=membership, key=key, now=now)
    if action not in ACTIONS:
        raise ValidationError({"action": [f"“{action}” is not an action: use done, snooze or dismiss."]})
    undoable = True
    if action == "done":
        if item.kind in (today.INTRO, today.SUGGESTION):
            raise ValidationError(
                {"action": ["An introduction is answered through its own flow (accept, decline or deliver)."]}
            )
        if item.kind == today.HELP:
            help_offer_transition(offer=item.obj, status=HelpStatus.DELIVERED)
            undoable = False
    recorded = nudges.nudge_action_record(
        membership=membership,
        key=item.key,
        state=ACTIONS[action],
        fingerprint=item.fingerprint,
        snooze=snooze,
        now=now,
    )
    return NudgeOutcome(item=item, action=recorded, undoable=undoable)


def nudge_undo(*, membership: Membership, key: str, now: datetime.datetime | None = None) -> today.NudgeItem:
    """Show the item ``key`` again (404 when it names nothing of the member's)."""
    item = today.nudge_get(membership=membership, key=key, now=now)
    nudges.nudge_action_clear(membership=membership, key=item.key)
    return item


# --- pruning ---------------------------------------------------------------------------------------
# A rep's answers to Today items pile up: every reply dismissed, every snooze. Those that can no
# longer hide anything are deleted nightly, so hiding stays a lookup in a small table.

# What each kind's key names, for answers whose object is gone.
_KEY_OBJECTS: dict[str, type[models.Model]] = {
    today.REPLY: Interaction,
    today.HELP: HelpOffer,
    today.COLD: Contact,
    today.INTRO: IntroRequest,
    today.SUGGESTION: IntroSuggestion,
}
# A snooze that ran out hides nothing; kept a day for the page's "undo" offer.
SNOOZE_GRACE = datetime.timedelta(days=1)


def nudge_actions_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the answers that can no longer hide anything; returns how many.

    Snoozes that ran out; done or dismissed replies older than the replies' look-back window
    (their email can no longer be listed); answers whose object (email, offer, contact,
    request, suggestion) was deleted.
    """
    now = now or timezone.now()
    stale = Q(state=NudgeState.SNOOZED, until__lt=now - SNOOZE_GRACE) | Q(
        key__startswith=f"{today.REPLY}:",
        state__in=(NudgeState.DONE, NudgeState.DISMISSED),
        created_at__lt=now - REPLY_LOOK_BACK,
    )
    deleted, _ = NudgeAction.objects.filter(stale).delete()
    for kind, model in _KEY_OBJECTS.items():
        prefix = f"{kind}:"
        # Keys are written only through ``today.parse_key``: the rest is always digits.
        named = Cast(Substr("key", len(prefix) + 1), BigIntegerField())
        orphans = (
            NudgeAction.objects.filter(key__startswith=prefix)
            .annotate(object_id=named)
            .exclude(Exists(model._default_manager.filter(pk=OuterRef("object_id"))))
        )
        gone, _ = NudgeAction.objects.filter(pk__in=orphans.values("pk")).delete()
        deleted += gone
    return deleted
