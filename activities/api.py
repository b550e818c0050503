"""REST API for interactions (``/api/v1/interactions/``).

Reads go through ``activities.selectors`` and so through the visibility rules:
another member's private interaction does not exist for you, managers included.
Only an interaction's owner may change or delete it; to anyone else it is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from activities import selectors, services
from activities.models import Interaction, InteractionKind, InteractionSource, Participant
from contacts.api import ERROR_RESPONSES, scoped_contact_field, scoped_help_offer_field
from relintel.accounts.models import Membership
from relintel.api_fields import query_filters, request_membership
from relintel.api_views import CrudViewSet

_FIXED = "This cannot be changed; log a new interaction instead."


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    class Meta:
        model = Participant
        fields = ("contact", "user", "address", "display_name", "role", "response_status")
        read_only_fields = fields


class InteractionSerializer(serializers.ModelSerializer[Interaction]):
    url = serializers.HyperlinkedIdentityField(view_name="interaction-detail")
    contacts = scoped_contact_field(
        many=True,
        write_only=True,
        allow_empty=False,
        help_text="Ids of the contacts it was with (they appear in `participants`). Fixed once logged.",
    )
    help_offers = scoped_help_offer_field(
        many=True, required=False, help_text="Ids of the help offers this interaction carried. Fixed once logged."
    )
    participants = ParticipantSerializer(many=True, read_only=True)

    class Meta:
        model = Interaction
        fields = (
            "id",
            "url",
            "kind",
            "occurred_at",
            "duration_minutes",
            "subject",
            "body",
            "direction",
            "visibility",
            "source",
            "owner",
            "contacts",
            "participants",
            "help_offers",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("source", "owner", "created_at", "updated_at")
        extra_kwargs = {
            "subject": {"default": ""},
            "body": {"default": ""},
            "occurred_at": {"required": False, "help_text": "When it happened; now if not given."},
            "direction": {"help_text": "inbound or outbound when logging by hand; `internal` is set by capture."},
            "visibility": {"help_text": "`private`: only you; `team`: your team; `organization`: everyone."},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            # Who took part and what kind of thing it was are what was logged: they stay.
            current = {
                "kind": self.instance.kind,
                "contacts": {p.contact_id for p in self.instance.participants.all() if p.contact_id},
                "help_offers": {o.pk for o in self.instance.help_offers.all()},
            }
            given = {
                "kind": attrs.get("kind"),
                "contacts": {c.pk for c in attrs.get("contacts", ())},
                "help_offers": {o.pk for o in attrs.get("help_offers", ())},
            }
            errors: dict[str, Any] = {
                field: [_FIXED] for field in current if field in attrs and given[field] != current[field]
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class InteractionFilterSerializer(serializers.Serializer[Any]):
    contact = serializers.IntegerField(required=False, min_value=1, help_text="Contact id.")
    company = serializers.IntegerField(required=False, min_value=1, help_text="Company id.")
    kind = serializers.ChoiceField(choices=InteractionKind.choices, required=False)
    owner = serializers.IntegerField(required=False, min_value=1, help_text="Owner's user id.")


@extend_schema_view(
    list=extend_schema(summary="List interactions you can see, newest first", parameters=[InteractionFilterSerializer]),
    create=extend_schema(
        summary="Log a call, meeting, note or email",
        responses={201: InteractionSerializer, 400: ERROR_RESPONSES[400]},
    ),
    retrieve=extend_schema(
        summary="Get an interaction", responses={200: InteractionSerializer, 404: ERROR_RESPONSES[404]}
    ),
    update=extend_schema(
        summary="Replace an interaction (yours only)", responses={200: InteractionSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Change an interaction (yours only)", responses={200: InteractionSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(
        summary="Delete an interaction (yours only)",
        responses={204: OpenApiResponse(description="Deleted."), 404: ERROR_RESPONSES[404]},
    ),
)
class InteractionViewSet(CrudViewSet[Interaction]):
    serializer_class = InteractionSerializer
    queryset = Interaction.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[Interaction]:
        f = query_filters(self.request, InteractionFilterSerializer)
        return selectors.interaction_list(
            membership=membership,
            contact_id=f.get("contact"),
            company_id=f.get("company"),
            kind=f.get("kind"),
            owner_id=f.get("owner"),
        ).prefetch_related("help_offers")

    def get_object(self) -> Interaction:
        membership = request_membership(self.request)
        if self.action == "retrieve":
            return selectors.interaction_get(membership=membership, interaction_id=self.kwargs["pk"])
        return selectors.interaction_get_owned(membership=membership, interaction_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[Interaction]) -> None:
        interaction = services.interaction_log(
            membership=request_membership(self.request), source=InteractionSource.API, **serializer.validated_data
        )
        serializer.instance = self._reread(interaction)

    def perform_update(self, serializer: serializers.BaseSerializer[Interaction]) -> None:
        assert serializer.instance is not None
        data = {k: v for k, v in serializer.validated_data.items() if k not in ("kind", "contacts", "help_offers")}
        interaction = services.interaction_update(interaction=serializer.instance, **data)
        serializer.instance = self._reread(interaction)

    def perform_destroy(self, instance: Interaction) -> None:
        services.interaction_delete(interaction=instance)

    def _reread(self, interaction: Interaction) -> Interaction:
        return selectors.interaction_get(membership=request_membership(self.request), interaction_id=interaction.pk)
