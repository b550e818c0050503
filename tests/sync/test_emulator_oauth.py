"""The emulator's TLS and OAuth 2.0 endpoints answer as a Salesforce login host does."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sync.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME
from sync.emulator.tls import ensure_certificates

pytest_plugins = ["tests.sync.emulator_fixtures"]

CALLBACK = "https://relintel.example/sync/callback"


def authorize(emulator, **overrides) -> requests.Response:
    params = {"response_type": "code", "client_id": DEMO_CLIENT_ID, "redirect_uri": CALLBACK, "state": "s-42"}
    return requests.get(
        f"{emulator.url}/services/oauth2/authorize", params={**params, **overrides}, allow_redirects=False
    )


def token(emulator, **form) -> requests.Response:
    return requests.post(f"{emulator.url}/services/oauth2/token", data=form)


def code_grant(emulator) -> dict:
    location = authorize(emulator).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = token(
        emulator,
        grant_type="authorization_code",
        code=code,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        redirect_uri=CALLBACK,
    )
    assert response.status_code == 200
    return response.json()


def test_the_server_certificate_chains_to_the_emulator_ca_for_127_0_0_1_and_localhost(emulator, tmp_path):
    files = ensure_certificates()
    server = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert next(str(ip) for ip in names.get_values_for_type(x509.IPAddress)) == "127.0.0.1"
    assert emulator.url.startswith("https://127.0.0.1:")
    assert requests.get(f"{emulator.url}/services/data/", verify=str(files.ca_cert)).status_code == 200


def test_a_client_that_does_not_trust_the_ca_fails_the_handshake(emulator, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator.url}/services/data/", verify=requests.certs.where())


def test_certificates_are_made_once_and_reused(tmp_path):
    first = ensure_certificates(tmp_path)
    stamp = first.server_cert.read_bytes()
    second = ensure_certificates(tmp_path)
    assert second.server_cert.read_bytes() == stamp
    assert b"BEGIN CERTIFICATE" in second.ca_bundle.read_bytes()
    assert oct(second.server_key.stat().st_mode)[-3:] == "600"


def test_authorize_approves_at_once_and_redirects_back_with_code_and_state(emulator):
    response = authorize(emulator)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["s-42"]
    assert query["code"][0]


def test_authorize_with_an_unknown_client_id_is_refused(emulator):
    response = authorize(emulator, client_id="nope")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}


def test_authorize_refuses_a_callback_the_app_does_not_list(emulator):
    app = emulator.state.register_client(redirect_uris=["https://only.example/cb"])
    response = authorize(emulator, client_id=app.client_id)
    assert response.json()["error"] == "redirect_uri_mismatch"


def test_code_grant_returns_salesforce_token_response(emulator):
    payload = code_grant(emulator)
    assert set(payload) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert payload["token_type"] == "Bearer"
    assert payload["instance_url"] == emulator.url
    assert payload["id"].startswith(f"{emulator.url}/id/00D")
    assert payload["issued_at"].isdigit()


def test_a_code_works_only_once(emulator):
    location = authorize(emulator).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "redirect_uri": CALLBACK,
    }
    assert token(emulator, **form).status_code == 200
    again = token(emulator, **form)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


@pytest.mark.parametrize(
    ("client_id", "secret", "expected"),
    [("nope", DEMO_CLIENT_SECRET, "invalid_client_id"), (DEMO_CLIENT_ID, "wrong", "invalid_client")],
)
def test_code_grant_with_bad_client_credentials_says_which(emulator, client_id, secret, expected):
    response = token(
        emulator,
        grant_type="authorization_code",
        code="x",
        client_id=client_id,
        client_secret=secret,
        redirect_uri=CALLBACK,
    )
    assert response.status_code == 400
    assert response.json()["error"] == expected


def test_the_access_token_opens_the_data_api_through_simple_salesforce(emulator):
    payload = code_grant(emulator)
    sf = Salesforce(instance_url=payload["instance_url"], session_id=payload["access_token"])
    limits = sf.restful("limits/")
    assert limits is not None
    assert limits["DailyApiRequests"]["Max"] == emulator.state.daily_api_limit
    identity = requests.get(payload["id"], headers={"Authorization": f"Bearer {payload['access_token']}"}).json()
    assert identity["username"] == DEMO_USERNAME


def test_refresh_grant_returns_a_new_access_token_without_a_refresh_token(emulator):
    payload = code_grant(emulator)
    response = token(
        emulator,
        grant_type="refresh_token",
        refresh_token=payload["refresh_token"],
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    assert response.status_code == 200
    refreshed = response.json()
    assert refreshed["access_token"] != payload["access_token"]
    assert "refresh_token" not in refreshed


def test_an_unknown_refresh_token_is_an_invalid_grant(emulator):
    response = token(
        emulator,
        grant_type="refresh_token",
        refresh_token="5Aep-nope",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}


def test_an_unsupported_grant_type_is_refused(emulator):
    response = token(emulator, grant_type="password", username="a", password="b")
    assert response.json() == {"error": "unsupported_grant_type", "error_description": "grant type not supported"}


def test_access_tokens_expire_after_the_configured_lifetime(emulator):
    emulator.state.token_ttl = 0.2
    payload = code_grant(emulator)
    sf = Salesforce(instance_url=emulator.url, session_id=payload["access_token"])
    sf.restful("limits/")
    time.sleep(0.3)
    with pytest.raises(SalesforceExpiredSession) as raised:
        sf.restful("limits/")
    assert raised.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_an_unknown_bearer_token_gets_401_invalid_session_id(emulator):
    response = requests.get(f"{emulator.url}/services/data/v59.0/limits", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_revoke_ends_a_session(emulator):
    payload = code_grant(emulator)
    assert (
        requests.post(f"{emulator.url}/services/oauth2/revoke", data={"token": payload["access_token"]}).status_code
        == 200
    )
    response = requests.get(
        f"{emulator.url}/services/data/v59.0/limits", headers={"Authorization": f"Bearer {payload['access_token']}"}
    )
    assert response.status_code == 401


# --- JWT bearer ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def signing_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relintel-jwt")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def assertion(private_pem: bytes, client_id: str, **claims) -> str:
    body = {
        "iss": client_id,
        "sub": DEMO_USERNAME,
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 120,
        **claims,
    }
    return jwt.encode(body, private_pem, algorithm="RS256")


def jwt_grant(emulator, signed: str) -> requests.Response:
    return token(emulator, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=signed)


def test_jwt_bearer_with_the_registered_certificate_gets_a_token_and_no_refresh_token(emulator, signing_key):
    private_pem, certificate = signing_key
    app = emulator.state.register_client(certificate_pem=certificate)
    response = jwt_grant(emulator, assertion(private_pem, app.client_id, aud=emulator.url))
    assert response.status_code == 200
    payload = response.json()
    assert payload["token_type"] == "Bearer" and payload["instance_url"] == emulator.url
    assert "refresh_token" not in payload


def test_jwt_bearer_signed_by_another_key_is_an_invalid_assertion(emulator, signing_key):
    _, certificate = signing_key
    app = emulator.state.register_client(certificate_pem=certificate)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    response = jwt_grant(emulator, assertion(other, app.client_id))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"exp": int(time.time()) - 60}, {"error": "invalid_grant", "error_description": "expired authorization code"}),
        ({"aud": "https://evil.example"}, {"error": "invalid_grant", "error_description": "audience is invalid"}),
        (
            {"sub": "stranger@example.com"},
            {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"},
        ),
    ],
)
def test_jwt_bearer_rejections_name_the_problem(emulator, signing_key, claims, expected):
    private_pem, certificate = signing_key
    app = emulator.state.register_client(certificate_pem=certificate)
    response = jwt_grant(emulator, assertion(private_pem, app.client_id, **claims))
    assert response.status_code == 400
    assert response.json() == expected


def test_jwt_bearer_from_an_unknown_consumer_is_an_invalid_client_id(emulator, signing_key):
    private_pem, _ = signing_key
    response = jwt_grant(emulator, assertion(private_pem, "3MVG9-unknown"))
    assert response.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}


def test_jwt_bearer_accepts_a_bare_public_key_too(emulator, signing_key):
    private_pem, _ = signing_key
    public = (
        serialization.load_pem_private_key(private_pem, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    app = emulator.state.register_client(certificate_pem=public.decode())
    assert jwt_grant(emulator, assertion(private_pem, app.client_id)).status_code == 200
