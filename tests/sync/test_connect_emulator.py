"""End to end against the Salesforce emulator over HTTPS: connect through the admin page (web-server
and JWT flows), test, and the client's behaviour under the emulator's fault switches."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from relintel import crypto
from sync import services
from sync.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, EmulatorServer
from sync.models import AuthFlow, ConnectionStatus, SalesforceConnection
from sync.salesforce.client import (
    ApiBudgetExhausted,
    ApiLimitExceeded,
    ReauthorizationNeeded,
    TransientSalesforceError,
    salesforce_for,
)
from tests.conftest import client_for

pytest_plugins = ["tests.sync.emulator_fixtures"]

SETTINGS = {
    "login_choice": "custom",
    "auth_flow": "web_server",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "api_budget_percent": "50",
    "contact_without_company_as": "lead",
    "conflict_policy": "salesforce_wins",
}


def connect_through_the_page(world, emulator: EmulatorServer) -> SalesforceConnection:
    browser = client_for(world.admin)
    assert browser.post("/manage/salesforce/", {**SETTINGS, "custom_login_url": emulator.url}).status_code == 302
    to_salesforce = browser.post("/manage/salesforce/connect/")["Location"]
    assert to_salesforce.startswith(f"{emulator.url}/services/oauth2/authorize?")
    # The emulator approves at once and sends the browser back with the code and our state.
    back = requests.get(to_salesforce, allow_redirects=False, timeout=10).headers["Location"]
    parts = urlsplit(back)
    assert parts.path == "/manage/salesforce/callback/"
    assert "state" in parse_qs(parts.query)
    page = browser.get(f"{parts.path}?{parts.query}", follow=True).content.decode()
    assert f"Connected to Salesforce at {emulator.url}" in page
    return SalesforceConnection.objects.get(organization=world.org)


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return connect_through_the_page(world, emulator)


def test_an_admin_connects_with_the_web_server_flow_and_tests_the_connection(world, emulator, connected):
    assert connected.status == ConnectionStatus.CONNECTED
    assert connected.instance_url == emulator.url
    assert connected.refresh_token.startswith("enc1:")
    report = client_for(world.admin).post("/manage/salesforce/test/", HTTP_HX_REQUEST="true").content.decode()
    assert "Connection works." in report
    assert "objects readable" in report
    saved = SalesforceConnection.objects.get(pk=connected.pk)
    assert saved.api_usage_max == emulator.state.daily_api_limit


def test_an_admin_connects_with_the_jwt_bearer_flow(world, emulator):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    app = emulator.state.register_client(certificate_pem=public)
    emulator.state.add_user("sync@acme.example")
    services.salesforce_connection_save(
        membership=world.admin,
        login_url=emulator.url,
        auth_flow=AuthFlow.JWT_BEARER,
        client_id=app.client_id,
        jwt_username="sync@acme.example",
        jwt_private_key=private,
    )
    page = client_for(world.admin).post("/manage/salesforce/connect/", follow=True).content.decode()
    assert "Connected to Salesforce." in page
    connection = SalesforceConnection.objects.get(organization=world.org)
    emulator.expire_sessions()
    with salesforce_for(connection) as client:
        assert client.limits()["DailyApiRequests"]["Max"] == emulator.state.daily_api_limit


def test_a_wrong_secret_is_explained_on_the_page(world, emulator):
    browser = client_for(world.admin)
    browser.post(
        "/manage/salesforce/", {**SETTINGS, "custom_login_url": emulator.url, "client_secret": "not-the-secret"}
    )
    back = requests.get(browser.post("/manage/salesforce/connect/")["Location"], allow_redirects=False, timeout=10)
    parts = urlsplit(back.headers["Location"])
    page = browser.get(f"{parts.path}?{parts.query}", follow=True).content.decode()
    assert "Salesforce refused the client secret" in page


def test_an_expired_session_mid_run_is_refreshed_once(connected, emulator):
    first_token = crypto.decrypt(connected.access_token)
    with salesforce_for(connected) as client:
        client.describe_global()
        emulator.expire_sessions()
        assert client.query_all("SELECT Id FROM Account") == []
    assert client.api_calls == 3  # the describe, the 401, the retry
    stored = crypto.decrypt(SalesforceConnection.objects.get(pk=connected.pk).access_token)
    assert stored != first_token
    assert emulator.state.session_for(stored) is not None


def test_a_refused_refresh_needs_reauthorization_and_every_admin_sees_it(world, connected, emulator):
    emulator.expire_sessions()
    emulator.refuse_refresh()
    with pytest.raises(ReauthorizationNeeded), salesforce_for(connected) as client:
        client.limits()
    assert SalesforceConnection.objects.get(pk=connected.pk).status == ConnectionStatus.NEEDS_REAUTH
    assert "Salesforce needs re-authorization" in client_for(world.admin).get("/").content.decode()
    assert "Salesforce needs re-authorization" not in client_for(world.rep).get("/").content.decode()
    # Connecting again clears it.
    emulator.refuse_refresh(False)
    connect_through_the_page(world, emulator)
    assert "Salesforce needs re-authorization" not in client_for(world.admin).get("/").content.decode()


def test_the_usage_hook_sees_every_call(connected, emulator):
    before = emulator.state.api_usage
    with salesforce_for(connected) as client:
        client.limits()
        client.describe_global()
        client.query_all("SELECT Id FROM Contact")
        client.restful("sobjects/Account/describe/")
    assert client.api_calls == 4
    assert client.usage.used == emulator.state.api_usage == before + 4
    assert SalesforceConnection.objects.get(pk=connected.pk).api_usage_used == emulator.state.api_usage


def test_the_budget_guard_stops_at_the_share(connected, emulator):
    emulator.state.daily_api_limit = 20
    emulator.state.api_usage = 8
    with salesforce_for(connected) as client:
        client.limits()  # 9/20
        client.limits()  # 10/20: half of the allocation
        with pytest.raises(ApiBudgetExhausted):
            client.limits()
    assert emulator.state.api_usage == 10


def test_request_limit_exceeded_pauses_the_organization(connected, emulator):
    emulator.exceed_request_limit()
    with pytest.raises(ApiLimitExceeded), salesforce_for(connected) as client:
        client.limits()
    assert SalesforceConnection.objects.get(pk=connected.pk).paused_until is not None


def test_a_503_is_transient(connected, emulator):
    emulator.fail_next(1)
    with pytest.raises(TransientSalesforceError), salesforce_for(connected) as client:
        client.limits()
