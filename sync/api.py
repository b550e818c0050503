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
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from relintel.accounts.permissions import IsOrganizationAdmin
from relintel.api_errors import ApiErrorSerializer
from relintel.api_fields import request_membership
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
    throttle_classes = (UserRateThrottle,)


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
