"""The sync health page (/manage/salesforce/health/), per-record history and retries (admins only).

The live part (connection, API budget, queue, progress) is re-fetched by htmx every few seconds
while something is running; every action also works as a plain form POST and a redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from relintel.accounts.decorators import admin_required
from relintel.accounts.models import Membership
from sync import selectors, services
from sync.forms import FailedFilterForm
from sync.models import SyncRun

POLL_SECONDS = 3


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _filters(request: HttpRequest) -> tuple[str, str]:
    form = FailedFilterForm(request.GET or None)
    if form.is_valid():
        return form.cleaned_data.get("kind") or "", form.cleaned_data.get("code") or ""
    return "", ""


def _back_to_health(request: HttpRequest) -> HttpResponse:
    kind, code = request.POST.get("kind", ""), request.POST.get("code", "")
    query = urlencode({k: v for k, v in (("kind", kind), ("code", code)) if v})
    return redirect(reverse("sync:health") + (f"?{query}#failed" if query else "#failed"))


def _duration(run: SyncRun) -> str:
    if run.finished_at is None:
        return "running"
    seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@never_cache
@require_GET
@admin_required
def health_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    health = selectors.sync_health_of(membership=membership)
    context = {"health": health, "poll_seconds": POLL_SECONDS}
    if request.GET.get("part") == "live":
        return render(request, "sync/_health_live.html", context)
    kind, code = _filters(request)
    context.update(
        {
            "filter_form": FailedFilterForm(initial={"kind": kind, "code": code}),
            "kind": kind,
            "code": code,
            "failed": selectors.outbox_failed_records(membership=membership, kind=kind, code=code),
            "runs": [
                {"run": run, "duration": _duration(run)} for run in selectors.sync_runs_recent(membership=membership)
            ],
            "conflicts": selectors.sync_conflicts_recent(membership=membership, limit=20),
        }
    )
    return render(request, "sync/health.html", context)


@require_POST
@admin_required
def outbox_retry(request: HttpRequest, outbox_entry_id: int) -> HttpResponse:
    retried = services.outbox_retry_for(membership=_membership(request), entry_id=outbox_entry_id)
    text = (
        "Queued again: it is pushed on the next run."
        if retried
        else "Not retried: it is no longer failed, or a newer change to it is already queued."
    )
    if _is_htmx(request):
        return render(request, "sync/_health_retried.html", {"retried": retried, "text": text})
    (messages.success if retried else messages.info)(request, text)
    return _back_to_health(request)


@require_POST
@admin_required
def outbox_retry_failed(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "").strip()[:80]
    count = services.outbox_retry_failed_for(membership=_membership(request), code=code)
    which = f" with {code}" if code else ""
    messages.success(request, f"{count} failed record{'s' if count != 1 else ''}{which} queued again.")
    return redirect(reverse("sync:health") + "#failed")


@require_POST
@admin_required
def initial_sync(request: HttpRequest) -> HttpResponse:
    try:
        counts = services.salesforce_initial_sync_start(membership=_membership(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("sync:health")
    total = sum(counts.values()) if isinstance(counts, dict) else 0
    messages.success(request, f"Initial sync started: {total:,} records queued for Salesforce.")
    return redirect("sync:health")


@never_cache
@require_GET
@admin_required
def record_history(request: HttpRequest, kind: str, local_id: int) -> HttpResponse:
    history = selectors.sync_record_history(membership=_membership(request), kind=kind, local_id=local_id)
    return render(request, "sync/health_record.html", {"history": history})
