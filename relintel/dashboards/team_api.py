"""REST API for the team dashboard (``/api/v1/dashboards/team/``) and target accounts.

Same rules as the pages: managers see their own team, admins any team of the organization,
reps get a 403; a foreign team or target id is a 404. Figures come from the same selectors.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.api import ERROR_RESPONSES
from contacts.models import Company, TargetAccount
from contacts.selectors import companies_for
from contacts.targets import target_account_add, target_account_get, target_account_remove, target_accounts_for
from relintel.accounts.models import Membership, Role, Team
from relintel.accounts.permissions import IsOrganizationMember
from relintel.accounts.selectors import team_get
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import ScopedPrimaryKeyRelatedField, request_membership
from relintel.api_views import MemberViewSet
from relintel.dashboards.team import TeamFigures, team_figures
from relintel.dashboards.team_period import period_parse

FORBIDDEN = OpenApiResponse(ApiErrorSerializer, description="Only managers and admins see team dashboards.")


class IsManagerOrAdmin(IsOrganizationMember):
    message = "Only managers and admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and request.membership.role in (Role.MANAGER, Role.ADMIN)  # type: ignore[attr-defined]


# --- the dashboard's figures ---------------------------------------------------------


class WeekActivitySerializer(serializers.Serializer[Any]):
    week = serializers.DateField(help_text="The Monday the week starts on.")
    email = serializers.IntegerField()
    meeting = serializers.IntegerField()
    call = serializers.IntegerField()
    note = serializers.IntegerField()


class GiveFirstSerializer(serializers.Serializer[Any]):
    help_delivered = serializers.IntegerField()
    intros_made = serializers.IntegerField()
    asks = serializers.IntegerField()
    index = serializers.FloatField(help_text="(help_delivered + intros_made) / max(asks, 1)")


class BandsSerializer(serializers.Serializer[Any]):
    strong = serializers.IntegerField()
    medium = serializers.IntegerField()
    weak = serializers.IntegerField()
    cold = serializers.IntegerField()


class MemberFiguresSerializer(serializers.Serializer[Any]):
    user = serializers.IntegerField()
    name = serializers.CharField()
    interactions = serializers.DictField(child=serializers.IntegerField(), help_text="Kind → count in the period.")
    bands = BandsSerializer(help_text="Relationships by band now.")
    moved_up = serializers.IntegerField()
    moved_down = serializers.IntegerField()
    new_relationships = serializers.IntegerField()
    give_first = GiveFirstSerializer()
    replies_owed = serializers.IntegerField(allow_null=True)


class RiskyAccountSerializer(serializers.Serializer[Any]):
    company = serializers.IntegerField()
    company_name = serializers.CharField()
    reason = serializers.ChoiceField(choices=["going_cold", "one_person"])
    teammate = serializers.CharField(allow_blank=True)
    contact = serializers.CharField(allow_blank=True)
    band = serializers.CharField(allow_blank=True)
    was_band = serializers.CharField(allow_blank=True)


class CoverageSerializer(serializers.Serializer[Any]):
    target = serializers.IntegerField()
    company = serializers.IntegerField()
    company_name = serializers.CharField()
    organization_wide = serializers.BooleanField()
    coverage = serializers.ChoiceField(choices=["covered", "thin", "uncovered"])
    teammates_medium_plus = serializers.IntegerField()
    relationships_medium_plus = serializers.IntegerField()
    best_teammate = serializers.CharField(allow_blank=True)
    best_band = serializers.CharField(allow_blank=True)


class TeamDashboardSerializer(serializers.Serializer[Any]):
    team = serializers.DictField(allow_null=True)
    period = serializers.DictField()
    weeks = WeekActivitySerializer(many=True)
    members = MemberFiguresSerializer(many=True)
    team_totals = serializers.DictField()
    accounts_at_risk = serializers.DictField()
    target_accounts = CoverageSerializer(many=True)


def _give(g: Any) -> dict[str, Any]:
    return {"help_delivered": g.help_delivered, "intros_made": g.intros_made, "asks": g.asks, "index": g.index}


def figures_payload(f: TeamFigures) -> dict[str, Any]:
    """The dashboard's figures as plain JSON-able data."""
    risk = f.at_risk
    return {
        "team": {"id": f.team.pk, "name": f.team.name} if f.team else None,
        "period": {
            "key": f.period.key,
            "first_day": f.period.first_day,
            "last_day": f.period.last_day,
            "label": f.period.label,
        },
        "weeks": [{"week": w, **{k: f.weekly.get((w, k), 0) for k, _ in f.kinds}} for w in f.weeks],
        "members": [
            {
                "user": m.membership.user_id,
                "name": m.name,
                "interactions": {k: m.by_kind.get(k, 0) for k, _ in f.kinds},
                "bands": {b: m.bands.get(b, 0) for b, _ in f.bands},
                "moved_up": m.moved_up,
                "moved_down": m.moved_down,
                "new_relationships": m.new,
                "give_first": _give(m.give),
                "replies_owed": m.replies_owed,
            }
            for m in f.members
        ],
        "team_totals": {
            "interactions": dict(zip([k for k, _ in f.kinds], f.kind_totals, strict=True)),
            "bands": dict(zip([b for b, _ in f.bands], f.band_totals, strict=True)),
            "moved_up": f.moved_up,
            "moved_down": f.moved_down,
            "new_relationships": f.new,
            "give_first": _give(f.give),
            "replies_owed": f.replies_owed if f.replies_available else None,
        },
        "accounts_at_risk": {
            "going_cold_total": risk.going_cold_total if risk else 0,
            "one_person_total": risk.one_person_total if risk else 0,
            "accounts": [
                {
                    "company": a.company_id,
                    "company_name": a.company_name,
                    "reason": a.reason,
                    "teammate": a.holder_name,
                    "contact": a.contact_name,
                    "band": a.band,
                    "was_band": a.was_band,
                }
                for a in ([*risk.going_cold, *risk.one_person] if risk else [])
            ],
        },
        "target_accounts": [
            {
                "target": t.target_id,
                "company": t.company_id,
                "company_name": t.company_name,
                "organization_wide": t.org_wide,
                "coverage": t.status,
                "teammates_medium_plus": t.teammates_well,
                "relationships_medium_plus": t.relationships_well,
                "best_teammate": t.best_name,
                "best_band": t.best_band,
            }
            for t in f.targets
        ],
    }


class TeamDashboardView(APIView):
    permission_classes = (IsManagerOrAdmin,)

    @extend_schema(
        summary="The team dashboard's figures for a period",
        parameters=[
            OpenApiParameter("team", int, description="Team id (admins: any team; managers: their own)."),
            OpenApiParameter("period", str, enum=["4w", "12w", "26w", "custom"], description="Default 12w."),
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD) of a custom period."),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD) of a custom period."),
        ],
        responses={200: TeamDashboardSerializer, 400: ERROR_RESPONSES[400], 403: FORBIDDEN, 404: ERROR_RESPONSES[404]},
    )
    def get(self, request: Request) -> Response:
        raw = (request.query_params.get("team") or "").strip()
        if raw and not raw.isdigit():
            raise serializers.ValidationError({"team": ["A team id is a whole number."]})
        period = period_parse(request.query_params, today=timezone.localdate())
        figures = team_figures(membership=request_membership(request), team_id=int(raw) if raw else None, period=period)
        return Response(TeamDashboardSerializer(figures_payload(figures)).data)


# --- target accounts -----------------------------------------------------------------


class TargetAccountSerializer(serializers.ModelSerializer[TargetAccount]):
    company = ScopedPrimaryKeyRelatedField(
        scope=lambda m: companies_for(membership=m), model=Company, noun="company", help_text="Company id."
    )
    company_name = serializers.CharField(source="company.name", read_only=True)
    team = serializers.IntegerField(
        source="team_id",
        allow_null=True,
        required=False,
        default=None,
        help_text="Team id; null for the organization-wide list (admins only).",
    )

    class Meta:
        model = TargetAccount
        fields = ("id", "company", "company_name", "team", "added_by", "created_at")
        read_only_fields = ("added_by", "created_at")


@extend_schema_view(
    list=extend_schema(summary="List target accounts (your team's and the organization's; admins: all)"),
    create=extend_schema(
        summary="Add a target account (managers: their team; admins: any team or the organization)",
        responses={201: TargetAccountSerializer, 400: ERROR_RESPONSES[400], 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="Get a target account", responses={200: TargetAccountSerializer, 404: ERROR_RESPONSES[404]}
    ),
    destroy=extend_schema(
        summary="Remove a target account", responses={204: None, 403: FORBIDDEN, 404: ERROR_RESPONSES[404]}
    ),
)
class TargetAccountViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    MemberViewSet[TargetAccount],
):
    serializer_class = TargetAccountSerializer
    queryset = TargetAccount.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[TargetAccount]:
        return target_accounts_for(membership=membership).order_by("company__name", "pk")

    def get_object(self) -> TargetAccount:
        return target_account_get(membership=request_membership(self.request), target_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[TargetAccount]) -> None:
        membership = request_membership(self.request)
        team_id = serializer.validated_data.get("team_id")
        team: Team | None = None
        if team_id is not None:
            try:
                team = team_get(membership=membership, team_id=team_id)
            except Http404:
                raise serializers.ValidationError({"team": ["No such team."]}) from None
        serializer.instance = target_account_add(
            membership=membership, company=serializer.validated_data["company"], team=team
        )

    def perform_destroy(self, instance: TargetAccount) -> None:
        target_account_remove(membership=request_membership(self.request), target=instance)
