"""Target accounts: the companies a team (or, with no team, the whole organization) goes after.

Who may do what: everyone sees their team's list and the organization-wide one (admins
see every list); a manager adds to and removes from their own team's list; an admin manages
any team's list and the organization-wide one. A foreign or invisible id is a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from contacts.models import Company, TargetAccount
from relintel.accounts.models import Membership, Role, Team


def target_accounts_for(*, membership: Membership) -> QuerySet[TargetAccount]:
    qs = TargetAccount.objects.filter(organization_id=membership.organization_id).select_related(
        "company", "team", "added_by"
    )
    if membership.role == Role.ADMIN:
        return qs
    return qs.filter(
        Q(team__isnull=True) | Q(team_id=membership.team_id) if membership.team_id else Q(team__isnull=True)
    )


def target_account_get(*, membership: Membership, target_id: int) -> TargetAccount:
    try:
        return target_accounts_for(membership=membership).get(pk=target_id)
    except (TargetAccount.DoesNotExist, ValueError, TypeError):
        raise Http404("No such target account") from None


def can_manage_targets(*, membership: Membership, team: Team | None) -> bool:
    """Admins manage every list; a manager manages their own team's."""
    if membership.role == Role.ADMIN:
        return team is None or team.organization_id == membership.organization_id
    return membership.role == Role.MANAGER and team is not None and team.pk == membership.team_id


@transaction.atomic
def target_account_add(*, membership: Membership, company: Company, team: Team | None) -> TargetAccount:
    """Put ``company`` on ``team``'s list (``None``: the organization-wide list)."""
    if company.organization_id != membership.organization_id:
        raise ValidationError({"company": ["No such company."]})
    if team is not None and team.organization_id != membership.organization_id:
        raise ValidationError({"team": ["No such team."]})
    if not can_manage_targets(membership=membership, team=team):
        raise PermissionDenied("Only an admin or the team's manager can change this list.")
    scope = Q(team__isnull=True) if team is None else Q(team=team)
    if TargetAccount.objects.filter(organization_id=membership.organization_id, company=company).filter(scope).exists():
        raise ValidationError({"company": [f"{company.name} is already on this list."]})
    target = TargetAccount(
        organization_id=membership.organization_id, team=team, company=company, added_by=membership.user
    )
    target.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:  # a concurrent add of the same company
        raise ValidationError({"company": [f"{company.name} is already on this list."]}) from None
    return target


@transaction.atomic
def target_account_remove(*, membership: Membership, target: TargetAccount) -> None:
    if target.organization_id != membership.organization_id:
        raise Http404("No such target account")
    if not can_manage_targets(membership=membership, team=target.team):
        raise PermissionDenied("Only an admin or the team's manager can change this list.")
    target.delete()
