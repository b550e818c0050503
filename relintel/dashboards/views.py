"""The rep's Today page and its actions (the manager's team page is in ``team_views``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contacts.models import NudgeAction
from contacts.nudges import SNOOZE_CHOICES
from relintel.accounts.decorators import member_required
from relintel.accounts.models import Membership
from relintel.dashboards import selectors, services, today


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def _undo_offer(request: HttpRequest, membership: Membership) -> NudgeAction | None:
    """After a plain (no-JS) dismiss or snooze, the page offers to undo it."""
    key = request.GET.get("acted", "")
    if not key:
        return None
    return NudgeAction.objects.filter(user_id=membership.user_id, key=key[:100]).first()


@require_GET
@member_required
def home(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    page = today.today_list(membership=membership)
    return render(
        request,
        "dashboards/home.html",
        {
            "page": page,
            "today": timezone.localdate(page.now),
            "recent": selectors.my_recent_interactions(membership=membership),
            "undo": _undo_offer(request, membership),
            "snooze_choices": SNOOZE_CHOICES,
        },
    )


@require_POST
@member_required
def nudge_act(request: HttpRequest, nudge_key: str) -> HttpResponse:
    membership = _membership(request)
    try:
        outcome = services.nudge_act(
            membership=membership,
            key=nudge_key,
            action=request.POST.get("action", ""),
            snooze=request.POST.get("snooze", "tomorrow"),
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if _is_htmx(request):
            item = today.nudge_get(membership=membership, key=nudge_key)
            return render(
                request,
                "dashboards/_nudge_item.html",
                {"item": item, "row_error": error, "snooze_choices": SNOOZE_CHOICES},
            )
        messages.error(request, error)
        return redirect(reverse("dashboards:home") + "#today")
    if _is_htmx(request):
        return render(request, "dashboards/_nudge_acted.html", {"outcome": outcome})
    messages.success(request, f"{outcome.item.title}: {outcome.message}")
    if outcome.undoable:
        return redirect(reverse("dashboards:home") + f"?acted={outcome.item.key}#today")
    return redirect(reverse("dashboards:home") + "#today")


@require_POST
@member_required
def nudge_undo(request: HttpRequest, nudge_key: str) -> HttpResponse:
    item = services.nudge_undo(membership=_membership(request), key=nudge_key)
    if _is_htmx(request):
        return render(request, "dashboards/_nudge_item.html", {"item": item, "snooze_choices": SNOOZE_CHOICES})
    messages.success(request, f"{item.title}: back on your list.")
    return redirect(reverse("dashboards:home") + "#today")
