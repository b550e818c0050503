"""The Salesforce client: usage hook, budget guard, refresh-and-retry-once, limit pause, error classes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relintel import crypto
from sync.models import AuthFlow, ConnectionStatus, SalesforceConnection
from sync.salesforce.client import (
    ApiBudgetExhausted,
    ApiLimitExceeded,
    PermanentSalesforceError,
    ReauthorizationNeeded,
    TransientSalesforceError,
    parse_limit_info,
    salesforce_for,
)
from tests.conftest import client_for
from tests.sync.salesforce_stub import Pki, StubSalesforce, connect_web, make_pki, rsa_key_pair


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def stub(pki):
    server = StubSalesforce(pki=pki).start()
    yield server
    server.stop()


@pytest.fixture
def connection(world, stub) -> SalesforceConnection:
    return connect_web(world.admin, stub)


def fresh(connection: SalesforceConnection) -> SalesforceConnection:
    return SalesforceConnection.objects.get(pk=connection.pk)


# --- Sforce-Limit-Info -------------------------------------------------------------------------


def test_limit_info_is_read_with_and_without_per_app_usage():
    assert parse_limit_info("api-usage=18/5000") == (18, 5000)
    assert parse_limit_info("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)") == (25, 5000)
    assert parse_limit_info("per-app-api-usage=17/250(appName=x)") is None
    assert parse_limit_info("") is None


def test_the_usage_hook_counts_every_call_and_keeps_the_last_usage(connection, stub):
    with salesforce_for(connection, flush_seconds=3600) as client:
        client.restful("limits/")
        client.restful("sobjects/")
        client.query_all("SELECT Id FROM Contact")
        client.restful("sobjects/Account/describe/")  # a 404: still a call, still counted
    assert client.api_calls == 4 == len(stub.data_calls())
    assert client.usage.used == stub.api_used
    # Saved when the client closed, even though the flush interval had not passed.
    saved = fresh(connection)
    assert (saved.api_usage_used, saved.api_usage_max) == (stub.api_used, stub.api_limit)
    assert saved.api_usage_seen_at is not None


def test_usage_is_saved_at_most_every_few_seconds(connection, stub):
    client = salesforce_for(connection, flush_seconds=3600)
    client.usage._last_flush = 10**12  # a flush just happened
    client.restful("limits/")
    assert fresh(connection).api_usage_used is None
    client.close()
    assert fresh(connection).api_usage_used == stub.api_used


def test_query_all_follows_next_records_url(connection, stub):
    with salesforce_for(connection) as client:
        records = client.query_all("SELECT Id FROM Contact PAGED")
    assert [r["Id"] for r in records] == ["003A", "003B", "003C"]
    assert client.api_calls == 2


# --- budget ----------------------------------------------------------------------------------------


def test_the_budget_guard_refuses_a_call_beyond_the_share(connection, stub):
    stub.api_limit, stub.api_used = 1000, 498
    with salesforce_for(connection) as client:
        client.restful("limits/")  # usage 499/1000
        client.restful("limits/")  # usage 500/1000: the share (50%) is reached
        with pytest.raises(ApiBudgetExhausted) as refused:
            client.restful("limits/")
    assert refused.value.budget == 500
    assert "50%" in refused.value.message
    assert len(stub.data_calls()) == 2  # the refused call never left


def test_a_fresh_usage_figure_from_an_earlier_run_is_respected(connection, stub):
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        api_usage_used=900, api_usage_max=1000, api_usage_seen_at=timezone.now(), api_budget_percent=80
    )
    with pytest.raises(ApiBudgetExhausted), salesforce_for(fresh(connection)) as client:
        client.restful("limits/")
    assert stub.data_calls() == []


def test_a_stale_usage_figure_does_not_block_forever(connection, stub):
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        api_usage_used=900, api_usage_max=1000, api_usage_seen_at=timezone.now() - timedelta(hours=3)
    )
    with salesforce_for(fresh(connection)) as client:
        assert client.restful("limits/")["DailyApiRequests"]["Max"] == stub.api_limit


# --- session refresh -----------------------------------------------------------------------------


def test_an_expired_session_is_refreshed_and_the_call_retried_once(connection, stub):
    stub.expire_sessions()
    old_token = crypto.decrypt(fresh(connection).access_token)
    with salesforce_for(connection) as client:
        assert client.restful("limits/")["DailyApiRequests"]["Max"] == stub.api_limit
    assert len(stub.token_calls("refresh_token")) == 1
    assert len(stub.data_calls()) == 2  # the 401 and the retry
    saved = fresh(connection)
    assert crypto.decrypt(saved.access_token) != old_token
    assert crypto.decrypt(saved.access_token) in stub.access_tokens
    assert saved.status == ConnectionStatus.CONNECTED


def test_a_session_refused_again_after_refresh_is_not_retried_a_second_time(connection, stub):
    def always_401(request):
        if request.path.startswith("/services/data/"):
            return (
                401,
                {"Content-Type": "application/json"},
                b'[{"message":"Session expired","errorCode":"INVALID_SESSION_ID"}]',
            )
        stub.override = None
        try:
            return stub.answer(request)
        finally:
            stub.override = always_401

    stub.override = always_401
    with pytest.raises(PermanentSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("limits/")
    assert failed.value.code == "INVALID_SESSION_ID"
    assert len(stub.data_calls()) == 2
    assert len(stub.token_calls("refresh_token")) == 1


def test_a_token_another_worker_refreshed_is_used_without_refreshing_again(connection, stub):
    client = salesforce_for(connection)
    # Another worker refreshes: the stored token changes, ours is now stale.
    stub.expire_sessions()
    other = salesforce_for(fresh(connection))
    other.restful("limits/")
    refreshes = len(stub.token_calls("refresh_token"))
    assert refreshes == 1
    client.restful("limits/")
    assert len(stub.token_calls("refresh_token")) == 1


def test_a_refused_refresh_marks_the_connection_needs_reauth(world, connection, stub):
    stub.expire_sessions()
    stub.refuse_refresh = True
    with pytest.raises(ReauthorizationNeeded) as refused, salesforce_for(connection) as client:
        client.restful("limits/")
    assert "connect again" in refused.value.message
    saved = fresh(connection)
    assert saved.status == ConnectionStatus.NEEDS_REAUTH
    assert saved.last_error_code == "invalid_grant"
    # No further call leaves while it needs re-authorization.
    calls = len(stub.requests)
    with pytest.raises(ReauthorizationNeeded), salesforce_for(saved) as client:
        client.restful("limits/")
    assert len(stub.requests) == calls


def test_the_reauthorization_banner_is_shown_to_admins_only(world, connection, stub):
    stub.expire_sessions()
    stub.refuse_refresh = True
    with pytest.raises(ReauthorizationNeeded), salesforce_for(connection) as client:
        client.restful("limits/")
    banner = "Salesforce needs re-authorization"
    assert banner in client_for(world.admin).get("/").content.decode()
    assert banner in client_for(world.admin).get("/contacts/").content.decode()
    assert banner not in client_for(world.rep).get("/").content.decode()
    assert banner not in client_for(world.manager).get("/").content.decode()
    assert banner not in client_for(world.outsider).get("/").content.decode()


def test_the_banner_costs_one_query_per_request(world, connection, django_assert_max_num_queries):
    from django.test import RequestFactory

    from sync.context_processors import salesforce_banner

    request = RequestFactory().get("/")
    request.membership = world.admin
    with django_assert_max_num_queries(1):
        salesforce_banner(request)
        salesforce_banner(request)


def test_the_jwt_flow_renews_an_expired_session_with_a_new_assertion(world, stub):
    from sync import services

    private, public = rsa_key_pair()
    stub.jwt_public_key = public
    services.salesforce_connection_save(
        membership=world.admin,
        login_url=stub.url,
        auth_flow=AuthFlow.JWT_BEARER,
        client_id=stub.client_id,
        jwt_username=stub.jwt_username,
        jwt_private_key=private,
        ca_bundle_path=str(stub.pki.ca_path),
    )
    connection = services.salesforce_connection_connect_jwt(membership=world.admin)
    stub.expire_sessions()
    with salesforce_for(connection) as client:
        client.restful("limits/")
    assert len(stub.token_calls("urn:ietf:params:oauth:grant-type:jwt-bearer")) == 2


# --- limits and errors -------------------------------------------------------------------------------


def test_request_limit_exceeded_pauses_the_sync(connection, stub, settings):
    settings.RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS = 900
    stub.limit_exceeded = "TotalRequests"
    before = timezone.now()
    with pytest.raises(ApiLimitExceeded) as paused, salesforce_for(connection) as client:
        client.restful("limits/")
    saved = fresh(connection)
    assert saved.paused_until is not None
    assert timedelta(seconds=890) < saved.paused_until - before < timedelta(seconds=910)
    assert paused.value.paused_until == saved.paused_until
    assert "TotalRequests" in saved.paused_reason
    # While paused, nothing is sent.
    calls = len(stub.data_calls())
    stub.limit_exceeded = ""
    with pytest.raises(ApiLimitExceeded), salesforce_for(saved) as client:
        client.restful("limits/")
    assert len(stub.data_calls()) == calls


def test_the_concurrent_request_limit_pauses_only_briefly(connection, stub):
    stub.limit_exceeded = "ConcurrentRequests"
    with pytest.raises(ApiLimitExceeded), salesforce_for(connection) as client:
        client.restful("limits/")
    paused_until = fresh(connection).paused_until
    assert paused_until is not None
    assert paused_until - timezone.now() < timedelta(seconds=61)


@pytest.mark.parametrize(
    ("status", "code"), [(503, "SERVER_UNAVAILABLE"), (500, "SERVER_UNAVAILABLE"), (400, "UNABLE_TO_LOCK_ROW")]
)
def test_server_errors_and_locked_rows_are_transient(connection, stub, status, code):
    stub.fail_next = [status]
    with pytest.raises(TransientSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("limits/")
    assert failed.value.code == code
    assert failed.value.transient


def test_an_unknown_resource_is_a_permanent_error_with_salesforce_code(connection, stub):
    with pytest.raises(PermanentSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("nowhere/")
    assert failed.value.code == "NOT_FOUND"
    assert failed.value.status == 404
    assert not failed.value.transient


def test_no_api_access_is_explained(connection, stub):
    stub.api_disabled = True
    with pytest.raises(PermanentSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("limits/")
    assert failed.value.code == "API_DISABLED_FOR_ORG"
    assert "API Enabled" in failed.value.message
    assert fresh(connection).last_error_code == "API_DISABLED_FOR_ORG"


def test_a_dead_instance_is_a_transient_connection_error(connection, stub):
    stub.stop()
    with pytest.raises(TransientSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("limits/")
    assert failed.value.code == "connection_error"


def test_a_disconnected_connection_makes_no_call(world, stub):
    from sync import services

    connection = services.salesforce_connection_save(
        membership=world.admin, login_url=stub.url, auth_flow="web_server", client_id="x", client_secret="y"
    )
    with pytest.raises(PermanentSalesforceError) as failed, salesforce_for(connection) as client:
        client.restful("limits/")
    assert failed.value.code == "not_connected"
    assert stub.requests == []


def test_requests_ca_bundle_is_honoured_when_the_connection_names_none(connection, stub, monkeypatch):
    SalesforceConnection.objects.filter(pk=connection.pk).update(ca_bundle_path="")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(stub.pki.ca_path))
    with salesforce_for(fresh(connection)) as client:
        assert client.restful("limits/")


def test_a_certificate_not_in_the_bundle_is_a_tls_error(connection, stub, monkeypatch):
    other = make_pki("Some other CA")
    SalesforceConnection.objects.filter(pk=connection.pk).update(ca_bundle_path=str(other.ca_path))
    with pytest.raises(PermanentSalesforceError) as failed, salesforce_for(fresh(connection)) as client:
        client.restful("limits/")
    assert failed.value.code == "tls"
    assert "not trusted" in failed.value.message


def test_pages_without_a_membership_render_without_the_banner(db):
    from django.test import Client

    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert "Salesforce needs re-authorization" not in response.content.decode()
