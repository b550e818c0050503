"""OAuth 2.0 with Salesforce: the web-server flow (with PKCE), the JWT bearer flow, and refresh.

Everything goes straight to ``{login URL}/services/oauth2/…`` with ``requests``; never the SOAP
username-password login, which Salesforce is retiring. Failures become an ``AuthError`` whose
``code`` says what is wrong (``invalid_client_id``, ``invalid_client``, ``invalid_grant``,
``wrong_login_url``, ``dns``, ``tls``, ``connect``, ``timeout``…) and whose message tells an admin
what to change. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests

from sync.salesforce.errors import AuthError

TOKEN_PATH = "/services/oauth2/token"
AUTHORIZE_PATH = "/services/oauth2/authorize"
REVOKE_PATH = "/services/oauth2/revoke"
JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce accepts a JWT whose exp is at most 3 minutes away.
JWT_LIFETIME = timedelta(minutes=3)
TIMEOUT_SECONDS = 20.0

Verify = bool | str


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint returned."""

    access_token: str
    instance_url: str
    refresh_token: str = ""
    issued_at: datetime | None = None
    identity_url: str = ""
    scope: str = ""

    @property
    def org_id(self) -> str:
        parts = urlsplit(self.identity_url).path.strip("/").split("/")
        return parts[1] if len(parts) >= 3 and parts[0] == "id" else ""

    @property
    def user_id(self) -> str:
        parts = urlsplit(self.identity_url).path.strip("/").split("/")
        return parts[2] if len(parts) >= 3 and parts[0] == "id" else ""


# --- login URLs -------------------------------------------------------------------------------


def normalize_login_url(url: str) -> str:
    """``https://host[:port]`` of a login URL; ``ValueError`` with a reason if it cannot be one."""
    url = (url or "").strip()
    if not url:
        raise ValueError("Give the login URL, e.g. https://login.salesforce.com.")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("The login URL must start with https:// (Salesforce only speaks HTTPS).")
    if not parts.hostname:
        raise ValueError("The login URL needs a host name, e.g. https://yourcompany.my.salesforce.com.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("Give only the address of the login server, e.g. https://yourcompany.my.salesforce.com.")
    netloc = parts.hostname.lower()
    if parts.port and parts.port != 443:
        netloc = f"{netloc}:{parts.port}"
    return f"https://{netloc}"


# --- the web-server flow -------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(
    *, login_url: str, client_id: str, redirect_uri: str, state: str, code_challenge: str = "", scope: str = ""
) -> str:
    """Where to send the admin's browser to approve the connected app.

    Without ``scope`` Salesforce grants every scope the connected app has (``api`` and
    ``refresh_token`` are the ones the sync needs)."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if code_challenge:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    if scope:
        params["scope"] = scope
    return f"{normalize_login_url(login_url)}{AUTHORIZE_PATH}?{urlencode(params)}"


def exchange_code(
    *,
    login_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str = "",
    verify: Verify = True,
    session: requests.Session | None = None,
) -> TokenGrant:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
    }
    if code_verifier:
        data["code_verifier"] = code_verifier
    return _token_request(login_url, data, verify=verify, session=session, grant="authorization_code")


# --- the JWT bearer flow ---------------------------------------------------------------------------


def jwt_audience(login_url: str) -> str:
    """The ``aud`` Salesforce expects: https://login.salesforce.com or https://test.salesforce.com
    (also when the token request goes to a My Domain, ``*.my.salesforce.com``), otherwise the login
    URL itself (an Experience Cloud site, or a server that stands in for Salesforce)."""
    url = normalize_login_url(login_url)
    host = urlsplit(url).hostname or ""
    if host.endswith(".sandbox.my.salesforce.com"):
        return "https://test.salesforce.com"
    if host.endswith(".my.salesforce.com"):
        return "https://login.salesforce.com"
    return url


def jwt_assertion(
    *, client_id: str, username: str, audience: str, private_key: str, now: datetime | None = None
) -> str:
    """An RS256-signed assertion: ``iss`` the consumer key, ``sub`` the Salesforce username,
    ``aud`` the login server (see ``jwt_audience``), ``exp`` three minutes from now."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": client_id,
        "sub": username,
        "aud": jwt_audience(audience),
        "exp": int((issued + JWT_LIFETIME).timestamp()),
    }
    try:
        return jwt.encode(claims, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.exceptions.PyJWTError) as exc:
        raise AuthError(
            "The private key cannot sign: upload the PEM private key (“-----BEGIN PRIVATE KEY-----” or "
            "“-----BEGIN RSA PRIVATE KEY-----”) whose certificate is on the connected app.",
            code="invalid_private_key",
        ) from exc


def exchange_jwt(
    *,
    login_url: str,
    client_id: str,
    username: str,
    private_key: str,
    verify: Verify = True,
    session: requests.Session | None = None,
) -> TokenGrant:
    assertion = jwt_assertion(client_id=client_id, username=username, audience=login_url, private_key=private_key)
    data = {"grant_type": JWT_GRANT_TYPE, "assertion": assertion}
    return _token_request(login_url, data, verify=verify, session=session, grant="jwt_bearer")


# --- refresh and revoke -------------------------------------------------------------------------


def refresh(
    *,
    login_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    verify: Verify = True,
    session: requests.Session | None = None,
) -> TokenGrant:
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    grant = _token_request(login_url, data, verify=verify, session=session, grant="refresh_token")
    # Salesforce does not send the refresh token again unless rotation is on: keep ours.
    if not grant.refresh_token:
        grant = dataclasses.replace(grant, refresh_token=refresh_token)
    return grant


def revoke(*, login_url: str, token: str, verify: Verify = True, timeout: float = 5.0) -> bool:
    """Best effort: ask Salesforce to revoke a token (and with a refresh token, its sessions)."""
    try:
        response = requests.post(
            normalize_login_url(login_url) + REVOKE_PATH, data={"token": token}, verify=verify, timeout=timeout
        )
    except (requests.RequestException, ValueError):
        return False
    return response.status_code == 200


# --- the token request and its errors -----------------------------------------------------------

_OAUTH_ERRORS = {
    "invalid_client_id": (
        "Salesforce does not know this client id. Copy the connected app's Consumer Key exactly "
        "(Setup → App Manager → your app → View → Manage Consumer Details); a new connected app can take "
        "up to 10 minutes to be usable."
    ),
    "invalid_client": (
        "Salesforce refused the client secret. Copy the connected app's Consumer Secret again "
        "(Setup → App Manager → your app → View → Manage Consumer Details)."
    ),
    "redirect_uri_mismatch": (
        "The callback URL is not one the connected app allows. Add {redirect_uri} to its Callback URL."
    ),
    "unsupported_grant_type": "This Salesforce login server does not allow this way of connecting.",
    "inactive_user": "The Salesforce user is inactive: reactivate it, or connect as another user.",
    "inactive_org": "The Salesforce org is locked, closed or suspended.",
    "rate_limit_exceeded": "Salesforce refused: too many logins in a short time. Wait a few minutes and try again.",
    "invalid_scope": "The connected app does not allow the scopes asked for: give it the 'api' and 'refresh_token' scopes.",
    "unauthorized_client": "The connected app is not allowed to use this way of connecting (check its OAuth policies).",
}

_GRANT_REFUSED = {
    "authorization_code": (
        "Salesforce refused the authorization code (it expired, was already used, or the callback URL "
        "differs). Click “Connect with Salesforce” again."
    ),
    "refresh_token": (
        "Salesforce refused the refresh token: it was revoked, expired under the connected app's refresh "
        "token policy, or the user lost access. An admin must connect again."
    ),
    "jwt_bearer": (
        "Salesforce refused the JWT grant. Check that the username is right, that the user is pre-authorized "
        "for the connected app (Manage → Edit Policies → Admin approved users are pre-authorized, with the "
        "user's profile or permission set), that the certificate on the connected app matches this private "
        "key, and that the login URL is the one the user logs in at (sandbox users: https://test.salesforce.com)."
    ),
}


def _token_request(
    login_url: str, data: dict[str, str], *, verify: Verify, session: requests.Session | None, grant: str
) -> TokenGrant:
    try:
        base = normalize_login_url(login_url)
    except ValueError as exc:
        raise AuthError(str(exc), code="wrong_login_url") from None
    url = base + TOKEN_PATH
    host = urlsplit(base).netloc
    poster: Any = session or requests
    try:
        response = poster.post(
            url, data=data, headers={"Accept": "application/json"}, verify=verify, timeout=TIMEOUT_SECONDS
        )
    except requests.exceptions.SSLError as exc:
        raise AuthError(
            f"The TLS certificate of {host} is not trusted ({_ssl_reason(exc)}). If this is a test server or your "
            "network inspects HTTPS, give Relintel its CA bundle; otherwise check the login URL.",
            code="tls",
        ) from None
    except requests.exceptions.Timeout:
        raise AuthError(f"{host} did not answer in time. Try again later.", code="timeout", transient=True) from None
    except requests.exceptions.ConnectionError as exc:
        if _is_dns_failure(exc):
            raise AuthError(
                f"The host {host} does not exist (its name does not resolve). Check the login URL: "
                "https://login.salesforce.com for production, https://test.salesforce.com for a sandbox, or "
                "your My Domain such as https://yourcompany.my.salesforce.com.",
                code="dns",
            ) from None
        raise AuthError(
            f"Could not connect to {host}. Check the login URL, and that this server may reach it.",
            code="connect",
            transient=True,
        ) from None
    except requests.RequestException as exc:
        raise AuthError(f"The request to {host} failed: {exc}", code="connect", transient=True) from None
    return _parse_token_response(response, host=host, grant=grant, redirect_uri=data.get("redirect_uri", ""))


def _parse_token_response(response: requests.Response, *, host: str, grant: str, redirect_uri: str) -> TokenGrant:
    not_salesforce = (
        f"{host} answered, but not as a Salesforce login server does (HTTP {response.status_code}"
        "{what}). Check the login URL: https://login.salesforce.com for production, https://test.salesforce.com "
        "for a sandbox, or your My Domain such as https://yourcompany.my.salesforce.com."
    )
    content_type = response.headers.get("Content-Type", "")
    try:
        body = response.json()
    except ValueError:
        what = ", a web page" if "html" in content_type.lower() else ", not JSON"
        if response.status_code >= 500:
            raise AuthError(
                f"{host} had a server error (HTTP {response.status_code}). Try again later.",
                code="server_error",
                transient=True,
                status=response.status_code,
            ) from None
        raise AuthError(not_salesforce.format(what=what), code="wrong_login_url", status=response.status_code) from None
    if not isinstance(body, dict):
        raise AuthError(not_salesforce.format(what=""), code="wrong_login_url", status=response.status_code)
    error = str(body.get("error") or "")
    if error:
        description = str(body.get("error_description") or "")
        if error == "invalid_grant":
            message = _GRANT_REFUSED.get(grant, "Salesforce refused the grant.")
            if description:
                message = f"{message} (Salesforce said: {description})"
        elif error in _OAUTH_ERRORS:
            message = _OAUTH_ERRORS[error].format(redirect_uri=redirect_uri or "this page's callback address")
        else:
            message = f"Salesforce refused: {error}" + (f" — {description}" if description else "")
        transient = error in {"rate_limit_exceeded", "server_error", "temporarily_unavailable"}
        raise AuthError(message, code=error, transient=transient, status=response.status_code)
    if response.status_code >= 500:
        raise AuthError(
            f"{host} had a server error (HTTP {response.status_code}). Try again later.",
            code="server_error",
            transient=True,
            status=response.status_code,
        )
    access_token = body.get("access_token")
    instance_url = body.get("instance_url")
    if response.status_code != 200 or not access_token or not instance_url:
        raise AuthError(not_salesforce.format(what=""), code="wrong_login_url", status=response.status_code)
    return TokenGrant(
        access_token=str(access_token),
        instance_url=str(instance_url).rstrip("/"),
        refresh_token=str(body.get("refresh_token") or ""),
        issued_at=_issued_at(body.get("issued_at")),
        identity_url=str(body.get("id") or ""),
        scope=str(body.get("scope") or ""),
    )


def _issued_at(value: Any) -> datetime | None:
    """Salesforce sends milliseconds since the epoch, as a string."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _is_dns_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror) or type(current).__name__ == "NameResolutionError":
            return True
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException) and _is_dns_failure_single(arg):
                return True
        current = current.__cause__ or current.__context__ or getattr(current, "reason", None)
    return "Name or service not known" in str(exc) or "nodename nor servname" in str(exc)


def _is_dns_failure_single(exc: BaseException) -> bool:
    return (
        isinstance(exc, socket.gaierror)
        or type(exc).__name__ == "NameResolutionError"
        or ("Failed to resolve" in str(exc))
    )


def _ssl_reason(exc: BaseException) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = text.split("CERTIFICATE_VERIFY_FAILED]", 1)[-1].split("(_ssl", 1)[0].strip(" :)'\"")
        return f"certificate verify failed: {detail}" if detail else "certificate verify failed"
    if "hostname" in text.lower() and "match" in text.lower():
        return "the certificate is for another host name"
    return "TLS handshake failed"
