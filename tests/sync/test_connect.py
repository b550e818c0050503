"""Connecting Salesforce: the web-server and JWT flows, their errors in an admin's words, the admin
page, the API, disconnecting, and secrets at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.urls import reverse

from relintel import crypto
from sync import services
from sync.models import AuthFlow, ConnectionStatus, LocalKind, ObjectMapping, SalesforceConnection, SalesforceLink
from sync.salesforce import auth
from sync.salesforce.errors import AuthError
from tests.conftest import client_for
from tests.sync.salesforce_stub import Pki, StubSalesforce, connect_web, make_pki, rsa_key_pair

PAGE = "/manage/salesforce/"
CALLBACK = "http://testserver/manage/salesforce/callback/"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def stub(pki):
    server = StubSalesforce(pki=pki).start()
    yield server
    server.stop()


def save_web(membership, stub, **overrides):
    kwargs = {
        "login_url": stub.url,
        "auth_flow": AuthFlow.WEB_SERVER,
        "client_id": stub.client_id,
        "client_secret": stub.client_secret,
        "ca_bundle_path": str(stub.pki.ca_path),
        **overrides,
    }
    return services.salesforce_connection_save(membership=membership, **kwargs)


def start_in_browser(client, stub) -> dict[str, str]:
    response = client.post("/manage/salesforce/connect/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(stub.url + "/services/oauth2/authorize?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# --- the authorize URL and the state ------------------------------------------------------------


def test_the_authorize_url_names_the_app_the_callback_the_state_and_a_pkce_challenge():
    url = auth.authorize_url(
        login_url="https://acme.my.salesforce.com/",
        client_id="3MVG9abc",
        redirect_uri=CALLBACK,
        state="s1",
        code_challenge="c1",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://acme.my.salesforce.com/services/oauth2/authorize"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["3MVG9abc"],
        "redirect_uri": [CALLBACK],
        "state": ["s1"],
        "code_challenge": ["c1"],
        "code_challenge_method": ["S256"],
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://login.salesforce.com/", "https://login.salesforce.com"),
        ("test.salesforce.com", "https://test.salesforce.com"),
        ("https://Acme.my.salesforce.com:443", "https://acme.my.salesforce.com"),
        ("https://127.0.0.1:8443/", "https://127.0.0.1:8443"),
    ],
)
def test_login_urls_are_normalized(given, expected):
    assert auth.normalize_login_url(given) == expected


def test_a_plain_http_login_url_is_refused(world):
    with pytest.raises(ValidationError, match="https"):
        services.salesforce_connection_save(
            membership=world.admin, login_url="http://login.salesforce.com", auth_flow="web_server", client_id="x",
            client_secret="y",
        )  # fmt: skip


def test_connect_sends_the_admin_to_salesforce_with_a_signed_state(world, stub):
    save_web(world.admin, stub)
    params = start_in_browser(client_for(world.admin), stub)
    assert params["client_id"] == stub.client_id
    assert params["redirect_uri"] == CALLBACK
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) > 30
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.oauth_state and params["state"] not in saved.oauth_state  # only its nonce's hash is kept


def test_the_callback_exchanges_the_code_and_stores_the_tokens_encrypted(world, stub):
    save_web(world.admin, stub)
    browser = client_for(world.admin)
    params = start_in_browser(browser, stub)
    code = stub.issue_code(CALLBACK, params["code_challenge"])
    response = browser.get(f"/manage/salesforce/callback/?code={code}&state={params['state']}", follow=True)
    assert "Connected to Salesforce at" in response.content.decode()
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.status == ConnectionStatus.CONNECTED
    assert saved.instance_url == stub.url
    assert saved.connected_by == world.admin.user
    assert saved.salesforce_org_id == "00D000000000001EAA"
    assert crypto.decrypt(saved.access_token) in stub.access_tokens
    assert crypto.decrypt(saved.refresh_token) in stub.refresh_tokens
    exchange = stub.token_calls("authorization_code")[0].form
    assert exchange["redirect_uri"] == CALLBACK
    assert exchange["code_verifier"]  # PKCE
    assert saved.oauth_state == ""  # single use


def test_a_forged_state_is_refused_and_nothing_is_exchanged(world, stub):
    save_web(world.admin, stub)
    browser = client_for(world.admin)
    start_in_browser(browser, stub)
    code = stub.issue_code(CALLBACK)
    response = browser.get(f"/manage/salesforce/callback/?code={code}&state=forged", follow=True)
    assert "not one Relintel asked for" in response.content.decode()
    assert stub.token_calls() == []
    assert SalesforceConnection.objects.get(organization=world.org).access_token == ""


def test_a_state_cannot_be_used_twice(world, stub):
    save_web(world.admin, stub)
    browser = client_for(world.admin)
    params = start_in_browser(browser, stub)
    first = stub.issue_code(CALLBACK)
    browser.get(f"/manage/salesforce/callback/?code={first}&state={params['state']}")
    second = stub.issue_code(CALLBACK)
    response = browser.get(f"/manage/salesforce/callback/?code={second}&state={params['state']}", follow=True)
    assert "not one Relintel asked for" in response.content.decode()
    assert len(stub.token_calls()) == 1


def test_another_organizations_state_is_refused(world, stub):
    save_web(world.admin, stub)
    save_web(world.outsider, stub)
    ours = start_in_browser(client_for(world.admin), stub)
    code = stub.issue_code(CALLBACK)
    response = client_for(world.outsider).get(
        f"/manage/salesforce/callback/?code={code}&state={ours['state']}", follow=True
    )
    assert "not one Relintel asked for" in response.content.decode()
    assert stub.token_calls() == []


def test_a_declined_approval_is_reported(world, stub):
    save_web(world.admin, stub)
    browser = client_for(world.admin)
    params = start_in_browser(browser, stub)
    response = browser.get(
        f"/manage/salesforce/callback/?error=access_denied&error_description=end-user+denied&state={params['state']}",
        follow=True,
    )
    assert "declined the connection" in response.content.decode()


# --- the JWT bearer flow ---------------------------------------------------------------------------


def test_the_jwt_assertion_carries_the_documented_claims():
    private, public = rsa_key_pair()
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = auth.jwt_assertion(
        client_id="3MVG9abc", username="sync@acme.example", audience="https://test.salesforce.com/", private_key=private, now=now
    )  # fmt: skip
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token, public, algorithms=["RS256"], audience="https://test.salesforce.com", options={"verify_exp": False}
    )
    assert claims == {
        "iss": "3MVG9abc",
        "sub": "sync@acme.example",
        "aud": "https://test.salesforce.com",
        "exp": int((now + timedelta(minutes=3)).timestamp()),
    }


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_the_jwt_audience_is_the_documented_login_server(login_url, audience):
    assert auth.jwt_audience(login_url) == audience


def test_connect_with_jwt_exchanges_the_assertion(world, stub):
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
    response = client_for(world.admin).post("/manage/salesforce/connect/", follow=True)
    assert "Connected to Salesforce." in response.content.decode()
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.status == ConnectionStatus.CONNECTED
    assert stub.token_calls()[0].form["grant_type"] == auth.JWT_GRANT_TYPE
    assert saved.refresh_token == ""


def test_a_jwt_for_an_unapproved_user_is_explained(world, stub):
    private, public = rsa_key_pair()
    stub.jwt_public_key = public
    services.salesforce_connection_save(
        membership=world.admin, login_url=stub.url, auth_flow=AuthFlow.JWT_BEARER, client_id=stub.client_id,
        jwt_username="someone.else@acme.example", jwt_private_key=private, ca_bundle_path=str(stub.pki.ca_path),
    )  # fmt: skip
    response = client_for(world.admin).post("/manage/salesforce/connect/", follow=True)
    body = response.content.decode()
    assert "refused the JWT grant" in body
    assert "pre-authorized" in body


def test_a_file_that_is_not_a_private_key_is_refused_on_upload(world, stub):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(world.admin).post(
        PAGE,
        {
            "login_choice": "production",
            "auth_flow": "jwt_bearer",
            "client_id": "3MVG9abc",
            "jwt_username": "sync@acme.example",
            "jwt_private_key_file": SimpleUploadedFile("key.pem", b"-----BEGIN CERTIFICATE-----\nnope\n"),
            "api_budget_percent": "50",
            "contact_without_company_as": "lead",
            "conflict_policy": "salesforce_wins",
        },
    )
    assert response.status_code == 400
    assert "not an unencrypted PEM private key" in response.content.decode()


# --- errors in an admin's words -------------------------------------------------------------------


def exchange(stub, **overrides) -> AuthError:
    kwargs = {
        "login_url": stub.url,
        "client_id": stub.client_id,
        "client_secret": stub.client_secret,
        "redirect_uri": CALLBACK,
        "code": stub.issue_code(CALLBACK),
        "verify": str(stub.pki.ca_path),
        **overrides,
    }
    with pytest.raises(AuthError) as failed:
        auth.exchange_code(**kwargs)
    return failed.value


def test_a_bad_client_id_is_named(stub):
    error = exchange(stub, client_id="3MVG9wrong")
    assert error.code == "invalid_client_id"
    assert "does not know this client id" in error.message
    assert "Consumer Key" in error.message


def test_a_bad_client_secret_is_named(stub):
    error = exchange(stub, client_secret="wrong")
    assert error.code == "invalid_client"
    assert "client secret" in error.message


def test_a_server_that_is_not_salesforce_is_a_wrong_login_url(stub):
    stub.override = lambda request: (404, {"Content-Type": "text/html"}, b"<html><h1>Not Found</h1></html>")
    error = exchange(stub)
    assert error.code == "wrong_login_url"
    assert "not as a Salesforce login server does (HTTP 404, a web page)" in error.message
    assert "https://test.salesforce.com" in error.message


def test_a_json_answer_without_tokens_is_a_wrong_login_url(stub):
    stub.override = lambda request: (200, {"Content-Type": "application/json"}, b'{"hello": "world"}')
    assert exchange(stub).code == "wrong_login_url"


def test_an_unresolvable_host_is_named(stub):
    error = exchange(stub, login_url="https://relintel-nowhere.invalid")
    assert error.code == "dns"
    assert "relintel-nowhere.invalid does not exist" in error.message


def test_nothing_listening_is_a_connection_error(stub):
    url = stub.url
    stub.stop()
    error = exchange(stub, login_url=url)
    assert error.code == "connect"
    assert error.transient


def test_a_certificate_not_in_the_bundle_is_a_tls_error(stub):
    other = make_pki("Some other CA")
    error = exchange(stub, verify=str(other.ca_path))
    assert error.code == "tls"
    assert "is not trusted" in error.message
    assert "CA bundle" in error.message


def test_the_page_shows_what_went_wrong_on_connect(world, stub):
    save_web(world.admin, stub, client_secret="wrong")
    browser = client_for(world.admin)
    params = start_in_browser(browser, stub)
    code = stub.issue_code(CALLBACK)
    response = browser.get(f"/manage/salesforce/callback/?code={code}&state={params['state']}", follow=True)
    body = response.content.decode()
    assert "Could not connect: Salesforce refused the client secret" in body
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.last_error_code == "invalid_client"
    assert saved.status == ConnectionStatus.DISCONNECTED


# --- test connection and disconnect ------------------------------------------------------------------


def test_test_connection_shows_usage_and_instance(world, stub):
    connect_web(world.admin, stub)
    response = client_for(world.admin).post("/manage/salesforce/test/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Connection works." in body
    assert stub.url in body
    assert f"of {stub.api_limit:,}" in body
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.api_usage_max == stub.api_limit


def test_test_connection_says_when_api_access_is_off(world, stub):
    connect_web(world.admin, stub)
    stub.api_disabled = True
    response = client_for(world.admin).post("/manage/salesforce/test/", follow=True)
    assert "API Enabled" in response.content.decode()


def test_disconnect_forgets_the_tokens_but_keeps_mapping_and_links(world, stub):
    connect_web(world.admin, stub)
    ObjectMapping.objects.create(organization=world.org, local_kind=LocalKind.COMPANY, sobject="Account")
    SalesforceLink.objects.create(
        organization=world.org, local_kind=LocalKind.COMPANY, local_id=1, sobject="Account", salesforce_id="001A"
    )
    response = client_for(world.admin).post("/manage/salesforce/disconnect/", follow=True)
    assert "Disconnected from Salesforce" in response.content.decode()
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert (saved.status, saved.access_token, saved.refresh_token) == (ConnectionStatus.DISCONNECTED, "", "")
    assert saved.client_id == stub.client_id  # settings stay for reconnecting
    assert ObjectMapping.objects.filter(organization=world.org).count() == 1
    assert SalesforceLink.objects.filter(organization=world.org).count() == 1
    assert any(r.path == "/services/oauth2/revoke" for r in stub.requests)


def test_changing_the_connected_app_drops_the_old_tokens(world, stub):
    connect_web(world.admin, stub)
    save_web(world.admin, stub, client_id="3MVG9another", client_secret=None)
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.status == ConnectionStatus.DISCONNECTED
    assert saved.access_token == ""


# --- secrets at rest ---------------------------------------------------------------------------------


def test_secrets_are_encrypted_at_rest(world, stub):
    private, _ = rsa_key_pair()
    connect_web(world.admin, stub)
    services.salesforce_connection_save(
        membership=world.admin,
        login_url=stub.url,
        auth_flow=AuthFlow.WEB_SERVER,
        client_id=stub.client_id,
        jwt_private_key=private,
    )
    saved = SalesforceConnection.objects.get(organization=world.org)
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret, jwt_private_key, access_token, refresh_token FROM sync_salesforceconnection"
            " WHERE id = %s",
            [saved.pk],
        )
        row = cursor.fetchone()
    client_secret, key, access, refresh = row
    assert client_secret.startswith("enc1:") and stub.client_secret not in client_secret
    assert key.startswith("enc1:") and "PRIVATE KEY" not in key
    assert access.startswith("enc1:") and not any(t in access for t in stub.access_tokens)
    assert refresh.startswith("enc1:") and not any(t in refresh for t in stub.refresh_tokens)
    assert crypto.decrypt(client_secret) == stub.client_secret


def test_the_secret_is_never_echoed_on_the_page(world, stub):
    connect_web(world.admin, stub)
    body = client_for(world.admin).get(PAGE).content.decode()
    assert stub.client_secret not in body
    assert "A secret is saved (encrypted)" in body


# --- the page: who may see it -----------------------------------------------------------------------


def test_an_admin_saves_the_settings_on_the_page(world):
    response = client_for(world.admin).post(
        PAGE,
        {
            "login_choice": "custom",
            "custom_login_url": "https://acme.my.salesforce.com/",
            "auth_flow": "web_server",
            "client_id": "3MVG9abc",
            "client_secret": "s3cret",
            "api_budget_percent": "30",
            "contact_without_company_as": "contact",
            "conflict_policy": "newest_wins",
        },
    )
    assert response.status_code == 302
    saved = SalesforceConnection.objects.get(organization=world.org)
    assert saved.login_url == "https://acme.my.salesforce.com"
    assert (saved.api_budget_percent, saved.contact_without_company_as, saved.conflict_policy) == (
        30,
        "contact",
        "newest_wins",
    )


def test_a_missing_secret_is_shown_next_to_its_field(world):
    response = client_for(world.admin).post(
        PAGE,
        {
            "login_choice": "sandbox",
            "auth_flow": "web_server",
            "client_id": "3MVG9abc",
            "api_budget_percent": "50",
            "contact_without_company_as": "lead",
            "conflict_policy": "salesforce_wins",
        },
    )
    assert response.status_code == 400
    assert 'id="id_client_secret_error"' in response.content.decode()


def test_the_nav_links_admins_to_the_page(world):
    assert 'href="/manage/salesforce/"' in client_for(world.admin).get("/").content.decode()
    assert 'href="/manage/salesforce/"' not in client_for(world.rep).get("/").content.decode()


@pytest.mark.parametrize("persona", ["rep", "manager"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", PAGE),
        ("post", "/manage/salesforce/connect/"),
        ("get", "/manage/salesforce/callback/"),
        ("post", "/manage/salesforce/test/"),
        ("post", "/manage/salesforce/disconnect/"),
    ],
)
def test_reps_and_managers_get_403(world, persona, method, path):
    response = getattr(client_for(getattr(world, persona)), method)(path)
    assert response.status_code == 403


def test_an_outsider_sees_only_their_own_organizations_connection(world, stub):
    connect_web(world.admin, stub)
    outsider = client_for(world.outsider)
    body = outsider.get(PAGE).content.decode()
    assert stub.url not in body
    assert "Not connected" in body
    # Their disconnect and test touch nothing of ours.
    outsider.post("/manage/salesforce/disconnect/")
    outsider.post("/manage/salesforce/test/")
    assert SalesforceConnection.objects.get(organization=world.org).status == ConnectionStatus.CONNECTED
    assert outsider.get("/api/v1/salesforce-connection/").status_code == 404


# --- the API --------------------------------------------------------------------------------------------


def test_the_api_saves_settings_and_never_returns_secrets(world, stub):
    api = client_for(world.admin)
    assert api.get("/api/v1/salesforce-connection/").status_code == 404
    response = api.put(
        "/api/v1/salesforce-connection/",
        {
            "login_url": "https://test.salesforce.com",
            "client_id": "3MVG9abc",
            "client_secret": "s3cret",
            "api_budget_percent": 40,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert "client_secret" not in data and "s3cret" not in response.content.decode()
    assert data["has_client_secret"] is True
    assert data["status"] == "disconnected"
    assert api.get("/api/v1/salesforce-connection/").json()["api_budget_percent"] == 40


def test_the_api_names_the_field_that_is_wrong(world):
    response = client_for(world.admin).put(
        "/api/v1/salesforce-connection/",
        {"login_url": "http://insecure.example", "client_id": "x", "client_secret": "y"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "login_url" in response.content.decode()


def test_the_api_tests_and_disconnects(world, stub):
    connect_web(world.admin, stub)
    api = client_for(world.admin)
    report = api.post("/api/v1/salesforce-connection/test/").json()
    assert report["ok"] is True
    assert report["api_max"] == stub.api_limit
    assert api.post("/api/v1/salesforce-connection/disconnect/").json()["status"] == "disconnected"


@pytest.mark.parametrize("persona", ["rep", "manager"])
def test_the_api_is_for_admins_only(world, persona):
    api = client_for(getattr(world, persona))
    assert api.get("/api/v1/salesforce-connection/").status_code == 403
    assert api.put("/api/v1/salesforce-connection/", {}, content_type="application/json").status_code == 403
    assert api.post("/api/v1/salesforce-connection/test/").status_code == 403
    assert api.post("/api/v1/salesforce-connection/disconnect/").status_code == 403


def test_the_routes_are_named(world):
    assert reverse("sync:manage") == PAGE
    assert reverse("salesforce-connection") == "/api/v1/salesforce-connection/"
