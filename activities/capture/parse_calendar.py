"""iCalendar bytes → one ``CapturedItem`` per meeting occurrence in a window. Pure; never raises.

Recurring events are expanded with ``recurring_ical_events`` (RRULE, RDATE, EXDATE and
overridden instances with RECURRENCE-ID). Identity and versions follow the
deduplication contract of ``items.CapturedItem``:

* ``external_id`` is the UID for a one-off event and ``UID|RECURRENCE-ID`` (UTC,
  ``YYYY-MM-DDTHH:MM:SSZ``) for every occurrence of a recurring one;
* ``version`` is ``SEQUENCE|DTSTAMP`` with the sequence zero-padded, so a later
  version of the same occurrence compares greater as a string.

Times: floating times are read as UTC, all-day dates as midnight UTC. A broken
calendar gives one item with ``parse_error``; a broken event inside a good calendar
gives an item with ``parse_error`` for that UID and the other events still expand.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import icalendar
import recurring_ical_events

from activities.capture.headers import normalize_address
from activities.capture.items import MEETING, ROLE_ATTENDEE, ROLE_ORGANIZER, CapturedItem, CapturedParticipant
from activities.capture.parse_email import cap_text

UTC = datetime.UTC
MAX_OCCURRENCES = 5_000  # per calendar and window: a guard against FREQ=SECONDLY and the like
MAX_ATTENDEES = 500
_RESPONSES = {"accepted": "accepted", "tentative": "tentative", "declined": "declined", "needs-action": "needs-action"}


def parse_calendar(
    data: bytes,
    *,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    source_name: str = "",
    with_body: bool = True,
) -> list[CapturedItem]:
    """Every meeting occurrence of ``data`` that starts inside [window_start, window_end)."""
    try:
        return _parse(data, window_start, window_end, source_name, with_body)
    except Exception as exc:  # the contract: a calendar never stops a batch
        return [_broken("", f"calendar could not be read ({type(exc).__name__}: {str(exc)[:200]})", data)]


def _broken(uid: str, reason: str, data: bytes | None = None) -> CapturedItem:
    return CapturedItem(
        kind=MEETING, external_id=uid, occurred_at=None, parse_error=reason, size=len(data) if data else 0
    )


def _parse(
    data: bytes, window_start: datetime.datetime, window_end: datetime.datetime, source_name: str, with_body: bool
) -> list[CapturedItem]:
    label = f" in {source_name}" if source_name else ""
    if not data or not data.strip():
        return [_broken("", f"empty calendar{label}")]
    if b"END:VCALENDAR" not in data.upper():
        return [_broken("", f"incomplete iCalendar file{label} (no END:VCALENDAR)", data)]
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as exc:
        return [_broken("", f"not a readable iCalendar file{label} ({str(exc)[:200]})", data)]
    window_start, window_end = _as_utc(window_start), _as_utc(window_end)
    items: list[CapturedItem] = []
    for calendar in calendars:
        method_cancel = str(calendar.get("METHOD", "")).upper() == "CANCEL"
        # Expansion is eager: an event repeating every second would list millions of
        # occurrences before any cap could apply. No meeting repeats that often.
        too_frequent = {str(e.get("UID", "")) for e in calendar.walk("VEVENT") if _too_frequent(e)}
        for uid in sorted(too_frequent):
            items.append(_broken(uid, f"event repeats every second or minute{label}: not a meeting"))
        if too_frequent:
            calendar.subcomponents = [
                c for c in calendar.subcomponents if not (c.name == "VEVENT" and str(c.get("UID", "")) in too_frequent)
            ]
        events = list(calendar.walk("VEVENT"))
        recurring = {
            str(e.get("UID", "")) for e in events if e.get("RRULE") or e.get("RDATE") or e.get("RECURRENCE-ID")
        }
        try:
            occurrences = _expand(calendar, window_start, window_end)
        except Exception:
            occurrences = None
        if occurrences is not None:
            items.extend(_item(o, recurring, method_cancel, with_body) for o in occurrences)
            continue
        # Something in the calendar broke the expansion: expand each UID on its own so one
        # bad event costs only itself.
        for uid, calendar_of_uid in _split_by_uid(calendar, events):
            try:
                expanded = _expand(calendar_of_uid, window_start, window_end)
            except Exception as exc:
                items.append(
                    _broken(uid, f"event could not be expanded{label} ({type(exc).__name__}: {str(exc)[:200]})")
                )
                continue
            items.extend(_item(o, recurring, method_cancel, with_body) for o in expanded)
    return items


def _too_frequent(event: Any) -> bool:
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules]:
        try:
            frequencies = [str(f).upper() for f in (rule or {}).get("FREQ", [])]
        except Exception:  # an unreadable rule: the expansion reports it
            frequencies = []
        if any(f in ("SECONDLY", "MINUTELY") for f in frequencies):
            return True
    return False


def _expand(calendar: icalendar.Calendar, start: datetime.datetime, end: datetime.datetime) -> list[Any]:
    occurrences = []
    for occurrence in recurring_ical_events.of(calendar).between(start, end):
        occurrences.append(occurrence)
        if len(occurrences) >= MAX_OCCURRENCES:
            break
    return occurrences


def _split_by_uid(calendar: icalendar.Calendar, events: Iterable[Any]) -> list[tuple[str, icalendar.Calendar]]:
    timezones = list(calendar.walk("VTIMEZONE"))
    groups: dict[str, icalendar.Calendar] = {}
    for event in events:
        uid = str(event.get("UID", ""))
        if uid not in groups:
            single = icalendar.Calendar()
            for name in ("VERSION", "PRODID", "METHOD"):
                if calendar.get(name) is not None:
                    single.add(name, calendar.get(name))
            for timezone in timezones:
                single.add_component(timezone)
            groups[uid] = single
        groups[uid].add_component(event)
    return list(groups.items())


def _item(event: Any, recurring: set[str], method_cancel: bool, with_body: bool) -> CapturedItem:
    uid = str(event.get("UID", "")).strip()
    try:
        start = _utc(event.get("DTSTART").dt)
    except Exception:
        return _broken(uid, "event without a readable start (DTSTART)")
    external_id = uid
    if uid in recurring:
        recurrence = event.get("RECURRENCE-ID")
        recurrence_at = _utc(recurrence.dt) if recurrence is not None else start
        external_id = f"{uid}|{_iso(recurrence_at)}"
    participants: list[CapturedParticipant] = []
    organizer = event.get("ORGANIZER")
    if organizer is not None:
        address = _mail_address(organizer)
        name = _param(organizer, "CN")
        if address or name:
            participants.append(CapturedParticipant(address=address, name=name, role=ROLE_ORGANIZER))
    attendees = event.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    seen: set[str] = set()
    for attendee in attendees[:MAX_ATTENDEES]:
        address = _mail_address(attendee)
        name = _param(attendee, "CN")
        key = address or f"name:{name}"
        if key in seen or not (address or name):
            continue
        seen.add(key)
        response = _RESPONSES.get(_param(attendee, "PARTSTAT").lower(), "")
        participants.append(CapturedParticipant(address=address, name=name, role=ROLE_ATTENDEE, response=response))
    status_value = str(event.get("STATUS", "")).strip().upper()
    status = "cancelled" if method_cancel or status_value == "CANCELLED" else status_value.lower() or "confirmed"
    if status not in ("confirmed", "tentative", "cancelled"):
        status = "confirmed"
    description = str(event.get("DESCRIPTION", "")) if with_body else ""
    return CapturedItem(
        kind=MEETING,
        external_id=external_id[:998],
        occurred_at=start,
        subject=" ".join(str(event.get("SUMMARY", "")).split())[:998],
        text_body=cap_text(description) if description else "",
        participants=participants,
        thread_id=uid[:998],
        recipient_count=len(attendees),
        duration_minutes=_duration_minutes(event, start),
        status=status,
        version=_version(event),
    )


def _duration_minutes(event: Any, start: datetime.datetime) -> int | None:
    try:
        end_prop = event.get("DTEND")
        if end_prop is not None:
            end = _utc(end_prop.dt)
        elif event.get("DURATION") is not None:
            end = start + event.get("DURATION").dt
        elif not isinstance(event.get("DTSTART").dt, datetime.datetime):
            end = start + datetime.timedelta(days=1)  # an all-day event without an end lasts the day
        else:
            return 0
    except Exception:
        return None
    minutes = int((end - start).total_seconds() // 60)
    return minutes if minutes >= 0 else None


def _version(event: Any) -> str:
    try:
        sequence = max(0, int(str(event.get("SEQUENCE", 0)).strip() or 0))
    except ValueError:
        sequence = 0
    stamp = ""
    for name in ("DTSTAMP", "LAST-MODIFIED", "CREATED"):
        prop = event.get(name)
        if prop is not None:
            try:
                stamp = _iso(_utc(prop.dt))
            except Exception:  # noqa: S112 - an unreadable stamp: try the next one
                continue
            break
    return f"{min(sequence, 9_999_999_999):010d}|{stamp}"


def _mail_address(value: Any) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    address = normalize_address(text)
    if not address:
        address = normalize_address(_param(value, "EMAIL"))
    return address


def _param(value: Any, name: str) -> str:
    params = getattr(value, "params", None)
    if not params:
        return ""
    raw = params.get(name, "")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    return " ".join(str(raw).split()).strip('"')[:200]


def _utc(value: datetime.date | datetime.datetime) -> datetime.datetime:
    """Aware UTC: floating times are read as UTC, dates as midnight UTC."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise TypeError(f"not a date or time: {value!r}")


def _as_utc(value: datetime.datetime) -> datetime.datetime:
    return _utc(value)


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
