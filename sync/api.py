"""REST API for the Salesforce connection (admins only):

* ``GET/PUT /api/v1/salesforce-connection/`` — settings and state; ``client_secret`` and
  ``jwt_private_key`` are write-only (stored encrypted, never returned; omit to keep them);
* ``POST /api/v1/salesforce-connection/test/`` — call Salesforce and say what works or what is wrong;
* ``POST /api/v1/salesforce-connection/disconnect/`` — forget the tokens (mapping and links stay).

Connecting itself needs a browser (the web-server flow) or is done on the admin page (JWT).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from relintel.accounts.models import Membership
from relintel.accounts.permissions import IsOrganizationAdmin
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import request_membership
from relintel.api_views import MemberViewSet
from sync import selectors, services
from sync.models import (
    PRODUCTION_LOGIN_URL,
    AuthFlow,
    ConflictPolicy,
    ConnectionStatus,
    ContactWithoutCompanyAs,
    SalesforceConnection,
)

FORBIDDEN = OpenApiResponse(ApiErrorSerializer, description="Only admins may do this.")
INVALID = OpenApiResponse(ApiErrorSerializer, description="Invalid input: `errors` names each field.")


class SalesforceConnectionSerializer(serializers.Serializer[SalesforceConnection]):
    login_url = serializers.CharField(
        max_length=300,
        default=PRODUCTION_LOGIN_URL,
        help_text="https://login.salesforce.com (production), https://test.salesforce.com (sandbox), "
        "or your My Domain / another https URL.",
    )
    auth_flow = serializers.ChoiceField(choices=AuthFlow.choices, default=AuthFlow.WEB_SERVER)
    client_id = serializers.CharField(max_length=300, help_text="The connected app's Consumer Key.")
    client_secret = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        style={"input_type": "password"},
        help_text="The connected app's Consumer Secret. Write-only, stored encrypted; omit to keep it.",
    )
    jwt_username = serializers.CharField(required=False, allow_blank=True, max_length=254, default="")
    jwt_private_key = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        help_text="PEM private key for the JWT bearer flow. Write-only, stored encrypted; omit to keep it.",
    )
    api_budget_percent = serializers.IntegerField(min_value=1, max_value=100, default=50)
    contact_without_company_as = serializers.ChoiceField(
        choices=ContactWithoutCompanyAs.choices, default=ContactWithoutCompanyAs.LEAD
    )
    conflict_policy = serializers.ChoiceField(choices=ConflictPolicy.choices, default=ConflictPolicy.SALESFORCE_WINS)
    has_client_secret = serializers.SerializerMethodField()
    has_jwt_private_key = serializers.SerializerMethodField()
    # A plain string: a named enum would collide with the other "status" choice sets in the schema.
    status = serializers.CharField(
        read_only=True, help_text="One of " + ", ".join(f"`{v}`" for v in ConnectionStatus.values) + "."
    )
    instance_url = serializers.CharField(read_only=True)
    api_version = serializers.CharField(read_only=True)
    connected_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True)
    last_error_at = serializers.DateTimeField(read_only=True, allow_null=True)
    api_usage_used = serializers.IntegerField(read_only=True, allow_null=True)
    api_usage_max = serializers.IntegerField(read_only=True, allow_null=True)
    api_usage_seen_at = serializers.DateTimeField(read_only=True, allow_null=True)
    paused_until = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_has_client_secret(self, connection: SalesforceConnection) -> bool:
        return bool(connection.client_secret)

    def get_has_jwt_private_key(self, connection: SalesforceConnection) -> bool:
        return bool(connection.jwt_private_key)


class ConnectionTestSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="ok, or what failed: invalid_grant, tls, dns, API_DISABLED_FOR_ORG …")
    message = serializers.CharField(help_text="What happened, in plain words.")
    instance_url = serializers.CharField()
    api_used = serializers.IntegerField(allow_null=True)
    api_max = serializers.IntegerField(allow_null=True)
    sobject_count = serializers.IntegerField(allow_null=True)


class _AdminView(APIView):
    permission_classes = (IsOrganizationAdmin,)


class SalesforceConnectionView(_AdminView):
    http_method_names = ["get", "put", "head", "options"]

    def _get(self, request: Request) -> SalesforceConnection:
        connection = selectors.salesforce_connection_of(membership=request_membership(request))
        if connection is None:
            raise exceptions.NotFound("No Salesforce connection yet: PUT its settings first.")
        return connection

    @extend_schema(
        summary="The organization's Salesforce connection",
        responses={200: SalesforceConnectionSerializer, 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response(SalesforceConnectionSerializer(self._get(request)).data)

    @extend_schema(
        summary="Save the Salesforce connection's settings",
        request=SalesforceConnectionSerializer,
        responses={200: SalesforceConnectionSerializer, 400: INVALID, 403: FORBIDDEN},
    )
    def put(self, request: Request) -> Response:
        serializer = SalesforceConnectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        connection = services.salesforce_connection_save(
            membership=request_membership(request),
            login_url=data["login_url"],
            auth_flow=data["auth_flow"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret") or None,
            jwt_username=data.get("jwt_username", ""),
            jwt_private_key=data.get("jwt_private_key") or None,
            api_budget_percent=data["api_budget_percent"],
            contact_without_company_as=data["contact_without_company_as"],
            conflict_policy=data["conflict_policy"],
        )
        return Response(SalesforceConnectionSerializer(connection).data)


class SalesforceConnectionTestView(_AdminView):
    @extend_schema(
        summary="Test the Salesforce connection",
        request=None,
        responses={200: ConnectionTestSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        report = services.salesforce_connection_test(membership=request_membership(request))
        return Response(ConnectionTestSerializer(report).data)


class SalesforceConnectionDisconnectView(_AdminView):
    @extend_schema(
        summary="Disconnect from Salesforce (tokens forgotten; mapping and links kept)",
        request=None,
        responses={200: SalesforceConnectionSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        connection = services.salesforce_connection_disconnect(membership=request_membership(request))
        if connection is None:
            raise exceptions.NotFound("No Salesforce connection yet.")
        return Response(SalesforceConnectionSerializer(connection).data)


# === sync UI: health, the outbox's failed records and retries, the mapping ========================
# * ``GET /api/v1/salesforce-health/`` — connection state, API usage against the budget, queue
#   depth by state, the running run's progress, the last runs;
# * ``GET /api/v1/salesforce-outbox/?state=failed&code=…&kind=…`` — outbox rows (newest first);
#   ``POST …/{id}/retry/`` and ``POST …/retry-failed/`` (optionally ``{"code": …}``);
# * ``GET/PUT /api/v1/salesforce-mapping/`` — every object's mapping; a PUT is checked against
#   the org's describe and saved whole or not at all (400 names each object's problems).

from django.core.exceptions import ValidationError as DjangoValidationError  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from drf_spectacular.utils import OpenApiParameter  # noqa: E402
from rest_framework import mixins  # noqa: E402
from rest_framework.decorators import action  # noqa: E402

from relintel.api_fields import query_filters  # noqa: E402
from sync.models import LocalKind, OutboxEntry, OutboxState, SyncRun  # noqa: E402

NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No such row in your organization.")


def _one_of(values: list[str]) -> str:
    return "One of " + ", ".join(f"`{v}`" for v in values) + "."


class SyncRunSerializer(serializers.Serializer[SyncRun]):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_one_of(["push", "pull", "backfill"]))
    status = serializers.CharField(help_text=_one_of(["running", "succeeded", "partial", "failed", "paused"]))
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.SerializerMethodField()
    counts = serializers.DictField(
        source="shown_counts", child=serializers.IntegerField(), help_text="e.g. created, updated, failed"
    )
    api_calls = serializers.IntegerField()
    error = serializers.CharField()

    def get_duration_seconds(self, run: SyncRun) -> float | None:
        if run.finished_at is None:
            return None
        return round((run.finished_at - run.started_at).total_seconds(), 3)


class SyncProgressSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(source="label", help_text="What is being counted.")
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class SalesforceHealthSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(help_text=_one_of(list(ConnectionStatus.values)))
    needs_reauth = serializers.BooleanField()
    api_used = serializers.IntegerField(allow_null=True, help_text="API calls in the org's last 24 hours.")
    api_max = serializers.IntegerField(allow_null=True, help_text="The org's daily API allocation.")
    api_budget_percent = serializers.IntegerField()
    api_budget_calls = serializers.IntegerField(allow_null=True, help_text="Relintel's share, in calls.")
    api_used_percent = serializers.IntegerField(allow_null=True)
    paused_until = serializers.DateTimeField(allow_null=True)
    queue = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows per state: " + _one_of(list(OutboxState.values))
    )
    active = serializers.BooleanField(help_text="Something is running or waiting to be pushed.")
    progress = SyncProgressSerializer(allow_null=True)
    runs = SyncRunSerializer(many=True)


class SalesforceHealthView(_AdminView):
    @extend_schema(summary="Salesforce sync health", responses={200: SalesforceHealthSerializer, 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        membership = request_membership(request)
        health = selectors.sync_health_of(membership=membership)
        data = {
            "status": health.status,
            "needs_reauth": health.needs_reauth,
            "api_used": health.api_used,
            "api_max": health.api_max,
            "api_budget_percent": health.api_budget_percent,
            "api_budget_calls": health.api_budget_calls,
            "api_used_percent": health.api_used_percent,
            "paused_until": health.paused_until,
            "queue": health.queue,
            "active": health.active,
            "progress": health.progress,
            "runs": selectors.sync_runs_recent(membership=membership),
        }
        return Response(SalesforceHealthSerializer(data).data)


class OutboxEntrySerializer(serializers.Serializer[OutboxEntry]):
    id = serializers.IntegerField()
    object_kind = serializers.CharField(help_text=_one_of(list(LocalKind.values)))
    local_id = serializers.IntegerField()
    operation = serializers.CharField(help_text=_one_of(["upsert", "delete"]))
    state = serializers.CharField(help_text=_one_of(list(OutboxState.values)))
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    error_code = serializers.CharField(
        source="last_error_code", help_text="Salesforce's code, e.g. REQUIRED_FIELD_MISSING."
    )
    error_message = serializers.SerializerMethodField(help_text="Salesforce's message.")
    hint = serializers.SerializerMethodField(help_text="What to do about it.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_error_message(self, entry: OutboxEntry) -> str:
        return selectors.entry_error(entry)[0]

    def get_hint(self, entry: OutboxEntry) -> str:
        return selectors.entry_error(entry)[1] if entry.last_error_code else ""


class OutboxFilterSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=OutboxState.values, required=False)
    code = serializers.CharField(required=False, max_length=80)
    kind = serializers.ChoiceField(choices=LocalKind.values, required=False)


class RetryResultSerializer(serializers.Serializer[Any]):
    retried = serializers.IntegerField(help_text="How many rows went back to pending.")


class RetryFailedSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=80, help_text="Only rows with this error code."
    )


@extend_schema(responses={403: FORBIDDEN})
class SalesforceOutboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MemberViewSet[OutboxEntry]):
    permission_classes = (IsOrganizationAdmin,)
    serializer_class = OutboxEntrySerializer
    queryset = OutboxEntry.objects.none()  # for the schema; member_queryset scopes to the organization
    lookup_value_regex = r"\d+"

    def member_queryset(self, membership: Membership) -> QuerySet[OutboxEntry]:
        if self.action == "list":
            filters = query_filters(self.request, OutboxFilterSerializer)
            entries = selectors.outbox_entries_of(
                membership=membership, state=filters.get("state"), code=filters.get("code")
            )
            if filters.get("kind"):
                entries = entries.filter(object_kind=filters["kind"])
            return entries.order_by("-updated_at", "-id")
        return selectors.outbox_entries_of(membership=membership)

    def get_object(self) -> OutboxEntry:
        return selectors.outbox_entry_get(membership=request_membership(self.request), entry_id=self.kwargs["pk"])

    @extend_schema(
        summary="Outbox rows (what is owed to Salesforce, and what it refused)",
        parameters=[
            OpenApiParameter("state", str, description=_one_of(list(OutboxState.values))),
            OpenApiParameter("code", str, description="Salesforce's error code"),
            OpenApiParameter("kind", str, description=_one_of(list(LocalKind.values))),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One outbox row", responses={200: OutboxEntrySerializer, 404: NOT_FOUND})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Retry one failed row", request=None, responses={200: RetryResultSerializer, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        retried = services.outbox_retry_for(membership=request_membership(request), entry_id=int(pk or 0))
        return Response({"retried": int(retried)})

    @extend_schema(
        summary="Retry every failed row (or those with one error code)",
        request=RetryFailedSerializer,
        responses={200: RetryResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request: Request) -> Response:
        serializer = RetryFailedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.outbox_retry_failed_for(
            membership=request_membership(request), code=serializer.validated_data.get("code", "")
        )
        return Response({"retried": count})


class ObjectMappingSerializer(serializers.Serializer[Any]):
    local_kind = serializers.CharField(help_text=_one_of(list(LocalKind.values)))
    sobject = serializers.CharField(max_length=80, help_text="Account, Contact, Lead, Task or Event.")
    enabled = serializers.BooleanField(default=True)
    external_id_field = serializers.CharField(max_length=80, default="Relintel_Id__c")
    field_map = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="{Salesforce field: local field}: the whole map (defaults included); omit a field to leave it out.",
    )


class SalesforceMappingSerializer(serializers.Serializer[Any]):
    objects = ObjectMappingSerializer(many=True)


class SalesforceMappingView(_AdminView):
    http_method_names = ["get", "put", "head", "options"]

    @extend_schema(
        summary="The Salesforce mapping of every object", responses={200: SalesforceMappingSerializer, 403: FORBIDDEN}
    )
    def get(self, request: Request) -> Response:
        inputs = selectors.mapping_inputs_of(membership=request_membership(request))
        return Response(SalesforceMappingSerializer({"objects": inputs}).data)

    @extend_schema(
        summary="Save the Salesforce mapping (checked against the org; all objects or none)",
        request=SalesforceMappingSerializer,
        responses={200: SalesforceMappingSerializer, 400: INVALID, 403: FORBIDDEN},
    )
    def put(self, request: Request) -> Response:
        serializer = SalesforceMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = request_membership(request)
        saved = {i.key: i for i in selectors.mapping_inputs_of(membership=membership)}
        for item in serializer.validated_data["objects"]:
            posted = selectors.ObjectMappingInput(
                local_kind=item["local_kind"],
                sobject=item["sobject"],
                enabled=item["enabled"],
                external_id_field=item["external_id_field"],
                field_map={k: v for k, v in item["field_map"].items() if v},
            )
            saved[posted.key] = posted
        try:
            services.object_mapping_save(membership=membership, objects=list(saved.values()))
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            raise exceptions.ValidationError(detail) from None
        return Response(
            SalesforceMappingSerializer({"objects": selectors.mapping_inputs_of(membership=membership)}).data
        )
