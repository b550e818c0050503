"""Pages for accounts: personal settings and API tokens, and the admins' user, team
and organization pages; plus the public page that accepts an invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from relintel.accounts import selectors, services
from relintel.accounts.decorators import admin_required, member_required
from relintel.accounts.forms import (
    ApiTokenForm,
    InvitationAcceptForm,
    InvitationForm,
    MemberForm,
    OrganizationForm,
    ProfileForm,
    TeamForm,
)
from relintel.accounts.models import Membership, User


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- personal settings -------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST if request.method == "POST" else None, initial={"full_name": user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=user, full_name=form.cleaned_data["full_name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@never_cache
@member_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    new_key = None
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, new_key = services.api_token_create(membership=membership, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            # The key exists only in this response: it is rendered, not redirected to.
            form = ApiTokenForm()
    context = {
        "form": form,
        "tokens": selectors.api_tokens_of(user=_user(request)),
        "new_key": new_key,
        "new_token": new_token,
    }
    return render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)


@member_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get(user=_user(request), token_id=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("accounts:tokens")


# --- members and invitations (admins) ----------------------------------------------


@admin_required
def member_list(request: HttpRequest) -> HttpResponse:
    organization = _membership(request).organization
    context = {
        "members": selectors.organization_members(organization=organization),
        "invitations": selectors.invitations_open(organization=organization),
    }
    return render(request, "accounts/member_list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    admin = _membership(request)
    member = selectors.member_get(membership=admin, membership_id=membership_id)
    action = request.POST.get("action", "update")
    form = MemberForm(
        request.POST if request.method == "POST" and action == "update" else None,
        organization=admin.organization,
        initial={"role": member.role, "team": member.team},
    )
    if request.method == "POST":
        try:
            if action == "deactivate":
                services.membership_deactivate(membership=member, actor=admin)
                messages.success(request, f"{member.user.display_name} is deactivated and can no longer sign in here.")
                return redirect("accounts:member_edit", membership_id=member.pk)
            if action == "reactivate":
                services.membership_reactivate(membership=member)
                messages.success(request, f"{member.user.display_name} is active again.")
                return redirect("accounts:member_edit", membership_id=member.pk)
            if form.is_valid():
                services.membership_update(
                    membership=member, role=form.cleaned_data["role"], team=form.cleaned_data["team"]
                )
                messages.success(request, f"{member.user.display_name}'s role and team are saved.")
                return redirect("accounts:members")
        except ValidationError as exc:
            if action == "update":
                form.add_service_errors(exc)
            else:
                _flash_errors(request, exc)
                return redirect("accounts:member_edit", membership_id=member.pk)
        member.refresh_from_db()
    status = 400 if form.errors else 200
    return render(request, "accounts/member_edit.html", {"member": member, "form": form}, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: HttpRequest) -> HttpResponse:
    admin = _membership(request)
    form = InvitationForm(request.POST if request.method == "POST" else None, organization=admin.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _key = services.invitation_create(
                organization=admin.organization,
                invited_by=admin.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                team=data["team"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link works for 7 days.")
            return redirect("accounts:members")
    status = 400 if form.errors else 200
    return render(request, "accounts/invitation_form.html", {"form": form}, status=status)


@admin_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(membership=_membership(request), invitation_id=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"The invitation for {invitation.email} is revoked.")
    return redirect("accounts:members")


# --- teams and organization (admins) -------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    organization = _membership(request).organization
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(organization=organization, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("accounts:teams")
    context = {"teams": selectors.teams_with_member_counts(organization=organization), "form": form}
    return render(request, "accounts/team_list.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    admin = _membership(request)
    team = selectors.team_get(membership=admin, team_id=team_id)
    is_delete = request.POST.get("action") == "delete"
    form = TeamForm(request.POST if request.method == "POST" and not is_delete else None, initial={"name": team.name})
    if request.method == "POST":
        if is_delete:
            name = team.name
            moved = services.team_delete(team=team)
            messages.success(request, f"Team “{name}” deleted; its {moved} member(s) now have no team.")
            return redirect("accounts:teams")
        if form.is_valid():
            try:
                services.team_rename(team=team, name=form.cleaned_data["name"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"Team renamed to “{team.name}”.")
                return redirect("accounts:teams")
        team.refresh_from_db()
    members = selectors.organization_members(organization=admin.organization).filter(team=team)
    context: dict[str, Any] = {"team": team, "form": form, "members": members}
    return render(request, "accounts/team_edit.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest) -> HttpResponse:
    organization = _membership(request).organization
    form = OrganizationForm(
        request.POST if request.method == "POST" else None,
        initial={"name": organization.name, "internal_domains": "\n".join(organization.internal_domains or [])},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(
                organization=organization,
                name=form.cleaned_data["name"],
                internal_domains=form.cleaned_data["internal_domains"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
            organization.refresh_from_db()
        else:
            messages.success(request, "Organization settings saved.")
            return redirect("accounts:org_settings")
    return render(request, "accounts/organization.html", {"form": form}, status=400 if form.errors else 200)


# --- invitation acceptance (public) -------------------------------------------------------


@never_cache
@sensitive_post_parameters("password", "password_again")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, key: str) -> HttpResponse:
    invitation = selectors.invitation_by_key(key=key)
    problem = services.invitation_problem(invitation)
    if problem is not None or invitation is None:
        return render(request, "accounts/invitation_invalid.html", {"problem": problem}, status=404)
    existing_account = selectors.account_exists(email=invitation.email)
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None,
        existing_account=existing_account,
        initial={"full_name": invitation.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                key=key, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[selectors.SESSION_ORGANIZATION_KEY] = membership.organization_id
            messages.success(request, f"Welcome to {membership.organization.name}!")
            return redirect("/")
    context = {"invitation": invitation, "form": form, "existing_account": existing_account}
    return render(request, "accounts/invitation_accept.html", context, status=400 if form.errors else 200)
