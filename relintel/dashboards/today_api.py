"""REST API for the rep's Today list (``/api/v1/nudges/``): the same items and actions as the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.nudges import SNOOZE_CHOICES
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import request_membership
from relintel.dashboards import services, today

KEY_PARAMETER = OpenApiParameter(
    "nudge_key",
    str,
    OpenApiParameter.PATH,
    description="The item's key, `<kind>:<id>`, e.g. `reply:812` or `help:31`.",
)
NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such item of yours.")


class NudgeSerializer(serializers.Serializer[today.NudgeItem]):
    kind = serializers.ChoiceField(
        choices=today.KIND_ORDER,
        help_text="reply (a reply owed), help (help you promised, due), cold (a relationship going cold), "
        "intro (a teammate asks you for an introduction), suggestion (an introduction you could make).",
    )
    key = serializers.CharField(help_text="Stable id of the item: `<kind>:<object id>`.")
    title = serializers.CharField()
    reason = serializers.CharField(help_text="Why it is on the list, in a sentence.")
    since = serializers.DateTimeField(
        allow_null=True, help_text="When the fact began: the email received, the band dropped, the request made."
    )
    due = serializers.DateField(allow_null=True, help_text="For help: its due date.")
    overdue = serializers.BooleanField()
    contact_id = serializers.IntegerField(allow_null=True, help_text="The contact it is about.")
    object_id = serializers.IntegerField(
        help_text="The id of the interaction, help offer, contact (cold), intro request or intro suggestion."
    )
    done_means = serializers.CharField(
        source="done_label",
        help_text="What `done` does for this kind (Replied, Delivered: the help offer is delivered, Reached out); "
        "empty when `done` is refused (introductions are answered through their own flow).",
    )


class NudgeListSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    more = serializers.ListField(
        child=serializers.CharField(), help_text="Kinds with more items than listed (up to 10 per kind are listed)."
    )
    results = NudgeSerializer(many=True)


class NudgeActionInputSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=list(services.ACTIONS))
    snooze = serializers.ChoiceField(
        choices=list(SNOOZE_CHOICES), default="tomorrow", help_text="For `snooze`: when the item comes back."
    )


class NudgeActionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    state = serializers.CharField(help_text="done, snoozed or dismissed.")
    until = serializers.DateTimeField(allow_null=True, help_text="For a snoozed item: when it comes back.")
    undoable = serializers.BooleanField(help_text="False after `done` on help: the delivery itself stays.")


class NudgeListView(APIView):
    @extend_schema(
        summary="Your Today list",
        description="Items not snoozed, done or dismissed, grouped in the page's order: replies owed, help "
        "due, relationships going cold, introductions asked of you, introductions you could make.",
        responses={200: NudgeListSerializer},
    )
    def get(self, request: Request) -> Response:
        page = today.today_list(membership=request_membership(request))
        data = {
            "count": page.total,
            "more": [g.kind for g in page.groups if g.more],
            "results": page.items,
        }
        return Response(NudgeListSerializer(data).data)


class NudgeActionView(APIView):
    @extend_schema(
        summary="Mark an item done, snooze or dismiss it",
        parameters=[KEY_PARAMETER],
        request=NudgeActionInputSerializer,
        responses={
            200: NudgeActionSerializer,
            400: OpenApiResponse(ApiErrorSerializer, description="Invalid input: `errors` names the field."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, nudge_key: str) -> Response:
        # Someone else's (or no) item is a 404 whatever the payload says.
        today.nudge_get(membership=request_membership(request), key=nudge_key)
        serializer = NudgeActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.nudge_act(
            membership=request_membership(request),
            key=nudge_key,
            action=serializer.validated_data["action"],
            snooze=serializer.validated_data["snooze"],
        )
        data = {
            "key": outcome.item.key,
            "state": outcome.action.state,
            "until": outcome.action.until,
            "undoable": outcome.undoable,
        }
        return Response(NudgeActionSerializer(data).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Undo: show the item again",
        parameters=[KEY_PARAMETER],
        request=None,
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, nudge_key: str) -> Response:
        services.nudge_undo(membership=request_membership(request), key=nudge_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
