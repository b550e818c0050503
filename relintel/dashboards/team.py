"""Reads for the manager's team dashboard: per rep and per team, over a chosen period.

Every figure comes from a bounded query whose count does not depend on the data:

* interactions by kind per week from ``ActivityRollup`` (members × weeks × kinds rows,
  never the interactions themselves);
* relationships by band now: one index-only count on ``relationship_user_band``;
* how they moved and new relationships: ``RelationshipChange`` over the period's range of
  the ``relchange_user_time`` index;
* the give-first index (``contacts.givefirst``) and replies owed (``activities.replies``);
* accounts at risk and target-account coverage (``relintel.dashboards.team_accounts``).

Replies owed are counted from the lists workers keep per rep (``activities.ReplyOwed``,
what each rep's Today shows). Two figures walk the relationship graph rather than a rollup:
relationships by band and their moves (every relationship and band change of the team's
members) and accounts at risk (a join of the team's medium-or-better relationships with their
contacts' companies). At 100,000 contacts and a million interactions each costs tens to
hundreds of milliseconds, so they are kept in the cache (Redis) for
``RELINTEL_TEAM_FIGURES_CACHE_SECONDS`` (default 300) per team, member list and period:
a manager's repeated views and CSV exports read them back instead of recomputing.

Private interactions count in their owner's numbers; their content is never read here.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils import timezone

from activities.models import ActivityRollup, InteractionKind
from activities.replies import replies_owed_tally
from contacts.givefirst import GiveFirstFigures, give_first_index, give_first_total
from contacts.models import Band, Relationship, RelationshipChange
from relintel.accounts.models import Membership, Organization, Role, Team
from relintel.dashboards.selectors import team_for
from relintel.dashboards.team_accounts import BAND_RANK, AtRisk, TargetCoverage, accounts_at_risk, target_coverage
from relintel.dashboards.team_period import DEFAULT_PRESET, Period, period_preset

KINDS: list[tuple[str, str]] = list(InteractionKind.choices)
BANDS: list[tuple[str, str]] = list(Band.choices)  # strongest first
MEMBER_LIMIT = 200
T = TypeVar("T")


def _cache_seconds() -> int:
    return int(getattr(settings, "RELINTEL_TEAM_FIGURES_CACHE_SECONDS", 300))


# Set while a worker re-computes the figures ahead of the managers (``team_figures_warm``).
_RECOMPUTE: ContextVar[bool] = ContextVar("team_figures_recompute", default=False)


def _cached(key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``_cache_seconds()``; the cache is only ever a copy of derived figures."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return compute()
    value = None if _RECOMPUTE.get() else cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def _cache_key(section: str, organization_id: int, team_id: int, user_ids: list[int], extra: str = "") -> str:
    members = hashlib.sha1(",".join(map(str, sorted(user_ids))).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"teamdash:v1:{section}:{organization_id}:{team_id}:{members}:{extra}"


@dataclass
class MemberFigures:
    membership: Membership
    by_kind: dict[str, int] = field(default_factory=dict)
    bands: dict[str, int] = field(default_factory=dict)
    moved_up: int = 0
    moved_down: int = 0
    new: int = 0
    give: GiveFirstFigures = field(default_factory=GiveFirstFigures)
    replies_owed: int | None = None

    @property
    def name(self) -> str:
        return self.membership.user.display_name

    @property
    def interactions(self) -> int:
        return sum(self.by_kind.values())

    @property
    def kind_counts(self) -> list[int]:
        return [self.by_kind.get(value, 0) for value, _ in KINDS]

    @property
    def band_counts(self) -> list[int]:
        return [self.bands.get(value, 0) for value, _ in BANDS]

    @property
    def relationships(self) -> int:
        return sum(self.bands.values())


@dataclass
class TeamFigures:
    team: Team | None
    teams: list[Team]
    period: Period
    members: list[MemberFigures] = field(default_factory=list)
    weekly: dict[tuple[datetime.date, str], int] = field(default_factory=dict)  # (Monday, kind) → count
    at_risk: AtRisk | None = None
    targets: list[TargetCoverage] = field(default_factory=list)
    replies_available: bool = False

    @property
    def weeks(self) -> list[datetime.date]:
        return self.period.weeks

    @property
    def kinds(self) -> list[tuple[str, str]]:
        return KINDS

    @property
    def bands(self) -> list[tuple[str, str]]:
        return BANDS

    @property
    def user_ids(self) -> list[int]:
        return [m.membership.user_id for m in self.members]

    def week_counts(self, kind: str) -> list[int]:
        return [self.weekly.get((week, kind), 0) for week in self.weeks]

    @property
    def kind_totals(self) -> list[int]:
        return [sum(m.by_kind.get(value, 0) for m in self.members) for value, _ in KINDS]

    @property
    def interactions(self) -> int:
        return sum(m.interactions for m in self.members)

    @property
    def band_totals(self) -> list[int]:
        return [sum(m.bands.get(value, 0) for m in self.members) for value, _ in BANDS]

    @property
    def moved_up(self) -> int:
        return sum(m.moved_up for m in self.members)

    @property
    def moved_down(self) -> int:
        return sum(m.moved_down for m in self.members)

    @property
    def new(self) -> int:
        return sum(m.new for m in self.members)

    @property
    def give(self) -> GiveFirstFigures:
        return give_first_total(m.give for m in self.members)

    @property
    def replies_owed(self) -> int:
        return sum(m.replies_owed or 0 for m in self.members)


def team_choose(*, membership: Membership, team_id: int | None) -> tuple[Team | None, list[Team]]:
    """The team a manager (their own) or an admin (any of the organization) is looking at."""
    return team_for(membership=membership, team_id=team_id)


def team_members(*, membership: Membership, team: Team) -> list[Membership]:
    return list(
        Membership.objects.filter(organization_id=membership.organization_id, team=team, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")[:MEMBER_LIMIT]
    )


def weekly_activity(
    *, organization_id: int, user_ids: list[int], period: Period
) -> tuple[dict[tuple[datetime.date, str], int], dict[int, dict[str, int]]]:
    """Team counts per (week, kind), and each member's counts per kind, from the rollups."""
    weeks = period.weeks
    rows = ActivityRollup.objects.filter(
        organization_id=organization_id, user_id__in=user_ids, week__gte=weeks[0], week__lte=weeks[-1]
    )
    weekly = {(r["week"], r["kind"]): r["n"] for r in rows.values("week", "kind").annotate(n=Sum("count")).order_by()}
    per_member: dict[int, dict[str, int]] = defaultdict(dict)
    for r in rows.values("user_id", "kind").annotate(n=Sum("count")).order_by():
        per_member[r["user_id"]][r["kind"]] = r["n"]
    return weekly, per_member


def bands_now(*, organization_id: int, user_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each member's relationships by band: an index-only count on (organization, user, band)."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Relationship.objects.filter(organization_id=organization_id, user_id__in=user_ids)
        .values("user_id", "band")
        .annotate(n=Count("*"))
        .order_by()
    )
    for r in rows:
        out[r["user_id"]][r["band"]] = r["n"]
    return out


def band_moves(*, organization_id: int, user_ids: list[int], period: Period) -> dict[int, tuple[int, int, int]]:
    """Each member's (moved up, moved down, new) relationship band changes in the period."""
    rows = (
        RelationshipChange.objects.filter(
            organization_id=organization_id,
            user_id__in=user_ids,
            changed_at__gte=period.start,
            changed_at__lt=period.end,
        )
        .values("user_id", "from_band", "to_band")
        .annotate(n=Count("*"))
        .order_by()
    )
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        counts = out[r["user_id"]]
        if not r["from_band"]:
            counts[2] += r["n"]
        elif BAND_RANK.get(r["to_band"], 0) > BAND_RANK.get(r["from_band"], 0):
            counts[0] += r["n"]
        elif BAND_RANK.get(r["to_band"], 0) < BAND_RANK.get(r["from_band"], 0):
            counts[1] += r["n"]
    return {user_id: (c[0], c[1], c[2]) for user_id, c in out.items()}


def team_figures(
    *,
    membership: Membership,
    team_id: int | None,
    period: Period,
    now: datetime.datetime | None = None,
    sections: frozenset[str] | None = None,
) -> TeamFigures:
    """Everything the team dashboard shows (or only ``sections`` of it, for one CSV).

    Sections: ``activity``, ``relationships``, ``givefirst``, ``replies``, ``at_risk``, ``targets``.
    """
    now = now or timezone.now()
    team, teams = team_choose(membership=membership, team_id=team_id)
    figures = TeamFigures(team=team, teams=teams, period=period)
    if team is None:
        return figures

    def wanted(name: str) -> bool:
        return sections is None or name in sections

    org = membership.organization_id
    rows = {m.user_id: MemberFigures(membership=m) for m in team_members(membership=membership, team=team)}
    figures.members = list(rows.values())
    ids = list(rows)
    if wanted("activity"):
        figures.weekly, per_member = weekly_activity(organization_id=org, user_ids=ids, period=period)
        for user_id, by_kind in per_member.items():
            rows[user_id].by_kind = by_kind
    if wanted("relationships"):
        bands, moves = _cached(
            _cache_key("relationships", org, team.pk, ids, period.slug),
            lambda: (
                dict(bands_now(organization_id=org, user_ids=ids)),
                band_moves(organization_id=org, user_ids=ids, period=period),
            ),
        )
        for user_id, by_band in bands.items():
            rows[user_id].bands = by_band
        for user_id, (up, down, new) in moves.items():
            rows[user_id].moved_up, rows[user_id].moved_down, rows[user_id].new = up, down, new
    if wanted("givefirst"):
        gave = give_first_index(organization_id=org, user_ids=ids, start=period.start, end=period.end)
        for user_id, give in gave.items():
            rows[user_id].give = give
    if wanted("replies"):
        # One aggregate over the lists workers keep (what each rep's Today shows): not cached.
        owed = replies_owed_tally(organization_id=org, user_ids=ids, now=now)
        figures.replies_available = True
        for user_id, n in owed.items():
            if user_id in rows:
                rows[user_id].replies_owed = n
    if wanted("at_risk"):
        figures.at_risk = _cached(
            _cache_key("at_risk", org, team.pk, ids, period.slug),
            lambda: accounts_at_risk(organization_id=org, user_ids=ids, period=period),
        )
    if wanted("targets"):
        figures.targets = target_coverage(organization_id=org, team=team, user_ids=ids)
    return figures


def team_figures_warm(*, organization: Organization, now: datetime.datetime | None = None) -> int:
    """Re-compute every team's slow figures for the default period, ahead of the managers.

    A worker runs this every few minutes (beat, ``relintel.dashboards.tasks.team_figures_warm_all``)
    so the figures that walk the relationship graph are always in the cache when a manager
    opens the dashboard: the page reads what a worker maintains instead of aggregating on the
    request. It reads as an admin of the organization would (every team). Returns the teams done.
    """
    now = now or timezone.now()
    reader = Membership(organization=organization, role=Role.ADMIN)
    period = period_preset(DEFAULT_PRESET, today=timezone.localdate(now))
    token = _RECOMPUTE.set(True)
    try:
        teams = list(Team.objects.filter(organization=organization).values_list("pk", flat=True)[:MEMBER_LIMIT])
        for team_id in teams:
            team_figures(
                membership=reader,
                team_id=team_id,
                period=period,
                now=now,
                sections=frozenset({"relationships", "at_risk"}),
            )
    finally:
        _RECOMPUTE.reset(token)
    return len(teams)
