"""Read an ICS feed over HTTP: a conditional GET, then the whole feed re-parsed.

The cursor keeps the feed's ETag and Last-Modified (a 304 means nothing to do) and the
occurrences captured last time, so one that vanished from the feed is cancelled.
"""

from __future__ import annotations

import datetime

import requests
from django.utils import timezone

from activities.capture.items import CaptureContext
from activities.capture.sources.base import BatchOutcome, SourceError
from activities.capture.sources.calendar_state import cancellations, known_from
from activities.capture.sources.diagnostics import http_status_message
from activities.models import CaptureAccount, CaptureCursor, PrivacyLevel

TIMEOUT_SECONDS = 30
FUTURE_DAYS = 90
MAX_FEED_BYTES = 50 * 1024 * 1024


def calendar_window(account: CaptureAccount) -> tuple[datetime.datetime, datetime.datetime]:
    now = timezone.now()
    return now - datetime.timedelta(days=account.backfill_days), now + datetime.timedelta(days=FUTURE_DAYS)


def _get(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.get(url, headers=headers or {}, timeout=TIMEOUT_SECONDS)
    if response.status_code == 304:
        return response
    if response.status_code != 200:
        raise SourceError("http", http_status_message(response.status_code, url))
    if len(response.content) > MAX_FEED_BYTES:
        raise SourceError("http", f"The feed at {url} is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
    if b"BEGIN:VCALENDAR" not in response.content[:4096].upper():
        raise SourceError("http", f"Not a calendar: {url} did not answer with an iCalendar (.ics) file")
    return response


def ics_check(account: CaptureAccount) -> str:
    response = _get(account.url)
    return f"The feed answered with a calendar ({len(response.content):,} bytes)."


def ics_run(account: CaptureAccount, *, context: CaptureContext | None, **_options: object) -> BatchOutcome:
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_calendar import parse_calendar

    outcome = BatchOutcome()
    cursor, _ = CaptureCursor.objects.get_or_create(account=account, folder="")
    headers = {}
    if cursor.etag:
        headers["If-None-Match"] = cursor.etag
    if cursor.last_modified:
        headers["If-Modified-Since"] = cursor.last_modified
    response = _get(account.url, headers)
    if response.status_code == 304:
        return outcome
    window_start, window_end = calendar_window(account)
    items = parse_calendar(
        response.content,
        window_start=window_start,
        window_end=window_end,
        source_name=account.name,
        with_body=account.privacy_level == PrivacyLevel.FULL,
    )
    current = known_from(items)
    previous: dict[str, list[str]] = dict(cursor.state.get("ids", {}))
    items += cancellations(previous, current, window_start=window_start)
    cursor.etag = response.headers.get("ETag", "")[:500]
    cursor.last_modified = response.headers.get("Last-Modified", "")[:100]
    cursor.state = {"ids": current}
    cursor.backfill_complete = True
    outcome.fetched = len(items)
    result = capture_ingest(
        organization=account.organization,
        user=account.user,
        source="ics",
        items=items,
        privacy_level=account.privacy_level,
        visibility=account.visibility,
        account=account,
        cursor=cursor,
        context=context,
    )
    outcome.add(result)
    return outcome
