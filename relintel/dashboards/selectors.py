"""Reads for the rep's home page (its Today list is in ``today``) and the manager's team page.

Every query is bounded (a ``LIMIT`` or an aggregate over an indexed range) so the pages
stay fast at 100,000 contacts and 1,000,000 interactions; none grows with the data.
Private interactions are counted on the team page but their content is never shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from activities.models import Interaction, InteractionKind, Participant, Visibility
from activities.selectors import visibility_filter
from contacts.models import OPEN_HELP_STATUSES, HelpDirection, HelpOffer, HelpStatus
from relintel.accounts.models import Membership, Role, Team
from relintel.accounts.selectors import organization_teams, team_get

ACTIVITY_WINDOW = datetime.timedelta(days=30)
DELIVERED_WINDOW = datetime.timedelta(days=90)
LIST_LIMIT = 10


def _people(qs: QuerySet[Interaction]) -> QuerySet[Interaction]:
    return qs.select_related("owner").prefetch_related(
        Prefetch("participants", queryset=Participant.objects.select_related("contact", "user").order_by("id"))
    )


def my_recent_interactions(*, membership: Membership, limit: int = LIST_LIMIT) -> list[Interaction]:
    """The member's own interactions, newest first (their own are always visible to them)."""
    qs = Interaction.objects.filter(organization_id=membership.organization_id, owner_id=membership.user_id)
    return list(_people(qs).order_by("-occurred_at", "-id")[:limit])


# --- the team page ------------------------------------------------------------------------


KINDS = list(InteractionKind.choices)


@dataclass
class MemberActivity:
    membership: Membership
    by_kind: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def kind_counts(self) -> list[int]:
        """Counts in the order of ``KINDS``, for a table row."""
        return [self.by_kind.get(value, 0) for value, _ in KINDS]


@dataclass(frozen=True)
class TeamDashboard:
    team: Team | None
    teams: list[Team]
    members: list[MemberActivity]
    recent_shared: list[Interaction]
    kinds: list[tuple[str, str]]

    @property
    def totals(self) -> list[int]:
        return [sum(m.by_kind.get(value, 0) for m in self.members) for value, _ in KINDS]

    @property
    def grand_total(self) -> int:
        return sum(m.total for m in self.members)

    @property
    def delivered_total(self) -> int:
        return sum(m.delivered for m in self.members)

    @property
    def overdue_total(self) -> int:
        return sum(m.overdue for m in self.members)


def _team_for(*, membership: Membership, team_id: int | None) -> tuple[Team | None, list[Team]]:
    """A manager sees their own team; an admin chooses any team of the organization."""
    if membership.role == Role.ADMIN:
        teams = list(organization_teams(organization=membership.organization)[:200])
        if team_id is not None:
            return team_get(membership=membership, team_id=team_id), teams
        return (teams[0] if teams else membership.team), teams
    if team_id is not None and team_id != membership.team_id:
        raise Http404("No such team")
    return membership.team, []


def team_dashboard(
    *, membership: Membership, team_id: int | None = None, now: datetime.datetime | None = None
) -> TeamDashboard:
    now = now or timezone.now()
    team, teams = _team_for(membership=membership, team_id=team_id)
    if team is None:
        return TeamDashboard(team=None, teams=teams, members=[], recent_shared=[], kinds=KINDS)
    members = list(
        Membership.objects.filter(organization_id=membership.organization_id, team=team, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")[:200]
    )
    rows = {m.user_id: MemberActivity(membership=m) for m in members}
    user_ids = list(rows)
    # Counts only: a private interaction adds one to its owner's number and shows nothing else.
    activity = (
        Interaction.objects.filter(
            organization_id=membership.organization_id, owner_id__in=user_ids, occurred_at__gte=now - ACTIVITY_WINDOW
        )
        .values("owner_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in activity:
        rows[row["owner_id"]].by_kind[row["kind"]] = row["n"]
    help_rows = (
        HelpOffer.objects.filter(
            organization_id=membership.organization_id, user_id__in=user_ids, direction=HelpDirection.GIVEN
        )
        .filter(
            Q(status=HelpStatus.DELIVERED, delivered_at__gte=now - DELIVERED_WINDOW)
            | Q(status__in=OPEN_HELP_STATUSES, due_date__lt=timezone.localdate(now))
        )
        .values("user_id")
        .annotate(
            delivered=Count("id", filter=Q(status=HelpStatus.DELIVERED)),
            overdue=Count("id", filter=Q(status__in=OPEN_HELP_STATUSES)),
        )
        .order_by()
    )
    for help_row in help_rows:
        rows[help_row["user_id"]].delivered = help_row["delivered"]
        rows[help_row["user_id"]].overdue = help_row["overdue"]
    shared = (
        Interaction.objects.filter(organization_id=membership.organization_id, owner_id__in=user_ids)
        .exclude(visibility=Visibility.PRIVATE)
        .filter(visibility_filter(membership=membership))
    )
    return TeamDashboard(
        team=team,
        teams=teams,
        members=list(rows.values()),
        recent_shared=list(_people(shared).order_by("-occurred_at", "-id")[:15]),
        kinds=KINDS,
    )
