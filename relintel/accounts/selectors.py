"""Reads for accounts. Everything is scoped to one organization."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest

from relintel.accounts.models import ApiToken, Invitation, Membership, Organization, Role, Team, User
from relintel.accounts.tokens import hash_token

SESSION_ORGANIZATION_KEY = "relintel_organization_id"


def membership_for_user(*, user: User, organization_id: int | None = None) -> Membership | None:
    """The active membership of ``user``: in ``organization_id`` if given, else their first."""
    if not user.is_authenticated:
        return None
    memberships = (
        Membership.objects.select_related("organization", "team", "user")
        .filter(user=user, is_active=True)
        .order_by("created_at", "id")
    )
    if organization_id is not None:
        return memberships.filter(organization_id=organization_id).first()
    return memberships.first()


def membership_for_request(request: HttpRequest) -> Membership | None:
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return membership_for_user(user=request.user, organization_id=auth.organization_id)  # type: ignore[arg-type]
    session = getattr(request, "session", None)
    organization_id = session.get(SESSION_ORGANIZATION_KEY) if session is not None else None
    membership = membership_for_user(user=request.user, organization_id=organization_id)  # type: ignore[arg-type]
    if membership is None and organization_id is not None:
        membership = membership_for_user(user=request.user)  # type: ignore[arg-type]
    return membership


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user", "team")
        .order_by("user__full_name", "user__email")
    )


def organization_teams(*, organization: Organization) -> QuerySet[Team]:
    return Team.objects.filter(organization=organization).order_by("name")


def team_get(*, membership: Membership, team_id: int) -> Team:
    try:
        return Team.objects.get(organization=membership.organization, pk=team_id)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


def member_get(*, membership: Membership, membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user", "team").get(
            organization=membership.organization, pk=membership_id
        )
    except Membership.DoesNotExist:
        raise Http404("No such member") from None


def team_member_user_ids(*, membership: Membership) -> list[int]:
    """Users who share ``membership``'s team (themselves included)."""
    if membership.team_id is None:
        return [membership.user_id]
    return list(
        Membership.objects.filter(organization_id=membership.organization_id, team_id=membership.team_id).values_list(
            "user_id", flat=True
        )
    )


def invitations_open(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("team", "invited_by")


def invitation_get(*, membership: Membership, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(organization=membership.organization, pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation") from None


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    try:
        return ApiToken.objects.get(user=user, pk=token_id)
    except ApiToken.DoesNotExist:
        raise Http404("No such token") from None


def is_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.ADMIN


def is_manager_or_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role in (Role.MANAGER, Role.ADMIN)


def teams_with_member_counts(*, organization: Organization) -> QuerySet[Team]:
    """Teams with ``member_count``: their active members."""
    return organization_teams(organization=organization).annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    )


def invitation_by_key(*, key: str) -> Invitation | None:
    """The invitation a link's key opens (open or not), or ``None`` for an unknown key."""
    return (
        Invitation.objects.select_related("organization", "team", "invited_by")
        .filter(token_hash=hash_token(key))
        .first()
    )


def account_exists(*, email: str) -> bool:
    """Whether someone already has a Relintel login with this email (in any organization)."""
    return User.objects.filter(email__iexact=email.strip()).exists()


def organization_slug_taken(*, slug: str) -> bool:
    return Organization.objects.filter(slug__iexact=slug.strip()).exists()
