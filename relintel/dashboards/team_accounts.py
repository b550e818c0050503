"""Accounts at risk and target-account coverage for a team (reads for the team dashboard).

Definitions, as the dashboard explains them:

* **Hangs on one person** — a company where exactly one teammate has a relationship of
  medium or better with anyone there: if they leave or go quiet, the account goes with them.
* **Going cold** — a company where a teammate's medium-or-better relationship dropped a band
  in the period and no teammate holds that band there any more: its best relationship fell.
* **Coverage** of a target account — *covered*: two or more teammates know someone there
  medium or better; *thin*: one does; *uncovered*: nobody does.

Each list is bounded (``LIMIT``) with its full count alongside, and the number of queries is
fixed: the grouping happens in the database over indexed ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from contacts.models import Band, Relationship, RelationshipChange, TargetAccount
from relintel.accounts.models import Team
from relintel.dashboards.team_period import Period

BAND_RANK: dict[str, int] = {Band.STRONG: 3, Band.MEDIUM: 2, Band.WEAK: 1, Band.COLD: 0}
RANK_BAND: dict[int, str] = {rank: band for band, rank in BAND_RANK.items()}
WELL = (Band.STRONG, Band.MEDIUM)
AT_RISK_LIMIT = 10
TARGET_LIMIT = 200


def band_rank(field_name: str) -> Case:
    """A band column as a number (strong 3 … cold 0, blank -1) so SQL can take the best."""
    return Case(
        *(When(**{field_name: band}, then=Value(rank)) for band, rank in BAND_RANK.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class RiskyAccount:
    company_id: int
    company_name: str
    reason: str  # "one_person" | "going_cold"
    holder_name: str = ""  # one_person: the teammate it hangs on
    contact_name: str = ""  # their best contact there
    band: str = ""  # the best band now
    was_band: str = ""  # going_cold: the band it fell from
    relationships: int = 0  # medium-or-better relationships at the company

    @property
    def band_label(self) -> str:
        return Band(self.band).label if self.band else "None"

    @property
    def was_band_label(self) -> str:
        return Band(self.was_band).label if self.was_band else ""


@dataclass
class AtRisk:
    one_person: list[RiskyAccount] = field(default_factory=list)
    one_person_total: int = 0
    going_cold: list[RiskyAccount] = field(default_factory=list)
    going_cold_total: int = 0

    @property
    def total(self) -> int:
        return self.one_person_total + self.going_cold_total


def _team_relationships(organization_id: int, user_ids: list[int]) -> QuerySet[Relationship]:
    return Relationship.objects.filter(organization_id=organization_id, user_id__in=user_ids)


def accounts_at_risk(
    *, organization_id: int, user_ids: list[int], period: Period, limit: int = AT_RISK_LIMIT
) -> AtRisk:
    """Companies that hang on one teammate, and companies whose best relationship fell in the period."""
    result = AtRisk()
    if not user_ids:
        return result
    well = _team_relationships(organization_id, user_ids).filter(band__in=WELL, contact__company__isnull=False)
    lonely = (
        well.values("contact__company_id")
        .annotate(holders=Count("user_id", distinct=True), top=Max("strength"), n=Count("id"))
        .filter(holders=1)
    )
    result.one_person_total = lonely.count()
    top = list(lonely.order_by("-top", "contact__company_id")[:limit])
    best: dict[int, Any] = {}
    detail = (
        well.filter(contact__company_id__in=[r["contact__company_id"] for r in top])
        .order_by("contact__company_id", "-strength", "id")
        .values("contact__company_id", "contact__company__name", "contact__full_name", "user__full_name",
                "user__email", "band")[: limit * 50]
    )  # fmt: skip
    for row in detail:
        best.setdefault(row["contact__company_id"], row)
    for r in top:
        d = best.get(r["contact__company_id"])
        if d is None:
            continue
        result.one_person.append(
            RiskyAccount(
                company_id=r["contact__company_id"],
                company_name=d["contact__company__name"],
                reason="one_person",
                holder_name=d["user__full_name"] or d["user__email"],
                contact_name=d["contact__full_name"],
                band=d["band"],
                relationships=r["n"],
            )
        )

    dropped = Q(from_band=Band.STRONG) & ~Q(to_band=Band.STRONG) | Q(
        from_band=Band.MEDIUM, to_band__in=(Band.WEAK, Band.COLD)
    )
    best_now = (
        _team_relationships(organization_id, user_ids)
        .filter(contact__company_id=OuterRef("contact__company_id"))
        .order_by()
        .values("contact__company_id")
        .annotate(best=Max(band_rank("band")))
        .values("best")
    )
    cold = (
        RelationshipChange.objects.filter(
            organization_id=organization_id,
            user_id__in=user_ids,
            changed_at__gte=period.start,
            changed_at__lt=period.end,
            contact__company__isnull=False,
        )
        .filter(dropped)
        .values("contact__company_id")
        .annotate(was=Max(band_rank("from_band")), last=Max("changed_at"))
        .annotate(now=Coalesce(Subquery(best_now, output_field=IntegerField()), Value(-1)))
        .filter(now__lt=F("was"))
    )
    result.going_cold_total = cold.count()
    fallen = cold.order_by("-last", "contact__company_id").values(
        "contact__company_id", "contact__company__name", "was", "now"
    )[:limit]
    for c in fallen:
        result.going_cold.append(
            RiskyAccount(
                company_id=c["contact__company_id"],
                company_name=c["contact__company__name"],
                reason="going_cold",
                band=RANK_BAND.get(c["now"], ""),
                was_band=RANK_BAND.get(c["was"], ""),
            )
        )
    return result


@dataclass(frozen=True)
class TargetCoverage:
    target_id: int
    company_id: int
    company_name: str
    org_wide: bool
    teammates_well: int  # teammates with a medium-or-better relationship there
    relationships_well: int  # medium-or-better relationships there
    best_name: str
    best_band: str

    @property
    def status(self) -> str:
        if self.teammates_well >= 2:
            return "covered"
        return "thin" if self.teammates_well == 1 else "uncovered"

    @property
    def status_label(self) -> str:
        return {"covered": "Covered", "thin": "Thin", "uncovered": "Uncovered"}[self.status]

    @property
    def best_band_label(self) -> str:
        return Band(self.best_band).label if self.best_band else ""


def target_accounts_for_team(*, organization_id: int, team: Team | None) -> QuerySet[TargetAccount]:
    """The team's own target accounts and the organization-wide ones."""
    scope = Q(team__isnull=True) if team is None else Q(team=team) | Q(team__isnull=True)
    return TargetAccount.objects.filter(organization_id=organization_id).filter(scope)


def target_coverage(
    *, organization_id: int, team: Team | None, user_ids: list[int], limit: int = TARGET_LIMIT
) -> list[TargetCoverage]:
    """Each target account with who on the team knows it best: one query, a few subqueries per row."""
    at_company = _team_relationships(organization_id, user_ids).filter(contact__company_id=OuterRef("company_id"))
    well = at_company.filter(band__in=WELL).order_by().values("contact__company_id")
    best = at_company.order_by("-strength", "id")
    rows = (
        target_accounts_for_team(organization_id=organization_id, team=team)
        .annotate(
            teammates_well=Coalesce(
                Subquery(well.annotate(n=Count("user_id", distinct=True)).values("n"), output_field=IntegerField()),
                Value(0),
            ),
            relationships_well=Coalesce(
                Subquery(well.annotate(n=Count("id")).values("n"), output_field=IntegerField()), Value(0)
            ),
            best_name=Subquery(best.values("user__full_name")[:1]),
            best_email=Subquery(best.values("user__email")[:1]),
            best_band=Subquery(best.values("band")[:1]),
        )
        .values(
            "pk",
            "company_id",
            "company__name",
            "team_id",
            "teammates_well",
            "relationships_well",
            "best_name",
            "best_email",
            "best_band",
        )
        .order_by("company__name", "pk")[:limit]
    )
    coverage = [
        TargetCoverage(
            target_id=r["pk"],
            company_id=r["company_id"],
            company_name=r["company__name"],
            org_wide=r["team_id"] is None,
            teammates_well=r["teammates_well"],
            relationships_well=r["relationships_well"],
            best_name=r["best_name"] or r["best_email"] or "",
            best_band=r["best_band"] or "",
        )
        for r in rows
    ]
    order = {"uncovered": 0, "thin": 1, "covered": 2}
    return sorted(coverage, key=lambda c: (order[c.status], c.company_name.lower()))
