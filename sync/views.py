"""Admin pages for the Salesforce connection (/manage/salesforce/).

The callback is the connected app's Callback URL: ``https://<relintel>/manage/salesforce/callback/``.
Inline "Test connection" uses htmx and falls back to a form POST and a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.forms import apply_service_errors
from relintel.accounts.decorators import admin_required
from relintel.accounts.models import Membership
from sync import selectors, services
from sync.forms import SalesforceConnectionForm
from sync.models import AuthFlow


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def callback_uri(request: HttpRequest) -> str:
    """The redirect URI, identical in the authorize request and the code exchange."""
    return request.build_absolute_uri(reverse("sync:callback"))


@never_cache
@sensitive_post_parameters("client_secret")
@require_http_methods(["GET", "POST"])
@admin_required
def manage_page(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    connection = selectors.salesforce_connection_of(membership=membership)
    form = SalesforceConnectionForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        connection=connection,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.salesforce_connection_save(membership=membership, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(
                form, error, field_map={"login_url": "custom_login_url", "jwt_private_key": "jwt_private_key_file"}
            )
        else:
            messages.success(request, "Salesforce settings saved.")
            return redirect("sync:manage")
    return render(
        request,
        "sync/manage.html",
        {"form": form, "connection": connection, "callback_uri": callback_uri(request)},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def connect(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    connection = selectors.salesforce_connection_of(membership=membership)
    try:
        if connection is not None and connection.auth_flow == AuthFlow.JWT_BEARER:
            services.salesforce_connection_connect_jwt(membership=membership)
        else:
            url = services.salesforce_connection_authorization_start(
                membership=membership, redirect_uri=callback_uri(request)
            )
            return redirect(url)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Could not connect: {message}")
        return redirect("sync:manage")
    messages.success(request, "Connected to Salesforce.")
    return redirect("sync:manage")


@never_cache
@require_GET
@admin_required
def callback(request: HttpRequest) -> HttpResponse:
    try:
        connection = services.salesforce_connection_authorization_complete(
            membership=_membership(request),
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            redirect_uri=callback_uri(request),
            error=request.GET.get("error", ""),
            error_description=request.GET.get("error_description", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"Could not connect: {message}")
        return redirect("sync:manage")
    note = f"Connected to Salesforce at {connection.instance_url}."
    if not connection.refresh_token:
        note += (
            " Salesforce gave no refresh token, so the connection ends with this session: give the connected app "
            "the “refresh_token, offline_access” scope and connect again."
        )
    messages.success(request, note)
    return redirect("sync:manage")


@require_POST
@admin_required
def test(request: HttpRequest) -> HttpResponse:
    report = services.salesforce_connection_test(membership=_membership(request))
    if _is_htmx(request):
        return render(request, "sync/_test_report.html", {"report": report})
    level = messages.SUCCESS if report.ok else messages.ERROR
    messages.add_message(request, level, f"Test connection: {report.message}")
    return redirect("sync:manage")


@require_POST
@admin_required
def disconnect(request: HttpRequest) -> HttpResponse:
    services.salesforce_connection_disconnect(membership=_membership(request))
    messages.success(request, "Disconnected from Salesforce. The mapping and links are kept for when you reconnect.")
    return redirect("sync:manage")
