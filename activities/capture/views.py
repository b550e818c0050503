"""Capture pages: a member's sources (/settings/capture/), the admins' capture policy and
health of every source (/manage/capture/), and "why wasn't this email captured?" (/capture/why/).

Sources come through selectors that return only the member's own: any other id is a 404.
Inline actions use htmx and fall back to a plain form POST and a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.capture import selectors, services
from activities.capture.forms import CaptureAccountForm, CapturePolicyForm, ExclusionForm, RemoveAccountForm, WhyForm
from activities.capture.sources.diagnostics import ConnectionReport, test_connection
from activities.capture.sources.runner import capture_account_poll_now
from activities.forms import apply_service_errors
from activities.models import CaptureKind
from relintel.accounts.decorators import admin_required, member_required
from relintel.accounts.models import Membership

UPLOAD_URL = "/capture/upload/"


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _kind_or_404(kind: str) -> str:
    if kind not in CaptureKind.values:
        raise Http404("No such kind of source")
    return kind


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- my sources ----------------------------------------------------------------------------


@never_cache
@require_GET
@member_required
def settings_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    return render(
        request,
        "capture/settings.html",
        {
            "health": selectors.capture_health_of(membership=membership),
            "logging_address": services.logging_address_for(membership=membership),
            "personal_exclusions": selectors.exclusions_personal(membership=membership),
            "organization_exclusions": selectors.exclusions_organization(membership=membership),
            "exclusion_form": ExclusionForm(),
            "kinds": CaptureKind.choices,
            "upload_url": UPLOAD_URL,
        },
    )


def _report_response(
    request: HttpRequest, report: ConnectionReport, *, template: str, context: dict[str, Any]
) -> HttpResponse:
    if _is_htmx(request):
        return render(request, "capture/_connection_report.html", {"report": report})
    return render(request, template, {**context, "report": report})


@never_cache
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
@member_required
def account_create(request: HttpRequest, kind: str) -> HttpResponse:
    membership = _membership(request)
    kind = _kind_or_404(kind)
    policy = selectors.capture_policy_for(membership=membership)
    form = CaptureAccountForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        default_privacy_level=policy.default_privacy_level,
    )
    context: dict[str, Any] = {"form": form, "kind": kind, "kind_label": CaptureKind(kind).label}
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "test":
                # Try the typed settings before anything is saved.
                account = services.capture_account_build(membership=membership, kind=kind, **form.service_kwargs())
                report = test_connection(account, secret=form.cleaned_data.get("secret") or None)
                return _report_response(request, report, template="capture/account_form.html", context=context)
            account = services.capture_account_create(membership=membership, kind=kind, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error, field_map={})
        else:
            messages.success(request, f"“{account.name}” connected. The first sync starts in a moment.")
            return redirect("capture:settings")
    if request.method == "POST" and _is_htmx(request) and request.POST.get("action") == "test":
        return render(request, "capture/_connection_report.html", {"form_errors": True, "form": form})
    return render(request, "capture/account_form.html", context, status=400 if form.errors else 200)


@never_cache
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
@member_required
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    membership = _membership(request)
    account = selectors.capture_account_get(membership=membership, account_id=account_id)
    form = CaptureAccountForm(request.POST if request.method == "POST" else None, kind=account.kind, account=account)
    context: dict[str, Any] = {
        "form": form,
        "account": account,
        "kind": account.kind,
        "kind_label": account.get_kind_display(),
    }
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "test":
                # Test the typed settings on a copy; nothing is saved.
                trial = selectors.capture_account_get(membership=membership, account_id=account.pk)
                services.capture_account_apply(account=trial, **form.service_kwargs())
                report = test_connection(trial, secret=form.cleaned_data.get("secret") or None)
                return _report_response(request, report, template="capture/account_form.html", context=context)
            services.capture_account_update(account=account, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error, field_map={})
        else:
            messages.success(request, f"“{account.name}” saved.")
            return redirect("capture:settings")
    if request.method == "POST" and _is_htmx(request) and request.POST.get("action") == "test":
        return render(request, "capture/_connection_report.html", {"form_errors": True, "form": form})
    return render(request, "capture/account_form.html", context, status=400 if form.errors else 200)


@require_POST
@member_required
def account_test(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.capture_account_get(membership=_membership(request), account_id=account_id)
    report = test_connection(account)
    if _is_htmx(request):
        return render(request, "capture/_connection_report.html", {"report": report, "account": account})
    level = messages.SUCCESS if report.ok else messages.ERROR
    messages.add_message(request, level, f"Test of “{account.name}”: {report.message}")
    return redirect("capture:settings")


def _account_action(request: HttpRequest, account_id: int, *, verb: str) -> HttpResponse:
    membership = _membership(request)
    account = selectors.capture_account_get(membership=membership, account_id=account_id)
    if verb == "pause":
        services.capture_account_pause(account=account)
        note = f"“{account.name}” paused: nothing is captured until you resume it."
    elif verb == "resume":
        services.capture_account_resume(account=account)
        note = f"“{account.name}” resumed: it syncs in a moment."
    elif capture_account_poll_now(account=account):
        note = f"“{account.name}” syncs in a moment."
    else:
        note = f"“{account.name}” is paused: resume it to sync."
    if _is_htmx(request):
        account.refresh_from_db()
        return render(request, "capture/_source_card.html", {"h": selectors.source_health(account), "note": note})
    messages.success(request, note)
    return redirect("capture:settings")


@require_POST
@member_required
def account_pause(request: HttpRequest, account_id: int) -> HttpResponse:
    return _account_action(request, account_id, verb="pause")


@require_POST
@member_required
def account_resume(request: HttpRequest, account_id: int) -> HttpResponse:
    return _account_action(request, account_id, verb="resume")


@require_POST
@member_required
def account_sync(request: HttpRequest, account_id: int) -> HttpResponse:
    return _account_action(request, account_id, verb="sync")


@require_http_methods(["GET", "POST"])
@member_required
def account_remove(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.capture_account_get(membership=_membership(request), account_id=account_id)
    form = RemoveAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = account.name
        delete_data = form.cleaned_data["captured_activity"] == "delete"
        deleted = services.capture_account_remove(account=account, delete_data=delete_data)
        if delete_data:
            messages.success(request, f"“{name}” removed, with {deleted} captured interaction(s) only it had.")
        else:
            messages.success(request, f"“{name}” removed. What it captured stays.")
        return redirect("capture:settings")
    return render(request, "capture/account_remove.html", {"account": account, "form": form})


# --- BCC address and exclusions -------------------------------------------------------------------


@require_POST
@member_required
def logging_address_reset(request: HttpRequest) -> HttpResponse:
    address = services.logging_address_reset(membership=_membership(request))
    messages.success(request, f"Your new BCC address is {address}. The old one no longer works.")
    return redirect(reverse("capture:settings") + "#bcc")


@require_POST
@member_required
def exclusion_add(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    organization_wide = request.POST.get("scope") == "organization"
    default = reverse("capture:manage") if organization_wide else reverse("capture:settings")
    back = _next_or(request, default) + "#exclusions"
    form = ExclusionForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
        return redirect(back)
    try:
        exclusion = services.capture_exclusion_add(
            membership=membership,
            kind=form.cleaned_data["kind"],
            value=form.cleaned_data["value"],
            organization_wide=organization_wide,
        )
    except PermissionDenied:
        return render(request, "403.html", {"needed_roles": ("admin",)}, status=403)
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(request, f"{exclusion.value} excluded: nothing with it is captured.")
    return redirect(back)


@require_POST
@member_required
def exclusion_remove(request: HttpRequest, exclusion_id: int) -> HttpResponse:
    membership = _membership(request)
    exclusion = selectors.exclusion_get(membership=membership, exclusion_id=exclusion_id)
    default = reverse("capture:manage") if exclusion.user_id is None else reverse("capture:settings")
    try:
        services.capture_exclusion_remove(membership=membership, exclusion=exclusion)
    except PermissionDenied:
        return render(request, "403.html", {"needed_roles": ("admin",)}, status=403)
    messages.success(request, f"{exclusion.value} is captured again from now on.")
    return redirect(_next_or(request, default) + "#exclusions")


# --- admins ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
def manage_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    policy = selectors.capture_policy_for(membership=membership)
    form = CapturePolicyForm.for_policy(policy, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.capture_policy_update(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error, field_map={})
        else:
            messages.success(request, "Capture policy saved.")
            return redirect("capture:manage")
    context = {
        "form": form,
        "internal_domains": membership.organization.internal_domains or [],
        "organization_exclusions": selectors.exclusions_organization(membership=membership),
        "exclusion_form": ExclusionForm(),
        "health": selectors.capture_health_organization(membership=membership),
    }
    return render(request, "capture/manage.html", context, status=400 if form.errors else 200)


# --- why wasn't this captured? -----------------------------------------------------------------


@require_GET
@member_required
def why_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    asked = bool(request.GET.get("message_id") or request.GET.get("subject"))
    form = WhyForm(request.GET if asked else None)
    answer = None
    if asked and form.is_valid():
        answer = selectors.why_not_captured(
            membership=membership,
            message_id=form.cleaned_data["message_id"],
            subject=form.cleaned_data["subject"],
        )
    context = {"form": form, "answer": answer, "accounts": selectors.capture_health_of(membership=membership)}
    return render(request, "capture/why.html", context)
