"""Reads for the rep's home page (its Today list is in ``today``) and which team a manager sees
(the team page's figures are in ``team``).

Every query is bounded (a ``LIMIT``) so the pages stay fast at 100,000 contacts and
1,000,000 interactions; none grows with the data.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from activities.models import Interaction, Participant
from relintel.accounts.models import Membership, Role, Team
from relintel.accounts.selectors import organization_teams, team_get

LIST_LIMIT = 10


def _people(qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return qs.select_related("owner").prefetch_related(
        Prefetch("participants", queryset=Participant.objects.select_related("contact", "user").order_by("id"))
    )


def my_recent_interactions(*, membership: Membership, limit: int = LIST_LIMIT) -> list[Interaction]:
    """The member's own interactions, newest first (their own are always visible to them)."""
    qs = Interaction.objects.filter(organization_id=membership.organization_id, owner_id=membership.user_id)
    return list(_people(qs).order_by("-occurred_at", "-id")[:limit])


# --- the team page ---------------------------------------------------------------------------


def team_for(*, membership: Membership, team_id: int | None) -> tuple[Team | None, list[Team]]:
    """A manager sees their own team; an admin chooses any team of the organization."""
    if membership.role == Role.ADMIN:
        teams = list(organization_teams(organization=membership.organization)[:200])
        if team_id is not None:
            return team_get(membership=membership, team_id=team_id), teams
        return (teams[0] if teams else membership.team), teams
    if team_id is not None and team_id != membership.team_id:
        raise Http404("No such team")
    return membership.team, []
