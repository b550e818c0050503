"""Writes for accounts: organizations, teams, invitations, memberships and API tokens.

Every function is keyword-only and transactional, and raises ``ValidationError``
with a field → messages dict when the input is refused (nothing is half-saved).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from relintel.accounts import tasks
from relintel.accounts.models import ApiToken, Invitation, Membership, Organization, Role, Team, User
from relintel.accounts.tokens import hash_token, new_api_key, new_invitation_key

INVITATION_LIFETIME = datetime.timedelta(days=7)

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")

LAST_ADMIN_MESSAGE = "An organization needs at least one active admin: make someone else an admin first."


# --- organizations -----------------------------------------------------------------


def _clean_internal_domains(domains: Iterable[str]) -> list[str]:
    """Lower-case, strip ``@``/scheme/``www.``, drop duplicates; refuse what is not a domain."""
    cleaned: list[str] = []
    errors: list[str] = []
    for raw in domains:
        value = raw.strip().lower()
        if not value:
            continue
        value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0].lstrip("@")
        value = value.removeprefix("www.").rstrip(".")
        if not _DOMAIN_RE.match(value):
            errors.append(f"“{raw.strip()}” is not a domain name (like example.com).")
            continue
        if value not in cleaned:
            cleaned.append(value)
    if errors:
        raise ValidationError({"internal_domains": errors})
    return cleaned


@transaction.atomic
def organization_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None,
    admin_full_name: str = "",
    internal_domains: Iterable[str] = (),
) -> Membership:
    """Bootstrap a tenant and its first admin (an existing user keeps their password)."""
    organization = Organization(
        name=name.strip(), slug=slug.strip().lower(), internal_domains=_clean_internal_domains(internal_domains)
    )
    organization.full_clean()
    organization.save()
    email = _clean_email(admin_email, field="admin_email")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not admin_password:
            raise ValidationError({"admin_password": ["A new admin needs a password."]})
        user = User(email=email, full_name=admin_full_name.strip())
        _validate_password(admin_password, user=user, field="admin_password")
        user.set_password(admin_password)
        user.full_clean()
        user.save()
    membership = Membership(user=user, organization=organization, role=Role.ADMIN)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def organization_update(*, organization: Organization, name: str, internal_domains: Iterable[str]) -> Organization:
    organization.name = name.strip()
    organization.internal_domains = _clean_internal_domains(internal_domains)
    organization.full_clean()
    organization.save(update_fields=["name", "internal_domains"])
    return organization


# --- teams -----------------------------------------------------------------------------


def _check_team_name(*, organization: Organization, name: str, exclude: Team | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the team a name."]})
    clash = Team.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationError({"name": [f"There is already a team called “{name}”."]})
    return name


@transaction.atomic
def team_create(*, organization: Organization, name: str) -> Team:
    team = Team(organization=organization, name=_check_team_name(organization=organization, name=name))
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_rename(*, team: Team, name: str) -> Team:
    team.name = _check_team_name(organization=team.organization, name=name, exclude=team)
    team.full_clean()
    team.save(update_fields=["name"])
    return team


@transaction.atomic
def team_delete(*, team: Team) -> int:
    """Delete a team; its members stay in the organization without a team. Returns how many."""
    moved = Membership.objects.filter(team=team).update(team=None)
    Invitation.objects.filter(team=team).update(team=None)
    team.delete()
    return moved


# --- invitations -------------------------------------------------------------------------


def _clean_email(value: str, *, field: str = "email") -> str:
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: ["Enter a valid email address."]}) from None
    return email


def _validate_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _check_team(*, organization: Organization, team: Team | None) -> None:
    if team is not None and team.organization_id != organization.pk:
        raise ValidationError({"team": ["Choose one of your organization's teams."]})


def invitation_accept_url(*, base_url: str, key: str) -> str:
    return base_url.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"key": key})


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    invited_by: User | None,
    email: str,
    full_name: str = "",
    role: str = Role.REP,
    team: Team | None = None,
    base_url: str,
) -> tuple[Invitation, str]:
    """Invite ``email``; the email with the accept link leaves after commit.

    Returns the invitation and its key: only the key's hash is stored, so the key
    exists only in the email (and in the return value, for callers that need it).
    """
    email = _clean_email(email)
    existing = Membership.objects.filter(organization=organization, user__email__iexact=email).first()
    if existing is not None:
        if existing.is_active:
            raise ValidationError({"email": [f"{email} is already a member of {organization.name}."]})
        raise ValidationError({"email": [f"{email} is a deactivated member: reactivate them on their page instead."]})
    if role not in Role.values:
        raise ValidationError({"role": ["Choose rep, manager or admin."]})
    _check_team(organization=organization, team=team)
    now = timezone.now()
    open_invitations = Invitation.objects.select_for_update().filter(
        organization=organization, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for previous in open_invitations:
        if previous.expires_at > now:
            raise ValidationError(
                {"email": [f"{email} already has an open invitation: revoke it first to send a new one."]}
            )
        # An expired invitation is dead; closing it frees the one-open-invitation-per-email slot.
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
    key = new_invitation_key()
    invitation = Invitation(
        organization=organization,
        email=email,
        full_name=full_name.strip(),
        role=role,
        team=team,
        token_hash=hash_token(key),
        invited_by=invited_by,
        expires_at=now + INVITATION_LIFETIME,
    )
    invitation.full_clean()
    invitation.save()
    accept_url = invitation_accept_url(base_url=base_url, key=key)
    invitation_id = invitation.pk
    transaction.on_commit(lambda: tasks.invitation_send.delay(invitation_id, accept_url))
    return invitation, key


def invitation_send_email(*, invitation: Invitation, accept_url: str) -> bool:
    """Send the invitation email; an invitation closed meanwhile is not sent."""
    if not invitation.is_open:
        return False
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "accept_url": accept_url,
        "expires_at": invitation.expires_at,
    }
    subject = f"You're invited to {invitation.organization.name} on Relintel"
    send_mail(
        subject=subject,
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": ["This invitation was already accepted."]})
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why this invitation cannot be accepted, in words for the person holding the link."""
    if invitation is None:
        return "This invitation link is not valid. Check that you copied the whole link."
    if invitation.revoked_at is not None:
        return "This invitation has been withdrawn. Ask your admin for a new one."
    if invitation.accepted_at is not None:
        return "This invitation has already been used. Log in with your email and password."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired. Ask your admin to send a new one."
    return None


@transaction.atomic
def invitation_accept(*, key: str, full_name: str, password: str) -> Membership:
    """Join the organization: create the user if needed, then the membership.

    Someone who already has a Relintel account (in another organization) must
    give its password: an invitation link never resets an existing password.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organization", "team")
        .filter(token_hash=hash_token(key))
        .first()
    )
    problem = invitation_problem(invitation)
    if problem is not None or invitation is None:
        raise ValidationError({"key": [problem or "This invitation link is not valid."]})
    full_name = full_name.strip()
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        if not full_name:
            raise ValidationError({"full_name": ["Tell your teammates your name."]})
        user = User(email=invitation.email, full_name=full_name)
        _validate_password(password, user=user)
        user.set_password(password)
        user.full_clean()
        user.save()
    else:
        if not user.check_password(password):
            raise ValidationError(
                {"password": ["You already have a Relintel account with this email: enter its password."]}
            )
        if full_name and not user.full_name:
            user.full_name = full_name
            user.save(update_fields=["full_name"])
    team = (
        invitation.team if invitation.team and invitation.team.organization_id == invitation.organization_id else None
    )
    membership, _ = Membership.objects.update_or_create(
        user=user,
        organization=invitation.organization,
        defaults={"role": invitation.role, "team": team, "is_active": True},
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


# --- memberships -------------------------------------------------------------------


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(organization_id=membership.organization_id, role=Role.ADMIN, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


def _lock_admins(organization_id: int) -> None:
    # Two admins demoting each other at the same moment must not leave none behind.
    list(
        Membership.objects.select_for_update()
        .filter(organization_id=organization_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_update(*, membership: Membership, role: str, team: Team | None) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": ["Choose rep, manager or admin."]})
    _check_team(organization=membership.organization, team=team)
    _lock_admins(membership.organization_id)
    demoted = membership.role == Role.ADMIN and role != Role.ADMIN
    if demoted and membership.is_active and not _other_active_admins(membership):
        raise ValidationError({"role": [LAST_ADMIN_MESSAGE]})
    membership.role = role
    membership.team = team
    membership.full_clean()
    membership.save(update_fields=["role", "team"])
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: Membership | None = None) -> Membership:
    """Take away someone's access to this organization; their data stays."""
    if actor is not None and actor.pk == membership.pk:
        raise ValidationError({"membership": ["You cannot deactivate yourself."]})
    _lock_admins(membership.organization_id)
    if membership.role == Role.ADMIN and membership.is_active and not _other_active_admins(membership):
        raise ValidationError({"membership": [LAST_ADMIN_MESSAGE]})
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership) -> Membership:
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def user_update(*, user: User, full_name: str) -> User:
    user.full_name = full_name.strip()
    if not user.full_name:
        raise ValidationError({"full_name": ["Tell your teammates your name."]})
    user.full_clean()
    user.save(update_fields=["full_name"])
    return user


# --- API tokens ----------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """A personal token for ``membership``'s organization: returns ``(token, key)``.

    Only the key's SHA-256 is stored, so the key can be shown exactly once.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Name the token after what will use it (e.g. “Zapier”)."]})
    key = new_api_key()
    token = ApiToken(
        user=membership.user,
        organization=membership.organization,
        name=name,
        prefix=key[:12],
        key_hash=hash_token(key),
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
