"""REST API for capture: sources (``/api/v1/capture-accounts/``), exclusions
(``/api/v1/exclusions/``), skipped messages (``/api/v1/skipped-messages/``) and the
organization's capture policy (``/api/v1/capture-policy/``).

A source's ``secret`` is write-only: it is stored encrypted and never returned. Sources are
their owner's: anyone else gets a 404 (admins may read every source of the organization).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from activities.capture import selectors, services
from activities.capture.sources.diagnostics import test_connection
from activities.capture.sources.runner import capture_account_poll_now
from activities.models import (
    CaptureAccount,
    CaptureKind,
    CapturePolicy,
    CaptureStatus,
    Exclusion,
    ExclusionKind,
    InteractionSource,
    PrivacyLevel,
    SkippedMessage,
)
from contacts.api import ERROR_RESPONSES
from relintel.accounts.models import Membership
from relintel.accounts.permissions import IsOrganizationAdmin
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import query_filters, request_membership
from relintel.api_views import CrudViewSet, MemberViewSet

FORBIDDEN = OpenApiResponse(ApiErrorSerializer, description="Only admins may do this.")
HEALTH_FIELDS = (
    "status",
    "state",
    "state_label",
    "last_success_at",
    "last_error",
    "last_error_kind",
    "last_error_at",
    "captured_count",
    "skipped_counts",
    "backfill_progress",
    "next_poll_at",
    "created_at",
    "updated_at",
)


@extend_schema_field(OpenApiTypes.STR)
class InlineChoiceField(serializers.ChoiceField):
    """A choice documented as a string with its values in the help text, not as a named enum
    component: the same choices under two names (``privacy_level``, ``default_privacy_level``)
    or two choice sets under one name (``status``, ``source``) would otherwise collide."""


def inline_choices(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    values = [value for value, _ in choices]
    listed = ", ".join(f"`{v}`" for v in values)
    kwargs["help_text"] = f"{kwargs.get('help_text', '')} One of {listed}.".strip()
    return InlineChoiceField(choices=choices, **kwargs)


def _forbidden(error: DjangoPermissionDenied) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(error) or None)


# --- sources -------------------------------------------------------------------------------------


class CaptureAccountSerializer(serializers.ModelSerializer[CaptureAccount]):
    kind = serializers.ChoiceField(choices=CaptureKind.choices, help_text="Fixed once created.")
    # A plain string, not a URL field: ``webcal://`` feeds are accepted (and read over https).
    url = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="CalDAV calendar or ICS feed address (`webcal://` is accepted). Not used for IMAP.",
    )
    secret = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Password or OAuth2 access token. Write-only, stored encrypted; omit or leave blank to keep it.",
    )
    folders = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        required=False,
        help_text="IMAP folders (empty: inbox and sent) or CalDAV calendar paths (empty: every calendar).",
    )
    privacy_level = inline_choices(
        PrivacyLevel.choices,
        required=False,
        help_text="What is kept of captured mail; the organization's default when not given.",
    )
    status = inline_choices(CaptureStatus.choices, read_only=True)
    state = serializers.SerializerMethodField(help_text="active, backfilling, waiting, failing or paused.")
    state_label = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField(help_text="The last error, in plain words.")
    backfill_progress = serializers.SerializerMethodField(
        help_text="Percent of the backfill done; null before it starts."
    )

    class Meta:
        model = CaptureAccount
        fields = (
            "id",
            "user",
            "kind",
            "name",
            "host",
            "port",
            "security",
            "username",
            "url",
            "auth_method",
            "secret",
            "folders",
            "privacy_level",
            "visibility",
            "backfill_days",
            *HEALTH_FIELDS,
        )
        read_only_fields = tuple(
            f for f in HEALTH_FIELDS if f not in ("state", "state_label", "last_error", "backfill_progress")
        )
        extra_kwargs = {
            "host": {"required": False, "help_text": "IMAP server, e.g. imap.example.com."},
            "port": {"required": False, "help_text": "IMAP port; the usual one for the security when not given."},
            "security": {"required": False},
            "username": {"required": False},
            "auth_method": {"required": False},
            "visibility": {"required": False},
            "backfill_days": {"required": False, "min_value": 0, "max_value": 3650},
            "name": {"help_text": "A label, e.g. 'Work mailbox'."},
            "user": {"read_only": True, "help_text": "The owner's user id."},
        }

    def get_state(self, account: CaptureAccount) -> str:
        return selectors.source_health(account).state

    def get_state_label(self, account: CaptureAccount) -> str:
        return selectors.source_health(account).state_label

    def get_last_error(self, account: CaptureAccount) -> str:
        return selectors.source_health(account).last_error

    def get_backfill_progress(self, account: CaptureAccount) -> int | None:
        return selectors.source_health(account).progress_percent

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind:
            raise serializers.ValidationError({"kind": ["This cannot be changed; connect a new source instead."]})
        return attrs


class CaptureAccountFilterSerializer(serializers.Serializer[Any]):
    all = serializers.BooleanField(
        required=False, default=False, help_text="Admins: every source of the organization, not only yours."
    )


class ConnectionReportSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    stage = serializers.CharField(
        help_text="Where it failed: dns, connect, tls, login, folder, http; ok when it worked."
    )
    message = serializers.CharField(help_text="What happened, in plain words.")


class RemoveQuerySerializer(serializers.Serializer[Any]):
    delete_data = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also delete the interactions only this source captured (default: keep them).",
    )


_ACTION_RESPONSES = {200: CaptureAccountSerializer, 404: ERROR_RESPONSES[404]}


@extend_schema_view(
    list=extend_schema(
        summary="List your capture sources with their health", parameters=[CaptureAccountFilterSerializer]
    ),
    create=extend_schema(
        summary="Connect a mailbox (IMAP), calendar (CalDAV) or ICS feed",
        responses={201: CaptureAccountSerializer, 400: ERROR_RESPONSES[400]},
    ),
    retrieve=extend_schema(
        summary="Get a source and its health", responses={200: CaptureAccountSerializer, 404: ERROR_RESPONSES[404]}
    ),
    update=extend_schema(
        summary="Replace a source's settings (yours only)", responses={200: CaptureAccountSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        summary="Change a source's settings (yours only)", responses={200: CaptureAccountSerializer, **ERROR_RESPONSES}
    ),
    destroy=extend_schema(
        summary="Remove a source (yours only)",
        parameters=[RemoveQuerySerializer],
        responses={204: OpenApiResponse(description="Removed."), 404: ERROR_RESPONSES[404]},
    ),
)
class CaptureAccountViewSet(CrudViewSet[CaptureAccount]):
    serializer_class = CaptureAccountSerializer
    queryset = CaptureAccount.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[CaptureAccount]:
        f = query_filters(self.request, CaptureAccountFilterSerializer)
        if f["all"] and membership.is_admin:
            return selectors.capture_accounts_in_organization(membership=membership)
        return selectors.capture_accounts_of(membership=membership)

    def get_object(self) -> CaptureAccount:
        membership = request_membership(self.request)
        if self.action == "retrieve":
            return selectors.capture_account_get_readable(membership=membership, account_id=self.kwargs["pk"])
        return selectors.capture_account_get(membership=membership, account_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[CaptureAccount]) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.capture_account_create(membership=request_membership(self.request), **data)

    def perform_update(self, serializer: serializers.BaseSerializer[CaptureAccount]) -> None:
        assert serializer.instance is not None
        data = {k: v for k, v in serializer.validated_data.items() if k != "kind"}
        serializer.instance = services.capture_account_update(account=serializer.instance, **data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        options = query_filters(request, RemoveQuerySerializer)
        services.capture_account_remove(account=account, delete_data=options["delete_data"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _account_response(self, account: CaptureAccount) -> Response:
        account.refresh_from_db()
        return Response(CaptureAccountSerializer(account, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Test the connection of a source (yours only)",
        description="Connects, signs in and looks at the folders or calendars, as a sync would; "
        "says at which stage it failed. Nothing is captured.",
        request=None,
        responses={200: ConnectionReportSerializer, 404: ERROR_RESPONSES[404]},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        report = test_connection(self.get_object())
        return Response(ConnectionReportSerializer(report).data)

    @extend_schema(summary="Pause a source (yours only)", request=None, responses=_ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._account_response(services.capture_account_pause(account=self.get_object()))

    @extend_schema(summary="Resume a paused source (yours only)", request=None, responses=_ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._account_response(services.capture_account_resume(account=self.get_object()))

    @extend_schema(
        summary="Sync a source now (yours only)",
        description="Makes the source due now; a paused source is a 400 naming `status`.",
        request=None,
        responses={200: CaptureAccountSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        if not capture_account_poll_now(account=account):
            raise serializers.ValidationError({"status": ["The source is paused: resume it first."]})
        return self._account_response(account)


# --- exclusions -------------------------------------------------------------------------------------


class ExclusionSerializer(serializers.ModelSerializer[Exclusion]):
    kind = serializers.ChoiceField(choices=ExclusionKind.choices)
    value = serializers.CharField(max_length=254, help_text="An email address or a domain (subdomains included).")
    scope = serializers.ChoiceField(
        choices=[("personal", "Only your sources"), ("organization", "Everyone's sources (admins)")],
        default="personal",
        help_text="`organization` needs an admin.",
    )

    class Meta:
        model = Exclusion
        fields = ("id", "kind", "value", "scope", "created_by", "created_at")
        read_only_fields = ("created_by", "created_at")

    def to_representation(self, instance: Exclusion) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["scope"] = "organization" if instance.user_id is None else "personal"
        return data


@extend_schema_view(
    list=extend_schema(summary="List the organization's exclusions and yours"),
    create=extend_schema(
        summary="Exclude a person or a domain (applied to what was already captured)",
        responses={201: ExclusionSerializer, 400: ERROR_RESPONSES[400], 403: FORBIDDEN},
    ),
    retrieve=extend_schema(summary="Get an exclusion", responses={200: ExclusionSerializer, 404: ERROR_RESPONSES[404]}),
    destroy=extend_schema(
        summary="Stop excluding (organization-wide ones: admins only)",
        responses={204: OpenApiResponse(description="Removed."), 403: FORBIDDEN, 404: ERROR_RESPONSES[404]},
    ),
)
class ExclusionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    MemberViewSet[Exclusion],
):
    serializer_class = ExclusionSerializer
    queryset = Exclusion.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[Exclusion]:
        return selectors.exclusions_for(membership=membership)

    def get_object(self) -> Exclusion:
        return selectors.exclusion_get(membership=request_membership(self.request), exclusion_id=self.kwargs["pk"])

    def perform_create(self, serializer: serializers.BaseSerializer[Exclusion]) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.capture_exclusion_add(
                membership=request_membership(self.request),
                kind=data["kind"],
                value=data["value"],
                organization_wide=data["scope"] == "organization",
            )
        except DjangoPermissionDenied as error:
            raise _forbidden(error) from None

    def perform_destroy(self, instance: Exclusion) -> None:
        try:
            services.capture_exclusion_remove(membership=request_membership(self.request), exclusion=instance)
        except DjangoPermissionDenied as error:
            raise _forbidden(error) from None


# --- skipped messages -----------------------------------------------------------------------------


class SkippedMessageSerializer(serializers.ModelSerializer[SkippedMessage]):
    # DRF's metaclass moves declared fields off the class, so this does not shadow ``Field.source``.
    source = inline_choices(InteractionSource.choices, read_only=True, help_text="How the message came in.")  # type: ignore[assignment]
    reason_label = serializers.CharField(source="get_reason_display", read_only=True, help_text="The rule, in words.")
    account_name = serializers.SerializerMethodField(help_text="The source that skipped it; empty if removed.")

    class Meta:
        model = SkippedMessage
        fields = (
            "id",
            "user",
            "account",
            "account_name",
            "source",
            "external_id",
            "subject",
            "sender",
            "reason",
            "reason_label",
            "detail",
            "occurred_at",
            "created_at",
        )
        read_only_fields = fields

    def get_account_name(self, row: SkippedMessage) -> str:
        return row.account.name if row.account is not None else ""


class SkippedMessageFilterSerializer(serializers.Serializer[Any]):
    message_id = serializers.CharField(
        required=False, allow_blank=True, max_length=998, help_text="Exact Message-ID, with or without angle brackets."
    )
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words of the subject.")


@extend_schema_view(
    list=extend_schema(
        summary="Why wasn't it captured? Skipped messages and the rule that skipped each",
        description="Yours (from your sources or addressed to you); admins see the organization's.",
        parameters=[SkippedMessageFilterSerializer],
    ),
)
class SkippedMessageViewSet(mixins.ListModelMixin, MemberViewSet[SkippedMessage]):
    serializer_class = SkippedMessageSerializer
    queryset = SkippedMessage.objects.none()

    def member_queryset(self, membership: Membership) -> QuerySet[SkippedMessage]:
        f = query_filters(self.request, SkippedMessageFilterSerializer)
        return selectors.skipped_messages_lookup(
            membership=membership, message_id=f.get("message_id", ""), q=f.get("q", "")
        )


# --- the capture policy ------------------------------------------------------------------------------


class CapturePolicySerializer(serializers.ModelSerializer[CapturePolicy]):
    max_recipients = serializers.IntegerField(
        min_value=1, max_value=services.MAX_RECIPIENTS_LIMIT, help_text="Mail to more people is skipped."
    )
    default_privacy_level = inline_choices(PrivacyLevel.choices, help_text="What new sources keep by default.")

    class Meta:
        model = CapturePolicy
        fields = ("max_recipients", "contact_creation", "default_privacy_level", "updated_at")
        read_only_fields = ("updated_at",)


@extend_schema_view(
    get=extend_schema(summary="Get the organization's capture policy"),
    put=extend_schema(
        summary="Change the capture policy (admins)",
        responses={200: CapturePolicySerializer, 400: ERROR_RESPONSES[400], 403: FORBIDDEN},
    ),
)
class CapturePolicyView(generics.RetrieveUpdateAPIView[CapturePolicy]):
    serializer_class = CapturePolicySerializer
    http_method_names = ["get", "put", "head", "options"]

    def get_permissions(self) -> Sequence[Any]:
        # Changing it is for admins; reading it, for every member.
        if self.request.method == "PUT":
            return [IsOrganizationAdmin()]
        return super().get_permissions()

    def get_object(self) -> CapturePolicy:
        return selectors.capture_policy_for(membership=request_membership(self.request))

    def perform_update(self, serializer: serializers.BaseSerializer[CapturePolicy]) -> None:
        try:
            serializer.instance = services.capture_policy_update(
                membership=request_membership(self.request), **serializer.validated_data
            )
        except DjangoPermissionDenied as error:
            raise _forbidden(error) from None
