"""Intro requests: a rep asks a teammate for a warm introduction.

Reads are scoped to the member's organization and to the two people a request is
between: anyone else, teammate or outsider, gets a 404. Only the introducer may accept,
decline or deliver; only the requester may cancel.

Delivering records the introduction on both ledgers, as delivered help of kind
``intro`` about the target (``HelpOffer.contact`` is always the contact helped or
helping; ``user`` the rep on our side):

* the introducer's: help **given** to the target ("Intro: <target> to <requester>"),
  ``intro_contact`` the bridge when the path went through one. This is the row
  ``IntroRequest.help_offer`` links to, and it counts in the introducer's give-first index;
* the requester's: help **received** from the target's side of the introduction
  ("Introduced to <target> by <introducer>"), so their relationship shows how it began.

The introducer is told by email after commit (a task, so a slow mail server never
holds up the page).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from contacts import services as contact_services
from contacts import tasks
from contacts.models import (
    OPEN_INTRO_STATUSES,
    Contact,
    HelpDirection,
    HelpKind,
    HelpStatus,
    IntroRequest,
    IntroStatus,
)
from relintel.accounts.models import Membership, User

MESSAGE_MAX = 2000

# Allowed moves, by action: from which statuses, to which.
_MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((IntroStatus.PENDING,), IntroStatus.ACCEPTED),
    "decline": ((IntroStatus.PENDING, IntroStatus.ACCEPTED), IntroStatus.DECLINED),
    "deliver": ((IntroStatus.PENDING, IntroStatus.ACCEPTED), IntroStatus.DELIVERED),
    "cancel": ((IntroStatus.PENDING, IntroStatus.ACCEPTED), IntroStatus.CANCELLED),
}
INTRODUCER_ACTIONS = ("accept", "decline", "deliver")
REQUESTER_ACTIONS = ("cancel",)


# --- reads ---------------------------------------------------------------------------


def intro_requests_for(*, membership: Membership) -> QuerySet[IntroRequest]:
    """Requests the member made or was asked: nobody else's."""
    return (
        IntroRequest.objects.filter(organization_id=membership.organization_id)
        .filter(Q(requester_id=membership.user_id) | Q(introducer_id=membership.user_id))
        .select_related("requester", "introducer", "target", "target__company", "via", "help_offer")
    )


def intro_request_get(*, membership: Membership, request_id: int) -> IntroRequest:
    try:
        return intro_requests_for(membership=membership).get(pk=request_id)
    except (IntroRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such intro request") from None


def intro_request_get_for(*, membership: Membership, request_id: int, action: str) -> IntroRequest:
    """The request, if the member is the one who may take ``action`` on it; else a 404."""
    request = intro_request_get(membership=membership, request_id=request_id)
    actor = request.introducer_id if action in INTRODUCER_ACTIONS else request.requester_id
    if actor != membership.user_id:
        raise Http404("No such intro request")
    return request


@dataclass(frozen=True)
class IntroInbox:
    waiting: list[IntroRequest]  # asked of me, still open
    made: list[IntroRequest]  # asked by me, latest first
    answered: list[IntroRequest]  # asked of me and closed, latest first


def intro_inbox(*, membership: Membership, limit: int = 50) -> IntroInbox:
    """The intro requests page: three bounded lists, one query each."""
    base = intro_requests_for(membership=membership)
    me = membership.user_id
    return IntroInbox(
        waiting=list(
            base.filter(introducer_id=me, status__in=OPEN_INTRO_STATUSES).order_by("created_at", "id")[:limit]
        ),
        made=list(base.filter(requester_id=me).order_by("-created_at", "-id")[:limit]),
        answered=list(
            base.filter(introducer_id=me).exclude(status__in=OPEN_INTRO_STATUSES).order_by("-created_at", "-id")[:limit]
        ),
    )


def intro_request_list(*, membership: Membership, role: str = "", status: str = "") -> QuerySet[IntroRequest]:
    """For the API: ``role`` "made" or "received" narrows to one side."""
    qs = intro_requests_for(membership=membership)
    if role == "made":
        qs = qs.filter(requester_id=membership.user_id)
    elif role == "received":
        qs = qs.filter(introducer_id=membership.user_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def open_asks(*, membership: Membership, target: Contact) -> set[int]:
    """Whom the member has already asked (still open) for an introduction to ``target``."""
    return set(
        IntroRequest.objects.filter(
            organization_id=membership.organization_id,
            requester_id=membership.user_id,
            target=target,
            status__in=OPEN_INTRO_STATUSES,
        ).values_list("introducer_id", flat=True)
    )


def open_request_exists(*, membership: Membership, introducer_id: int, target_id: int) -> bool:
    return IntroRequest.objects.filter(
        organization_id=membership.organization_id,
        requester_id=membership.user_id,
        introducer_id=introducer_id,
        target_id=target_id,
        status__in=OPEN_INTRO_STATUSES,
    ).exists()


# --- writes --------------------------------------------------------------------------


def _active_member(*, membership: Membership, user: User) -> Membership | None:
    return (
        Membership.objects.filter(
            organization_id=membership.organization_id, user=user, is_active=True, user__is_active=True
        )
        .select_related("user", "organization")
        .first()
    )


@transaction.atomic
def intro_request_create(
    *,
    membership: Membership,
    target: Contact,
    introducer: User,
    via: Contact | None = None,
    message: str = "",
) -> IntroRequest:
    """Ask ``introducer`` (a teammate) to introduce the member to ``target``, maybe through ``via``."""
    errors: dict[str, list[str]] = {}
    if target.organization_id != membership.organization_id or target.merged_into_id is not None:
        errors["target"] = ["No such contact."]
    if introducer.pk == membership.user_id:
        errors["introducer"] = ["Ask a teammate: you cannot ask yourself for an introduction."]
    elif _active_member(membership=membership, user=introducer) is None:
        errors["introducer"] = ["No such member."]
    if via is not None:
        if via.organization_id != membership.organization_id or via.merged_into_id is not None:
            errors["via"] = ["No such contact."]
        elif via.pk == target.pk:
            errors["via"] = ["The bridge must be someone other than the person you want to meet."]
    if len(message) > MESSAGE_MAX:
        errors["message"] = [f"Keep the message under {MESSAGE_MAX} characters."]
    if not errors and open_request_exists(membership=membership, introducer_id=introducer.pk, target_id=target.pk):
        errors["introducer"] = [f"You already asked {introducer.display_name} for this introduction."]
    if errors:
        raise ValidationError(errors)
    request = IntroRequest(
        organization_id=membership.organization_id,
        requester=membership.user,
        introducer=introducer,
        target=target,
        via=via,
        message=message.strip(),
    )
    request.full_clean()
    request.save()
    request_id = request.pk
    transaction.on_commit(lambda: tasks.intro_request_notify.delay(request_id))
    return request


def _move(request: IntroRequest, *, action: str) -> IntroRequest:
    """Lock the row and check the move: two clicks must not both succeed from a stale state."""
    locked = IntroRequest.objects.select_for_update().get(pk=request.pk)
    allowed_from, to = _MOVES[action]
    if locked.status not in allowed_from:
        raise ValidationError(
            {"status": [f"This request is {locked.get_status_display().lower()}: it cannot be {to} now."]}
        )
    # Keep the related objects the caller fetched (names for messages and pages).
    for name in ("requester", "introducer", "target", "via"):
        setattr(locked, name, getattr(request, name))
    locked.status = to
    return locked


@transaction.atomic
def intro_request_accept(*, request: IntroRequest, response: str = "") -> IntroRequest:
    request = _move(request, action="accept")
    request.response = response.strip()[:MESSAGE_MAX]
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "response", "responded_at"])
    return request


@transaction.atomic
def intro_request_decline(*, request: IntroRequest, response: str = "") -> IntroRequest:
    request = _move(request, action="decline")
    request.response = response.strip()[:MESSAGE_MAX]
    request.responded_at = request.responded_at or timezone.now()
    request.save(update_fields=["status", "response", "responded_at"])
    return request


@transaction.atomic
def intro_request_cancel(*, request: IntroRequest) -> IntroRequest:
    request = _move(request, action="cancel")
    request.save(update_fields=["status"])
    return request


@transaction.atomic
def intro_request_deliver(*, request: IntroRequest, response: str = "") -> IntroRequest:
    """Mark the introduction made and record it on both ledgers (see the module's docstring)."""
    request = _move(request, action="deliver")
    introducer = Membership.objects.select_related("user", "organization").get(
        organization_id=request.organization_id, user_id=request.introducer_id
    )
    requester = Membership.objects.select_related("user", "organization").get(
        organization_id=request.organization_id, user_id=request.requester_id
    )
    target, via = request.target, request.via
    given = contact_services.help_offer_create(
        membership=introducer,
        contact=target,
        kind=HelpKind.INTRO,
        description=f"Intro: {target.full_name} to {requester.user.display_name}",
        direction=HelpDirection.GIVEN,
        intro_contact=via if via is not None and via.pk != target.pk else None,
        status=HelpStatus.DELIVERED,
    )
    contact_services.help_offer_create(
        membership=requester,
        contact=target,
        kind=HelpKind.INTRO,
        description=f"Introduced to {target.full_name} by {introducer.user.display_name}"
        + (f" through {via.full_name}" if via is not None else ""),
        direction=HelpDirection.RECEIVED,
        status=HelpStatus.DELIVERED,
    )
    now = timezone.now()
    if response.strip():
        request.response = response.strip()[:MESSAGE_MAX]
    request.responded_at = request.responded_at or now
    request.delivered_at = now
    request.help_offer = given
    request.save(update_fields=["status", "response", "responded_at", "delivered_at", "help_offer"])
    return request


ACTIONS = {
    "accept": intro_request_accept,
    "decline": intro_request_decline,
    "deliver": intro_request_deliver,
}


def intro_request_act(*, request: IntroRequest, action: str, response: str = "") -> IntroRequest:
    """One of accept, decline, deliver (introducer) or cancel (requester)."""
    if action == "cancel":
        return intro_request_cancel(request=request)
    return ACTIONS[action](request=request, response=response)
