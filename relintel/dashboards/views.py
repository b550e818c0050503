"""The rep's Today page and the manager's team page: compositions of the domain apps' reads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relintel.accounts.decorators import manager_required, member_required
from relintel.accounts.models import Membership
from relintel.dashboards import selectors


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


@require_GET
@member_required
def home(request: HttpRequest) -> HttpResponse:
    today = selectors.rep_today(membership=_membership(request))
    return render(request, "dashboards/home.html", {"page": today, "today": today.today})


@require_GET
@manager_required
def team(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("team", "").strip()
    if raw and not raw.isdigit():
        raise Http404("No such team")
    dashboard = selectors.team_dashboard(membership=_membership(request), team_id=int(raw) if raw else None)
    return render(request, "dashboards/team.html", {"dash": dashboard})
