"""Say in plain words what failed when Relintel talked to a source.

``classify_error`` turns any exception from a connection attempt into a stage ("dns",
"connect", "tls", "login", "folder", "http", ...) and a sentence a rep understands. The
"Test connection" button (``test_connection``) and the runs' ``last_error`` use it both.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from imapclient.exceptions import IMAPClientError, LoginError

from activities.capture.sources.base import SourceError
from activities.models import CaptureAccount, CaptureKind

# Stages whose failure a retry may cure (the network, the server being down).
TRANSIENT_KINDS = frozenset({"dns", "connect", "timeout", "server"})


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    stage: str  # "dns" | "connect" | "tls" | "login" | "folder" | "http" | "ok" (| "secret", "protocol")
    message: str


def endpoint(account: CaptureAccount) -> tuple[str, int]:
    """The host and port a source connects to, for messages."""
    if account.kind == CaptureKind.IMAP:
        from activities.capture.sources.imap import imap_port

        return account.host, imap_port(account)
    parts = urlsplit(account.url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests/urllib3 nest them deeply)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for attr in ("__cause__", "__context__", "reason"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
        todo.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def classify_error(exc: BaseException, *, host: str = "", port: int | None = None) -> tuple[str, str]:
    """(stage, message in plain words) for a failure talking to ``host:port``."""
    where = f"{host}:{port}" if port else host
    chain = list(_causes(exc))
    names = " ".join(type(e).__name__ for e in chain)
    for e in chain:
        if isinstance(e, SourceError):
            return e.kind, e.message
    for e in chain:
        if isinstance(e, LoginError):
            return "login", f"The server refused the login: {_text(e).strip() or 'no reason given'}"
    for e in chain:
        if isinstance(e, socket.gaierror) or "NameResolution" in type(e).__name__:
            return "dns", f"No such host: {host}"
    text = " ".join(_text(e) for e in chain)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo failed" in text:
        return "dns", f"No such host: {host}"
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            reason = e.verify_message or e.reason or "the certificate was not accepted"
            return "tls", f"TLS certificate problem at {where}: {reason}"
    for e in chain:
        if isinstance(e, ssl.SSLError):
            if "WRONG_VERSION_NUMBER" in str(e).upper() or "wrong version number" in str(e):
                return "tls", f"The server at {where} does not speak TLS on this port (wrong port for TLS?)"
            return "tls", f"TLS failed with {where}: {e.reason or e}"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "tls", f"TLS certificate problem at {where}: the certificate was not accepted"
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "tls", f"The server at {where} does not speak TLS on this port (wrong port for TLS?)"
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or "refused" in _text(e).lower():
            return "connect", f"Connection refused by {where} (is the host and port right?)"
    for e in chain:
        if isinstance(e, TimeoutError | socket.timeout) or "Timeout" in type(e).__name__:
            return "connect", f"Connection to {where} timed out"
    if "ConnectTimeout" in names or "timed out" in text:
        return "connect", f"Connection to {where} timed out"
    for e in chain:
        if isinstance(e, ConnectionResetError | BrokenPipeError) or "closed" in _text(e).lower():
            return "connect", f"The connection to {where} was closed by the server"
    for e in chain:
        if isinstance(e, IMAPClientError):
            return "protocol", f"The IMAP server answered with an error: {_text(e)}"
    for e in chain:
        if isinstance(e, ConnectionError | OSError):
            return "connect", f"Could not connect to {where}: {e}"
    status = getattr(exc, "reason", None)
    if "AuthorizationError" in names:
        return "http", f"The server refused the credentials (HTTP 401/403) at {where}"
    if "NotFoundError" in names:
        return "http", f"Not found (HTTP 404) at {where}: check the URL"
    if "DAVError" in names or "ResponseError" in names:
        return "http", f"The calendar server answered with an error: {status or exc}"
    return "internal", f"Unexpected error ({type(exc).__name__}): {exc}"


def http_status_message(status: int, url: str) -> str:
    if status in (401, 403):
        return f"The server refused the credentials (HTTP {status}) for {url}"
    if status == 404:
        return f"Not found (HTTP 404): {url}"
    if status >= 500:
        return f"The server had an error (HTTP {status}) at {url}; it will be retried"
    return f"Unexpected answer (HTTP {status}) from {url}"


def test_connection(account: CaptureAccount, *, secret: str | None = None) -> ConnectionReport:  # noqa: PT028
    """Connect, log in and look at the folders or calendars, as a run would; never raises.

    ``secret`` is the clear password or token being tried (the form's, before saving);
    without it the stored one is used.
    """
    host, port = endpoint(account)
    try:
        if account.kind == CaptureKind.IMAP:
            from activities.capture.sources.imap import imap_check

            message = imap_check(account, secret=secret)
        elif account.kind == CaptureKind.CALDAV:
            from activities.capture.sources.caldav_source import caldav_check

            message = caldav_check(account, secret=secret)
        else:
            from activities.capture.sources.ics import ics_check

            message = ics_check(account)
    except Exception as exc:
        stage, text = classify_error(exc, host=host, port=port)
        return ConnectionReport(ok=False, stage=stage, message=text)
    return ConnectionReport(ok=True, stage="ok", message=message)


# pytest would collect a module-level function named test_*.
test_connection.__test__ = False  # type: ignore[attr-defined]
