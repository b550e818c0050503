"""The manager's team dashboard, its CSV exports and the target-account list (thin views)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts.selectors import company_get, company_list
from contacts.targets import can_manage_targets, target_account_add, target_account_get, target_account_remove
from relintel.accounts.decorators import manager_required
from relintel.accounts.models import Membership, Team
from relintel.dashboards.team import team_choose, team_figures
from relintel.dashboards.team_accounts import target_coverage
from relintel.dashboards.team_charts import team_charts
from relintel.dashboards.team_csv import CHARTS, csv_filename, csv_safe
from relintel.dashboards.team_period import PRESETS, period_parse, period_preset

SEARCH_LIMIT = 10


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _team_id(request: HttpRequest) -> int | None:
    raw = (request.GET.get("team") or request.POST.get("team") or "").strip()
    if raw and not raw.isdigit():
        raise Http404("No such team")
    return int(raw) if raw else None


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@require_GET
@manager_required
def team_dashboard(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    team_id = _team_id(request)
    today = timezone.localdate()
    try:
        period = period_parse(request.GET, today=today)
    except ValidationError as exc:
        team, teams = team_choose(membership=membership, team_id=team_id)
        context = {"team": team, "teams": teams, "errors": exc.message_dict, "presets": PRESETS, "values": request.GET}
        return render(
            request, "dashboards/team.html", {**context, "period": period_preset("12w", today=today)}, status=400
        )
    figures = team_figures(membership=membership, team_id=team_id, period=period)
    base = {"team": figures.team.pk if figures.team else None, **period.query()}
    return render(
        request,
        "dashboards/team.html",
        {
            "dash": figures,
            "team": figures.team,
            "teams": figures.teams,
            "period": period,
            "presets": PRESETS,
            "values": request.GET,
            "charts": team_charts(figures) if figures.team else None,
            "csv": {chart: f"{reverse('dashboards:team_csv')}?{_query(**base, chart=chart)}" for chart in CHARTS},
            "can_manage_targets": can_manage_targets(membership=membership, team=figures.team),
            "targets_url": f"{reverse('dashboards:team_targets')}?{_query(team=base['team'])}",
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _stream(rows: Iterator[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


@require_GET
@manager_required
def team_csv(request: HttpRequest) -> HttpResponse:
    """One chart's or table's figures as CSV: ``?chart=activity|relationships|givefirst|…``."""
    chart = request.GET.get("chart", "")
    if chart not in CHARTS:
        return HttpResponseBadRequest(f"chart: choose one of {', '.join(CHARTS)}.", content_type="text/plain")
    membership = _membership(request)
    team_id = _team_id(request)
    try:
        period = period_parse(request.GET, today=timezone.localdate())
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return HttpResponseBadRequest(problems, content_type="text/plain")
    figures = team_figures(membership=membership, team_id=team_id, period=period, sections=CHARTS[chart].sections)
    if figures.team is None:
        raise Http404("No team to export")
    response = StreamingHttpResponse(_stream(CHARTS[chart].rows(figures)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(figures=figures, chart=chart)}"'
    return response  # type: ignore[return-value]  # streamed: the guard decorator types views as HttpResponse


def _targets_team(membership: Membership, request: HttpRequest) -> tuple[Team | None, list[Team]]:
    """The list being managed: ``team=org`` is the organization-wide list (admins only)."""
    raw = (request.GET.get("team") or request.POST.get("team") or "").strip()
    if raw == "org":
        if not membership.is_admin:
            raise Http404("No such team")
        return None, team_choose(membership=membership, team_id=None)[1]
    return team_choose(membership=membership, team_id=_team_id(request))


@require_http_methods(["GET", "POST"])
@manager_required
def team_targets(request: HttpRequest) -> HttpResponse:
    """The team's target accounts: coverage, a company search and add/remove for who may."""
    membership = _membership(request)
    team, teams = _targets_team(membership, request)
    org_wide = team is None and membership.is_admin
    team_param = "org" if org_wide else (team.pk if team else "")
    can_manage = can_manage_targets(membership=membership, team=team) and (team is not None or org_wide)
    here = f"{reverse('dashboards:team_targets')}?{_query(team=team_param)}"
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        raw = request.POST.get("company", "").strip()
        if not raw.isdigit():
            messages.error(request, "company: choose a company from the search.")
            return redirect(here)
        company = company_get(membership=membership, company_id=int(raw))
        try:
            target_account_add(membership=membership, company=company, team=team)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                messages.error(request, f"{field}: {' '.join(msgs)}")
        else:
            messages.success(request, f"{company.name} is now a target account.")
        return redirect(here)
    q = request.GET.get("q", "").strip()[:200]
    matches = list(company_list(membership=membership, q=q)[:SEARCH_LIMIT]) if q else []
    members = (
        list(Membership.objects.filter(organization_id=membership.organization_id, team=team, is_active=True)
             .values_list("user_id", flat=True)[:200])
        if team is not None else []
    )  # fmt: skip
    coverage = target_coverage(organization_id=membership.organization_id, team=team, user_ids=members)
    if org_wide:
        coverage = [c for c in coverage if c.org_wide]
    return render(
        request,
        "dashboards/team_targets.html",
        {
            "team": team,
            "teams": teams,
            "org_wide": org_wide,
            "team_param": team_param,
            "coverage": coverage,
            "q": q,
            "matches": matches,
            "on_list": {c.company_id for c in coverage},
            "can_manage": can_manage,
            "dashboard_url": f"{reverse('dashboards:team')}?{_query(team=team.pk if team else '')}",
        },
    )


@require_POST
@manager_required
def team_target_remove(request: HttpRequest, target_id: int) -> HttpResponse:
    membership = _membership(request)
    target = target_account_get(membership=membership, target_id=target_id)
    target_account_remove(membership=membership, target=target)
    messages.success(request, f"{target.company.name} is no longer a target account.")
    team_param = target.team_id if target.team_id else ("org" if membership.is_admin else "")
    return redirect(f"{reverse('dashboards:team_targets')}?{_query(team=team_param)}")
