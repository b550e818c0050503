"""The one way Relintel calls Salesforce's data API: ``salesforce_for(connection)``.

A ``SalesforceClient`` wraps ``simple_salesforce.Salesforce`` built from the stored instance URL
and access token, over one shared ``requests.Session`` that

* reads ``Sforce-Limit-Info: api-usage=N/M`` on *every* response through a response hook
  (simple-salesforce's own counter only sees some of its calls), keeps it in memory for the
  run and saves it to the connection at most every few seconds;
* sends a timeout and the connection's CA bundle (else ``REQUESTS_CA_BUNDLE``) with each request.

Calls go through ``sf.restful`` and ``sf.query``/``query_more`` only: the per-object methods
(``sf.Contact.upsert``) can log in again without bound when a session keeps failing. Each call

* is refused with ``ApiBudgetExhausted`` when it would take the org's usage past the admin's
  share of the daily allocation (``api_budget_percent``);
* is refused with ``ApiLimitExceeded`` while the sync is paused after ``REQUEST_LIMIT_EXCEEDED``;
* on ``INVALID_SESSION_ID`` (401) refreshes the token once and is retried once; a refused
  refresh marks the connection ``needs_reauth`` and raises ``ReauthorizationNeeded``;
* otherwise fails as ``TransientSalesforceError`` (5xx, timeouts, connection errors,
  ``UNABLE_TO_LOCK_ROW``) or ``PermanentSalesforceError`` (with Salesforce's code, message, fields).

``REQUEST_LIMIT_EXCEEDED`` pauses the organization's sync for a short window, not until UTC
midnight: Salesforce counts the daily allocation over a *rolling* 24 hours, so capacity frees
gradually, and the concurrent-request variant frees within seconds. After the window the next
run makes one call; if the limit still holds it pauses again. Settings:
``RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS`` (default 900) and, for the concurrent-request limit,
``RELINTEL_SALESFORCE_CONCURRENCY_PAUSE_SECONDS`` (default 60).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import simple_salesforce
from django.conf import settings
from django.utils import timezone
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError

from relintel import crypto
from sync.models import AuthFlow, ConnectionStatus, SalesforceConnection
from sync.salesforce import auth
from sync.salesforce.errors import (
    ApiBudgetExhausted,
    ApiLimitExceeded,
    AuthError,
    PermanentSalesforceError,
    ReauthorizationNeeded,
    SalesforceError,
    TransientSalesforceError,
)

__all__ = [
    "ApiBudgetExhausted",
    "ApiLimitExceeded",
    "PermanentSalesforceError",
    "ReauthorizationNeeded",
    "SalesforceClient",
    "SalesforceError",
    "TransientSalesforceError",
    "UsageTracker",
    "parse_limit_info",
    "salesforce_for",
]

T = TypeVar("T")

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
USAGE_FLUSH_SECONDS = 5.0
# A usage figure older than this is not trusted to refuse a call: the next call refreshes it.
USAGE_TRUSTED_FOR = timedelta(minutes=15)
TRANSIENT_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT", "REQUEST_RUNNING_TOO_LONG"})
# Refresh failures that only an admin can fix.
REAUTH_CODES = frozenset(
    {
        "invalid_grant",
        "invalid_client",
        "invalid_client_id",
        "inactive_user",
        "inactive_org",
        "invalid_private_key",
        "unauthorized_client",
    }
)
API_DISABLED_MESSAGE = (
    "Salesforce refused API access: the org's edition must include the API (Enterprise, Unlimited, "
    "Performance or Developer Edition) and the connected user needs the “API Enabled” permission."
)

_LIMIT_INFO = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str) -> tuple[int, int] | None:
    """``(used, max)`` from ``Sforce-Limit-Info: api-usage=18/5000[; per-app-api-usage=…]``."""
    match = _LIMIT_INFO.search(header or "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def _pause_seconds(concurrent: bool) -> int:
    if concurrent:
        return int(getattr(settings, "RELINTEL_SALESFORCE_CONCURRENCY_PAUSE_SECONDS", 60))
    return int(getattr(settings, "RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS", 900))


class UsageTracker:
    """The API usage Salesforce reported, kept from the response hook of the shared session."""

    def __init__(self, *, connection_id: int, instance_host: str, flush_seconds: float = USAGE_FLUSH_SECONDS) -> None:
        self.connection_id = connection_id
        self.instance_host = instance_host
        self.flush_seconds = flush_seconds
        self.calls = 0  # responses from the instance seen by this client
        self.used: int | None = None
        self.limit: int | None = None
        self.seen_at: datetime | None = None
        self._dirty = False
        self._last_flush = 0.0

    def seed(self, *, used: int | None, limit: int | None, seen_at: datetime | None) -> None:
        if used is not None and limit and seen_at is not None and timezone.now() - seen_at < USAGE_TRUSTED_FOR:
            self.used, self.limit, self.seen_at = used, limit, seen_at

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if urlsplit(response.url).netloc.lower() == self.instance_host:
            self.calls += 1
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info", ""))
        if usage is not None:
            self.used, self.limit = usage
            self.seen_at = timezone.now()
            self._dirty = True
            if time.monotonic() - self._last_flush >= self.flush_seconds:
                self.flush()
        return response

    def flush(self) -> None:
        if not self._dirty or self.used is None or self.limit is None:
            return
        from sync import services

        services.salesforce_connection_usage_record(
            connection_id=self.connection_id, used=self.used, limit=self.limit, seen_at=self.seen_at
        )
        self._dirty = False
        self._last_flush = time.monotonic()


class _HttpSession(requests.Session):
    """A session that always sends a timeout and this connection's CA bundle.

    ``verify`` is passed per request because ``requests`` otherwise lets ``REQUESTS_CA_BUNDLE``
    override a session's own setting."""

    def __init__(self, *, verify: bool | str) -> None:
        super().__init__()
        self._verify = verify

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        if kwargs.get("verify") is None:
            kwargs["verify"] = self._verify
        return super().request(method, url, *args, **kwargs)


def verify_for(connection: SalesforceConnection) -> bool | str:
    """The CA bundle to trust: the connection's own, else ``True`` (``REQUESTS_CA_BUNDLE`` or certifi)."""
    return connection.ca_bundle_path or True


class SalesforceClient:
    def __init__(self, connection: SalesforceConnection, *, flush_seconds: float = USAGE_FLUSH_SECONDS) -> None:
        self.connection = connection
        self.verify = verify_for(connection)
        self.session = _HttpSession(verify=self.verify)
        self.usage = UsageTracker(
            connection_id=connection.pk,
            instance_host=urlsplit(connection.instance_url).netloc.lower(),
            flush_seconds=flush_seconds,
        )
        self.usage.seed(
            used=connection.api_usage_used, limit=connection.api_usage_max, seen_at=connection.api_usage_seen_at
        )
        self.session.hooks["response"].append(self.usage.hook)
        self._access_token = ""
        self._sf: simple_salesforce.Salesforce | None = None
        if connection.access_token:
            self._access_token = crypto.decrypt(connection.access_token)
            self._build()

    # --- lifecycle ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.usage.instance_host = urlsplit(self.connection.instance_url).netloc.lower()
        self._sf = simple_salesforce.Salesforce(
            instance_url=self.connection.instance_url,
            session_id=self._access_token,
            version=self.connection.api_version,
            session=self.session,
        )

    @property
    def salesforce(self) -> simple_salesforce.Salesforce:
        """The underlying simple-salesforce object (its bulk clients never refresh: mind the session)."""
        if self._sf is None:
            raise PermanentSalesforceError("Salesforce is not connected.", code="not_connected")
        return self._sf

    @property
    def api_calls(self) -> int:
        return self.usage.calls

    def close(self) -> None:
        self.usage.flush()
        self.session.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the calls ---------------------------------------------------------------------------

    def restful(self, path: str, *, method: str = "GET", json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """``/services/data/vXX.X/{path}``; the decoded JSON, or ``None`` for 204 No Content."""
        kwargs: dict[str, Any] = {}
        if json is not None:
            kwargs["json"] = json
        return self._call(lambda sf: sf.restful(path, params=params, method=method, **kwargs))

    def request_text(
        self,
        path: str,
        *,
        method: str = "GET",
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """``/services/data/vXX.X/{path}`` with a raw body (CSV for Bulk API 2.0); the response text.

        Guarded like ``restful``: budget and pause checks, usage, one refresh on an expired session."""
        kwargs: dict[str, Any] = {}
        if data is not None:
            kwargs["data"] = data
        if headers:
            kwargs["headers"] = dict(headers)
        return self._call(lambda sf: sf._call_salesforce(method, sf.base_url + path, name=path, **kwargs).text)

    def query_all(self, soql: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every record of a SOQL query, page by page (each page a guarded, retried call)."""
        result = self._call(lambda sf: sf.query(soql, include_deleted=include_deleted))
        records = list(result.get("records", []))
        while not result.get("done", True) and result.get("nextRecordsUrl"):
            result = self._call(_query_more(str(result["nextRecordsUrl"])))
            records.extend(result.get("records", []))
        return records

    def limits(self) -> dict[str, Any]:
        return self.restful("limits/") or {}

    def describe_global(self) -> dict[str, Any]:
        return self.restful("sobjects/") or {}

    # --- guard, retry, translate ---------------------------------------------------------------

    def _call(self, fn: Callable[[simple_salesforce.Salesforce], T]) -> T:
        self._check_state()
        self._check_budget()
        try:
            return self._attempt(fn)
        except _SessionExpired:
            self._renew_session()
            self._check_budget()
            try:
                return self._attempt(fn)
            except _SessionExpired as again:
                raise PermanentSalesforceError(
                    "Salesforce refused the session even after a refresh: check the connected user's "
                    "login IP ranges and session settings.",
                    code="INVALID_SESSION_ID",
                    status=401,
                ) from again

    def _attempt(self, fn: Callable[[simple_salesforce.Salesforce], T]) -> T:
        try:
            return fn(self.salesforce)
        except SimpleSalesforceError as exc:
            if exc.status == 401:
                raise _SessionExpired() from exc
            raise self._translate(exc.status, exc.content) from None
        except requests.exceptions.SSLError as exc:
            raise PermanentSalesforceError(
                f"The TLS certificate of {self.usage.instance_host} is not trusted ({auth._ssl_reason(exc)}).",
                code="tls",
            ) from None
        except requests.exceptions.Timeout:
            raise TransientSalesforceError("Salesforce did not answer in time.", code="timeout") from None
        except requests.exceptions.ConnectionError:
            raise TransientSalesforceError(
                f"Could not connect to {self.usage.instance_host}.", code="connection_error"
            ) from None
        except requests.RequestException as exc:
            raise TransientSalesforceError(f"The request to Salesforce failed: {exc}", code="request_error") from None
        except ValueError:
            # simple-salesforce decodes every 2xx body as JSON: an HTML page is not Salesforce's data API.
            raise PermanentSalesforceError(
                f"{self.usage.instance_host} answered with something that is not Salesforce's data API.",
                code="unexpected_response",
            ) from None

    def _check_state(self) -> None:
        connection = self.connection
        if connection.status == ConnectionStatus.NEEDS_REAUTH:
            raise ReauthorizationNeeded(
                connection.last_error or "Salesforce needs re-authorization: an admin must connect again.",
                code="needs_reauth",
            )
        if self._sf is None:
            raise PermanentSalesforceError("Salesforce is not connected.", code="not_connected")
        if connection.paused_until is not None and connection.paused_until > timezone.now():
            raise ApiLimitExceeded(
                connection.paused_reason or "Sync is paused: Salesforce's API request limit was reached.",
                paused_until=connection.paused_until,
            )

    def _check_budget(self) -> None:
        used, limit = self.usage.used, self.usage.limit
        if used is None or not limit:
            return
        budget = limit * self.connection.api_budget_percent // 100
        if used + 1 > budget:
            self.usage.flush()
            raise ApiBudgetExhausted(
                f"Relintel's share of the Salesforce API allocation is used up: the org has made {used:,} of "
                f"{limit:,} calls in the last 24 hours and Relintel may go up to {budget:,} "
                f"({self.connection.api_budget_percent}%). Sync resumes as the 24-hour window frees calls.",
                used=used,
                limit=limit,
                budget=budget,
            )

    def _translate(self, status: int, content: Any) -> SalesforceError:
        first: dict[str, Any] = {}
        if isinstance(content, list) and content and isinstance(content[0], dict):
            first = content[0]
        elif isinstance(content, dict):
            first = content
        code = str(first.get("errorCode") or first.get("error") or "")
        message = str(first.get("message") or first.get("error_description") or "")
        fields = [str(f) for f in first.get("fields") or []]
        if not message:
            text = content if isinstance(content, str) else repr(content)
            message = f"Salesforce answered HTTP {status}: {text[:300]}"
        if code == "REQUEST_LIMIT_EXCEEDED":
            return self._pause(message)
        if code in {"API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED"} or (status == 403 and not code):
            from sync import services

            services.salesforce_connection_record_error(
                connection_id=self.connection.pk, code=code or "forbidden", message=API_DISABLED_MESSAGE
            )
            return PermanentSalesforceError(
                f"{API_DISABLED_MESSAGE} (Salesforce said: {message})", code=code or "forbidden", status=status
            )
        if status >= 500 or code in TRANSIENT_CODES:
            return TransientSalesforceError(message, code=code or f"HTTP_{status}", status=status, fields=fields)
        return PermanentSalesforceError(message, code=code or f"HTTP_{status}", status=status, fields=fields)

    def _pause(self, message: str) -> ApiLimitExceeded:
        from sync import services

        concurrent = "concurrent" in message.lower()
        until = timezone.now() + timedelta(seconds=_pause_seconds(concurrent))
        reason = (
            f"Salesforce's API request limit was reached ({message}). Sync is paused until "
            f"{until:%H:%M} UTC, then tries again."
        )
        services.salesforce_connection_pause(connection_id=self.connection.pk, until=until, reason=reason)
        self.connection.paused_until = until
        self.connection.paused_reason = reason
        self.usage.flush()
        return ApiLimitExceeded(reason, paused_until=until)

    def _renew_session(self) -> None:
        """A new access token: another worker's if it already refreshed, else refresh ourselves."""
        from sync import services

        fresh = SalesforceConnection.objects.get(pk=self.connection.pk)
        if fresh.status == ConnectionStatus.NEEDS_REAUTH:
            self.connection = fresh
            self._check_state()
        if fresh.access_token and crypto.decrypt(fresh.access_token) != self._access_token:
            self._adopt(fresh)
            return
        try:
            grant = obtain_fresh_grant(fresh)
        except AuthError as exc:
            if exc.code in REAUTH_CODES or exc.code == "no_refresh_token":
                services.salesforce_connection_mark_needs_reauth(
                    connection_id=fresh.pk, code=exc.code, message=exc.message
                )
                raise ReauthorizationNeeded(exc.message, code=exc.code) from None
            services.salesforce_connection_record_error(connection_id=fresh.pk, code=exc.code, message=exc.message)
            if exc.transient:
                raise TransientSalesforceError(exc.message, code=exc.code) from None
            raise PermanentSalesforceError(exc.message, code=exc.code) from None
        self._adopt(services.salesforce_connection_store_refresh(connection_id=fresh.pk, grant=grant))

    def _adopt(self, connection: SalesforceConnection) -> None:
        self.connection = connection
        self._access_token = crypto.decrypt(connection.access_token)
        self._build()


def _query_more(url: str) -> Callable[[simple_salesforce.Salesforce], Any]:
    return lambda sf: sf.query_more(url, identifier_is_url=True)


class _SessionExpired(Exception):
    """A 401 from the data API: the access token expired or was revoked."""


def obtain_fresh_grant(connection: SalesforceConnection) -> auth.TokenGrant:
    """A new access token for a connection: by its refresh token, or a new JWT assertion."""
    verify = verify_for(connection)
    if connection.auth_flow == AuthFlow.JWT_BEARER:
        return auth.exchange_jwt(
            login_url=connection.login_url,
            client_id=connection.client_id,
            username=connection.jwt_username,
            private_key=crypto.decrypt(connection.jwt_private_key) if connection.jwt_private_key else "",
            verify=verify,
        )
    if not connection.refresh_token:
        raise AuthError(
            "Salesforce gave no refresh token: give the connected app the “Perform requests at any time "
            "(refresh_token, offline_access)” scope, then connect again.",
            code="no_refresh_token",
        )
    return auth.refresh(
        login_url=connection.login_url,
        client_id=connection.client_id,
        client_secret=crypto.decrypt(connection.client_secret) if connection.client_secret else "",
        refresh_token=crypto.decrypt(connection.refresh_token),
        verify=verify,
    )


def salesforce_for(connection: SalesforceConnection, *, flush_seconds: float = USAGE_FLUSH_SECONDS) -> SalesforceClient:
    """A client for the connection's org. Use it as a context manager so usage is saved at the end."""
    return SalesforceClient(connection, flush_seconds=flush_seconds)
