"""REST API for relationship strength (``/api/v1/``).

* ``GET /contacts/{id}/relationships/``: who on the team knows this person, strongest first
  (names, strength and band; the explanation on the member's own row only).
* ``GET /relationships/``: the member's own relationships, strongest first, ``?band=`` filter.
* ``GET /scoring-policy/``, ``PATCH`` (admins): the weights and half-life; a change re-scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from activities import scoring_policy
from activities.models import ScoringPolicy
from activities.relationship_selectors import (
    WHO_KNOWS_LIMIT,
    contact_relationship_rows,
    relationship_explanation,
    relationships_mine,
)
from contacts.models import Band, Relationship
from contacts.selectors import contact_get
from relintel.accounts.models import Membership
from relintel.accounts.permissions import IsOrganizationAdmin
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import query_filters, request_membership
from relintel.api_views import MemberViewSet

NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such contact in your organization.")
FORBIDDEN = OpenApiResponse(ApiErrorSerializer, description="Only admins may do this.")
INVALID = OpenApiResponse(ApiErrorSerializer, description="Invalid input: `errors` names each field.")


class _ExplainedMixin(serializers.Serializer[Relationship]):
    def _explanation(self, obj: Relationship) -> str:
        now = self.context.get("now") or timezone.now()
        return relationship_explanation(obj, now=now)


class TeammateRelationshipSerializer(_ExplainedMixin):
    user = serializers.IntegerField(source="user_id", help_text="The teammate's user id.")
    name = serializers.CharField(source="user.display_name")
    is_you = serializers.SerializerMethodField()
    strength = serializers.IntegerField(help_text="0–100.")
    band = serializers.ChoiceField(choices=Band.choices)
    interaction_count = serializers.IntegerField()
    last_interaction_at = serializers.DateTimeField(allow_null=True)
    explanation = serializers.SerializerMethodField(help_text="Why this band: only on your own row, else null.")

    def get_is_you(self, obj: Relationship) -> bool:
        return bool(obj.user_id == self.context["request"].user.pk)

    def get_explanation(self, obj: Relationship) -> str | None:
        return self._explanation(obj) if self.get_is_you(obj) else None


class ContactRelationshipsSerializer(serializers.Serializer[Any]):
    contact = serializers.IntegerField()
    results = TeammateRelationshipSerializer(many=True)


class RelationshipSerializer(_ExplainedMixin, serializers.ModelSerializer[Relationship]):
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    explanation = serializers.SerializerMethodField(help_text="Why this band, in one sentence.")

    class Meta:
        model = Relationship
        fields = (
            "id",
            "contact",
            "contact_name",
            "strength",
            "band",
            "previous_band",
            "band_changed_at",
            "explanation",
            "components",
            "rhythm_days",
            "interaction_count",
            "meeting_count",
            "inbound_count",
            "outbound_count",
            "help_given_count",
            "help_received_count",
            "first_interaction_at",
            "last_interaction_at",
            "last_inbound_at",
            "last_outbound_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_explanation(self, obj: Relationship) -> str:
        return self._explanation(obj)


class RelationshipFilterSerializer(serializers.Serializer[Any]):
    band = serializers.ChoiceField(choices=Band.choices, required=False, help_text="Only this band.")


@extend_schema(
    summary="Who on the team knows a contact, strongest first",
    responses={200: ContactRelationshipsSerializer, 404: NOT_FOUND},
)
class ContactRelationshipsView(APIView):
    def get(self, request: Request, contact_id: int) -> Response:
        membership = request_membership(request)
        contact = contact_get(membership=membership, contact_id=contact_id)
        rows = list(contact_relationship_rows(membership=membership, contact=contact)[:WHO_KNOWS_LIMIT])
        context = {"request": request, "now": timezone.now()}
        return Response(
            {
                "contact": contact.pk,
                "results": TeammateRelationshipSerializer(rows, many=True, context=context).data,  # type: ignore[arg-type]
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="Your relationships, strongest first",
        parameters=[OpenApiParameter("band", str, enum=Band.values, description="Only this band.")],
    )
)
class RelationshipViewSet(mixins.ListModelMixin, MemberViewSet[Relationship]):
    serializer_class = RelationshipSerializer
    queryset = Relationship.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[Relationship]:
        f = query_filters(self.request, RelationshipFilterSerializer)
        return relationships_mine(membership=membership, band=f.get("band", ""))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}


class ScoringPolicySerializer(serializers.ModelSerializer[ScoringPolicy]):
    class Meta:
        model = ScoringPolicy
        fields = (*scoring_policy.POLICY_FIELDS, "updated_at")
        read_only_fields = ("updated_at",)
        extra_kwargs = {
            **{name: {"min_value": 0, "max_value": scoring_policy.MAX_WEIGHT} for name in scoring_policy.WEIGHT_FIELDS},
            **{name: {"min_value": low, "max_value": high} for name, low, high in scoring_policy.WHOLE_FIELDS},
        }


@extend_schema_view(
    get=extend_schema(summary="Get the organization's relationship scoring policy"),
    patch=extend_schema(
        summary="Change the scoring policy (admins); every relationship is re-scored",
        responses={200: ScoringPolicySerializer, 400: INVALID, 403: FORBIDDEN},
    ),
)
class ScoringPolicyView(generics.RetrieveUpdateAPIView[ScoringPolicy]):
    serializer_class = ScoringPolicySerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_permissions(self) -> Sequence[Any]:
        # Reading it is for every member (it explains the scores); changing it, for admins.
        if self.request.method == "PATCH":
            return [IsOrganizationAdmin()]
        return super().get_permissions()

    def get_object(self) -> ScoringPolicy:
        return scoring_policy.scoring_policy_get(membership=request_membership(self.request))

    def perform_update(self, serializer: serializers.BaseSerializer[ScoringPolicy]) -> None:
        try:
            serializer.instance = scoring_policy.scoring_policy_update(
                membership=request_membership(self.request), **serializer.validated_data
            )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or None) from None
