"""REST API for warm introductions (``/api/v1/``): the same reads and actions as the pages.

* ``GET contacts/{id}/intro-paths/``, ``GET companies/{id}/intro-paths/``: paths, best first.
* ``intro-requests/``: list (``?role=made|received``, ``?status=``), create, retrieve, and
  ``accept`` / ``decline`` / ``deliver`` (the introducer) and ``cancel`` (the requester).
  Requests between two other people are a 404 to everyone else.
* ``intro-suggestions/``: the member's own matchmaking suggestions, ``accept`` and ``dismiss``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts import selectors
from contacts.api import ERROR_RESPONSES, scoped_contact_field
from contacts.intros import paths as path_selectors
from contacts.intros import requests as intro_requests
from contacts.intros.ranking import IntroPath
from contacts.matchmaking import service as matchmaking
from contacts.models import IntroRequest, IntroStatus, IntroSuggestion, SuggestionStatus
from relintel.accounts.models import Membership
from relintel.api_fields import MemberUserField, query_filters, request_membership
from relintel.api_views import MemberViewSet

NOT_FOUND = {404: ERROR_RESPONSES[404]}


# --- paths ---------------------------------------------------------------------------


class IntroPathSerializer(serializers.Serializer[IntroPath]):
    target = serializers.IntegerField(source="target_id", help_text="The contact to meet.")
    target_name = serializers.CharField()
    introducer = serializers.IntegerField(source="introducer_id", help_text="The member to ask (user id).")
    introducer_name = serializers.CharField()
    via = serializers.IntegerField(
        source="via_id", allow_null=True, help_text="Two hops: the contact between them, else null."
    )
    via_name = serializers.CharField()
    hops = serializers.IntegerField()
    strength = serializers.IntegerField(help_text="0–100: the weakest link of the path.")
    teammate_link = serializers.IntegerField(help_text="The member's strength with the target (or the bridge).")
    bridge_link = serializers.IntegerField(
        allow_null=True, help_text="Two hops: how well the bridge and the target know each other, 0–100."
    )
    meetings = serializers.IntegerField(help_text="Two hops: meetings the bridge and the target shared.")
    threads = serializers.IntegerField(help_text="Two hops: email threads the bridge and the target shared.")
    is_yours = serializers.BooleanField(source="is_mine", help_text="You know the bridge yourself: ask them directly.")


class IntroPathsSerializer(serializers.Serializer[Any]):
    contact = serializers.IntegerField(required=False)
    company = serializers.IntegerField(required=False)
    your_strength = serializers.IntegerField(allow_null=True, help_text="Your own strength with the contact.")
    results = IntroPathSerializer(many=True)


class ContactIntroPathsView(APIView):
    @extend_schema(
        summary="Warm intro paths to a contact, best first",
        responses={200: IntroPathsSerializer, **NOT_FOUND},
    )
    def get(self, request: Request, contact_id: int) -> Response:
        membership = request_membership(request)
        contact = selectors.contact_get(membership=membership, contact_id=contact_id)
        found = path_selectors.intro_paths(membership=membership, contact=contact)
        return Response(
            IntroPathsSerializer(
                {"contact": contact.pk, "your_strength": found.my_strength, "results": found.paths}
            ).data
        )


class CompanyIntroPathsView(APIView):
    @extend_schema(
        summary="Warm intro paths to a company's people, best first",
        responses={200: IntroPathsSerializer, **NOT_FOUND},
    )
    def get(self, request: Request, company_id: int) -> Response:
        membership = request_membership(request)
        company = selectors.company_get(membership=membership, company_id=company_id)
        found = path_selectors.intro_paths(membership=membership, company=company)
        return Response(
            IntroPathsSerializer({"company": company.pk, "your_strength": None, "results": found.paths}).data
        )


# --- requests ------------------------------------------------------------------------


class IntroRequestSerializer(serializers.ModelSerializer[IntroRequest]):
    introducer = MemberUserField(help_text="The teammate asked (a member's user id).")
    target = scoped_contact_field(help_text="The contact you want to meet.")
    via = scoped_contact_field(allow_null=True, default=None, help_text="Two hops: the contact between them.")
    message = serializers.CharField(
        allow_blank=True, default="", max_length=intro_requests.MESSAGE_MAX, help_text="Why, for the teammate."
    )

    class Meta:
        model = IntroRequest
        fields = (
            "id",
            "requester",
            "introducer",
            "target",
            "via",
            "message",
            "status",
            "response",
            "help_offer",
            "created_at",
            "responded_at",
            "delivered_at",
        )
        read_only_fields = (
            "requester",
            "status",
            "response",
            "help_offer",
            "created_at",
            "responded_at",
            "delivered_at",
        )


class IntroRequestFilterSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(
        choices=[("made", "made"), ("received", "received")],
        required=False,
        help_text="made: the ones you asked; received: the ones asked of you.",
    )
    status = serializers.ChoiceField(choices=IntroStatus.choices, required=False)


class IntroResponseSerializer(serializers.Serializer[Any]):
    response = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=intro_requests.MESSAGE_MAX, help_text="A note back."
    )


def _intro_action(name: str, summary: str) -> Any:
    """One POST action per move; the function is named after it so the router maps it."""

    def act(self: IntroRequestViewSet, request: Request, pk: str | None = None) -> Response:
        membership = request_membership(request)
        intro = intro_requests.intro_request_get_for(membership=membership, request_id=self.kwargs["pk"], action=name)
        body = IntroResponseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        intro = intro_requests.intro_request_act(request=intro, action=name, response=body.validated_data["response"])
        intro = intro_requests.intro_request_get(membership=membership, request_id=intro.pk)
        return Response(IntroRequestSerializer(intro, context=self.get_serializer_context()).data)

    act.__name__ = act.__qualname__ = name
    documented = extend_schema(
        summary=summary,
        request=IntroResponseSerializer if name != "cancel" else None,
        responses={200: IntroRequestSerializer, **ERROR_RESPONSES},
    )(act)
    return action(detail=True, methods=["post"])(documented)


@extend_schema_view(
    list=extend_schema(summary="List intro requests you made or were asked", parameters=[IntroRequestFilterSerializer]),
    create=extend_schema(
        summary="Ask a teammate for an introduction",
        responses={201: IntroRequestSerializer, 400: ERROR_RESPONSES[400]},
    ),
    retrieve=extend_schema(summary="Get an intro request", responses={200: IntroRequestSerializer, **NOT_FOUND}),
)
class IntroRequestViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, MemberViewSet[IntroRequest]
):
    serializer_class = IntroRequestSerializer
    queryset = IntroRequest.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[IntroRequest]:
        f = query_filters(self.request, IntroRequestFilterSerializer)
        return intro_requests.intro_request_list(
            membership=membership, role=f.get("role", ""), status=f.get("status", "")
        )

    def get_object(self) -> IntroRequest:
        return intro_requests.intro_request_get(
            membership=request_membership(self.request), request_id=self.kwargs["pk"]
        )

    def perform_create(self, serializer: serializers.BaseSerializer[IntroRequest]) -> None:
        data = serializer.validated_data
        serializer.instance = intro_requests.intro_request_create(
            membership=request_membership(self.request),
            target=data["target"],
            introducer=data["introducer"],
            via=data.get("via"),
            message=data.get("message", ""),
        )

    accept = _intro_action("accept", "Accept an intro request asked of you")
    decline = _intro_action("decline", "Decline an intro request asked of you")
    deliver = _intro_action("deliver", "Mark an introduction made: recorded on both ledgers")
    cancel = _intro_action("cancel", "Cancel an intro request you made")


# --- suggestions ---------------------------------------------------------------------


class IntroSuggestionSerializer(serializers.ModelSerializer[IntroSuggestion]):
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    other_name = serializers.CharField(source="other.full_name", read_only=True)

    class Meta:
        model = IntroSuggestion
        fields = (
            "id",
            "contact",
            "contact_name",
            "other",
            "other_name",
            "reason",
            "score",
            "status",
            "help_offer",
            "created_at",
            "decided_at",
        )
        read_only_fields = fields


class IntroSuggestionFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=SuggestionStatus.choices, required=False, default=SuggestionStatus.OPEN, help_text="Default: open."
    )


@extend_schema_view(
    list=extend_schema(
        summary="Your suggested introductions (introduce contact to other)",
        parameters=[IntroSuggestionFilterSerializer],
    ),
    retrieve=extend_schema(summary="Get a suggestion", responses={200: IntroSuggestionSerializer, **NOT_FOUND}),
)
class IntroSuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MemberViewSet[IntroSuggestion]):
    serializer_class = IntroSuggestionSerializer
    queryset = IntroSuggestion.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[IntroSuggestion]:
        f = query_filters(self.request, IntroSuggestionFilterSerializer)
        return matchmaking.intro_suggestion_list(membership=membership, status=f["status"])

    def get_object(self) -> IntroSuggestion:
        return matchmaking.intro_suggestion_get(
            membership=request_membership(self.request), suggestion_id=self.kwargs["pk"]
        )

    def _answer(self, suggestion: IntroSuggestion) -> Response:
        fresh = self.get_object()
        return Response(
            IntroSuggestionSerializer(fresh, context=self.get_serializer_context()).data, status.HTTP_200_OK
        )

    @extend_schema(
        summary="Accept: offer the introduction (an intro help offer due in 7 days)",
        request=None,
        responses={200: IntroSuggestionSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        suggestion = self.get_object()
        matchmaking.intro_suggestion_accept(membership=request_membership(request), suggestion=suggestion)
        return self._answer(suggestion)

    @extend_schema(
        summary="Dismiss a suggestion (it is not suggested again)",
        request=None,
        responses={200: IntroSuggestionSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        suggestion = self.get_object()
        matchmaking.intro_suggestion_dismiss(suggestion=suggestion)
        return self._answer(suggestion)
