"""OAuth 2.0 as a Salesforce login host answers it: web-server (with an auto-approving consent page),
refresh token and JWT bearer grants, revocation and the identity URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .state import DEMO_USERNAME, AuthCode, ClientApp, EmulatorState
from .web import Request, Response, json_response

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CODE_TTL = 15 * 60
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": error, "error_description": description})


def _identity_url(state: EmulatorState, base_url: str, username: str) -> str:
    return f"{base_url}/id/{state.org_id}/{state.users[username]}"


def token_payload(
    state: EmulatorState, base_url: str, app: ClientApp, username: str, *, refresh: bool
) -> dict[str, Any]:
    session = state.new_session(app.client_id, username)
    issued_at = str(int(time.time() * 1000))
    identity = _identity_url(state, base_url, username)
    signature = base64.b64encode(
        hmac.new(app.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    )
    payload: dict[str, Any] = {
        "access_token": session.access_token,
        "signature": signature.decode(),
        "scope": "refresh_token api",
        "instance_url": base_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
    if refresh:
        payload["refresh_token"] = state.new_refresh_token(app.client_id, username)
    return payload


def _redirect_allowed(app: ClientApp, redirect_uri: str) -> bool:
    return app.redirect_uris is None or redirect_uri in app.redirect_uris


def authorize(state: EmulatorState, request: Request) -> Response:
    """The consent page, approved at once: back to redirect_uri with a one-time code and the state."""
    client_id = request.param("client_id") or ""
    redirect_uri = request.param("redirect_uri") or ""
    app = state.clients.get(client_id)
    if app is None:
        return oauth_error("invalid_client_id", "client identifier invalid")
    if not redirect_uri or not _redirect_allowed(app, redirect_uri):
        return oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
    parameters: dict[str, str]
    if request.param("response_type", "code") != "code":
        parameters = {"error": "unsupported_response_type", "error_description": "response type not supported"}
    else:
        code = "aPrx" + secrets.token_urlsafe(32)
        username = request.param("login_hint") or DEMO_USERNAME
        state.add_user(username)
        with state.lock:
            state.auth_codes[code] = AuthCode(code, client_id, redirect_uri, username, time.time() + CODE_TTL)
        parameters = {"code": code}
    if request.param("state") is not None:
        parameters["state"] = request.param("state") or ""
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return Response(302, b"", {"Location": f"{redirect_uri}{separator}{urlencode(parameters)}"})


def token(state: EmulatorState, request: Request, base_url: str) -> Response:
    form = request.form()
    grant = form.get("grant_type", "")
    if grant == "authorization_code":
        return _code_grant(state, form, base_url)
    if grant == "refresh_token":
        return _refresh_grant(state, form, base_url)
    if grant == JWT_GRANT:
        return _jwt_grant(state, form, base_url)
    return oauth_error("unsupported_grant_type", "grant type not supported")


def _client(state: EmulatorState, form: dict[str, str], *, secret_required: bool) -> ClientApp | Response:
    app = state.clients.get(form.get("client_id", ""))
    if app is None:
        return oauth_error("invalid_client_id", "client identifier invalid")
    secret = form.get("client_secret")
    if (secret_required or secret is not None) and not hmac.compare_digest(secret or "", app.client_secret):
        return oauth_error("invalid_client", "invalid client credentials")
    return app


def _code_grant(state: EmulatorState, form: dict[str, str], base_url: str) -> Response:
    app = _client(state, form, secret_required=True)
    if isinstance(app, Response):
        return app
    with state.lock:
        code = state.auth_codes.pop(form.get("code", ""), None)
    if code is None or code.client_id != app.client_id:
        return oauth_error("invalid_grant", "authentication failure")
    if code.expires_at < time.time():
        return oauth_error("invalid_grant", "expired authorization code")
    if form.get("redirect_uri") != code.redirect_uri:
        return oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
    return json_response(200, token_payload(state, base_url, app, code.username, refresh=True))


def _refresh_grant(state: EmulatorState, form: dict[str, str], base_url: str) -> Response:
    app = _client(state, form, secret_required=False)
    if isinstance(app, Response):
        return app
    with state.lock:
        owner = state.refresh_tokens.get(form.get("refresh_token", ""))
        refused = state.faults.refuse_refresh
    if owner is None or owner[0] != app.client_id or refused:
        return oauth_error("invalid_grant", "expired access/refresh token")
    return json_response(200, token_payload(state, base_url, app, owner[1], refresh=False))


def _public_key(app: ClientApp) -> Any:
    pem = (app.certificate_pem or "").encode()
    if b"BEGIN CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)


def _jwt_grant(state: EmulatorState, form: dict[str, str], base_url: str) -> Response:
    assertion = form.get("assertion", "")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return oauth_error("invalid_grant", "invalid assertion")
    app = state.clients.get(str(claims.get("iss", "")))
    if app is None:
        return oauth_error("invalid_client_id", "client identifier invalid")
    if not app.certificate_pem:
        return oauth_error("invalid_client", "invalid client credentials")
    if header.get("alg") != "RS256":
        return oauth_error("invalid_grant", "invalid assertion")
    audiences = [*AUDIENCES, base_url, base_url.replace("127.0.0.1", "localhost")]
    try:
        verified = jwt.decode(
            assertion,
            _public_key(app),
            algorithms=["RS256"],
            audience=audiences,
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        return oauth_error("invalid_grant", "expired authorization code")
    except jwt.InvalidAudienceError:
        return oauth_error("invalid_grant", "audience is invalid")
    except (jwt.PyJWTError, ValueError):
        return oauth_error("invalid_grant", "invalid assertion")
    if int(verified["exp"]) > time.time() + 300:
        return oauth_error("invalid_grant", "invalid assertion")  # Salesforce wants exp within 3 minutes
    username = str(verified["sub"])
    if username not in state.users:
        return oauth_error("invalid_grant", "user hasn't approved this consumer")
    return json_response(200, token_payload(state, base_url, app, username, refresh=False))


def revoke(state: EmulatorState, request: Request) -> Response:
    value = request.form().get("token") or request.param("token") or ""
    with state.lock:
        known = state.sessions.pop(value, None) is not None or state.refresh_tokens.pop(value, None) is not None
    if not known:
        return oauth_error("unsupported_token_type", "this token type is not supported")
    return Response(200)


def identity(state: EmulatorState, username: str, base_url: str) -> Response:
    return json_response(
        200,
        {
            "id": _identity_url(state, base_url, username),
            "organization_id": state.org_id,
            "user_id": state.users[username],
            "username": username,
            "display_name": "Emulator Admin",
            "active": True,
            "urls": {
                "rest": f"{base_url}/services/data/v{{version}}/",
                "query": f"{base_url}/services/data/v{{version}}/query/",
            },
        },
    )
