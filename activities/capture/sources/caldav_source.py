"""Read CalDAV calendars: the principal's calendars (or the account's list), object by object.

Per calendar a ``CaptureCursor`` keeps the RFC 6578 sync token when the server offers one
(an unchanged token means nothing to read) and, in ``state``, every object's ETag and the
occurrences it produced. A changed ETag means the object is fetched and re-parsed
(ingest's versions make that idempotent); a vanished object or occurrence becomes a
cancellation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from caldav.davclient import DAVClient
from caldav.elements import dav

from activities.capture.items import CaptureContext
from activities.capture.sources.base import BatchOutcome, SourceError, account_secret
from activities.capture.sources.calendar_state import Known, cancellations, known_from
from activities.capture.sources.diagnostics import http_status_message
from activities.capture.sources.ics import calendar_window
from activities.models import CaptureAccount, CaptureCursor, PrivacyLevel

TIMEOUT_SECONDS = 30
_PROPFIND_ETAGS = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
)
_DAV = "{DAV:}"


def caldav_client(account: CaptureAccount, *, secret: str | None = None) -> DAVClient:
    password = account_secret(account.secret) if secret is None else secret
    return DAVClient(
        url=account.url,
        username=account.username or None,
        password=password or None,
        timeout=TIMEOUT_SECONDS,
    )


def _same(a: str, b: str) -> bool:
    return urlsplit(a).path.rstrip("/") == urlsplit(b).path.rstrip("/")


def caldav_calendars(client: DAVClient, account: CaptureAccount) -> list[Any]:
    """The calendars to read: the account's list, else all of the principal's."""
    calendars = list(client.principal().calendars())
    if not account.folders:
        if not calendars:
            raise SourceError("folder", f"No calendars found at {account.url}")
        return calendars
    chosen = []
    for wanted in account.folders:
        full = urljoin(account.url, str(wanted))
        match = next((cal for cal in calendars if _same(str(cal.url), full)), None)
        if match is None:
            match = next((cal for cal in calendars if (cal.get_display_name() or "") == wanted), None)
        if match is None:
            raise SourceError("folder", f"No such calendar on the server: {wanted}")
        chosen.append(match)
    return chosen


def caldav_check(account: CaptureAccount, *, secret: str | None = None) -> str:
    client = caldav_client(account, secret=secret)
    calendars = caldav_calendars(client, account)
    names = ", ".join(cal.get_display_name() or str(cal.url) for cal in calendars)
    return f"Connected. Calendars: {names}"


def _etags(client: DAVClient, url: str) -> dict[str, str]:
    """href → ETag of every object in a calendar collection."""
    response = client.request(url, "PROPFIND", _PROPFIND_ETAGS, {"Depth": "1", "Content-Type": "application/xml"})
    if response.status != 207:
        raise SourceError("http", http_status_message(int(response.status), url))
    tree = response.tree
    if tree is None:
        raise SourceError("http", f"Not a calendar: {url} did not answer like a CalDAV server")
    etags = {}
    base = urlsplit(url).path.rstrip("/")
    for item in tree.iter(f"{_DAV}response"):
        href = (item.findtext(f"{_DAV}href") or "").strip()
        if not href or urlsplit(urljoin(url, href)).path.rstrip("/") == base:
            continue
        if item.find(f".//{_DAV}resourcetype/{_DAV}collection") is not None:
            continue
        etags[href] = (item.findtext(f".//{_DAV}getetag") or "").strip()
    return etags


def _get(client: DAVClient, url: str) -> bytes | None:
    response = client.request(url, "GET")
    if response.status == 404:
        return None  # deleted between the listing and now
    if response.status != 200:
        raise SourceError("http", http_status_message(int(response.status), url))
    raw = response.raw
    return raw.encode() if isinstance(raw, str) else bytes(raw)


def caldav_run(account: CaptureAccount, *, context: CaptureContext | None, **_options: object) -> BatchOutcome:
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_calendar import parse_calendar

    outcome = BatchOutcome()
    client = caldav_client(account)
    window_start, window_end = calendar_window(account)
    with_body = account.privacy_level == PrivacyLevel.FULL
    for calendar in caldav_calendars(client, account):
        url = str(calendar.url)
        cursor, _ = CaptureCursor.objects.get_or_create(account=account, folder=url)
        try:
            token = str(calendar.get_property(dav.SyncToken()) or "")
        except Exception:
            token = ""
        if token and token == cursor.sync_token and cursor.backfill_complete:
            continue
        previous: dict[str, dict[str, Any]] = dict(cursor.state.get("objects", {}))
        current_etags = _etags(client, url)
        objects: dict[str, dict[str, Any]] = {}
        items = []
        for href, etag in current_etags.items():
            known = previous.get(href)
            if known and etag and known.get("etag") == etag:
                objects[href] = known
                continue
            data = _get(client, urljoin(url, href))
            if data is None:
                continue
            parsed = parse_calendar(
                data,
                window_start=window_start,
                window_end=window_end,
                source_name=calendar.get_display_name() or "",
                with_body=with_body,
            )
            ids = known_from(parsed)
            old_ids: Known = dict(known.get("ids", {})) if known else {}
            items += parsed + cancellations(old_ids, ids, window_start=window_start)
            objects[href] = {"etag": etag, "ids": ids}
        for href, known in previous.items():
            if href not in current_etags:
                items += cancellations(dict(known.get("ids", {})), {}, window_start=window_start)
        cursor.sync_token = token
        cursor.state = {"objects": objects}
        cursor.backfill_complete = True
        outcome.fetched += len(items)
        result = capture_ingest(
            organization=account.organization,
            user=account.user,
            source="caldav",
            items=items,
            privacy_level=account.privacy_level,
            visibility=account.visibility,
            account=account,
            cursor=cursor,
            context=context,
        )
        outcome.add(result)
    return outcome
