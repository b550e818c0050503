"""parse_calendar: occurrences in a window, identities, versions, people, cancellations."""

from __future__ import annotations

import datetime

from activities.capture.items import ROLE_ATTENDEE, ROLE_ORGANIZER
from activities.capture.parse_calendar import parse_calendar

UTC = datetime.UTC
WINDOW = {
    "window_start": datetime.datetime(2024, 1, 1, tzinfo=UTC),
    "window_end": datetime.datetime(2024, 3, 1, tzinfo=UTC),
}

BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""

WEEKLY = """BEGIN:VEVENT
UID:weekly@acme.example
DTSTAMP:20231220T080000Z
SEQUENCE:2
DTSTART;TZID=Europe/Berlin:20240108T100000
DTEND;TZID=Europe/Berlin:20240108T110000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Berlin:20240115T100000
SUMMARY:Weekly sync
DESCRIPTION:Agenda: pricing
ORGANIZER;CN=Rep One:mailto:Rep@acme.example
ATTENDEE;CN=Bob Buyer;PARTSTAT=ACCEPTED:mailto:bob@client.example
ATTENDEE;CN=Carol;PARTSTAT=TENTATIVE:mailto:carol@client.example
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:dan@client.example
ATTENDEE;PARTSTAT=DECLINED:mailto:rep@acme.example
END:VEVENT
BEGIN:VEVENT
UID:weekly@acme.example
RECURRENCE-ID;TZID=Europe/Berlin:20240122T100000
DTSTAMP:20240102T090000Z
SEQUENCE:3
DTSTART;TZID=Europe/Berlin:20240122T140000
DTEND;TZID=Europe/Berlin:20240122T143000
SUMMARY:Weekly sync (moved)
ORGANIZER:mailto:rep@acme.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@client.example
END:VEVENT
"""


def ics(*events: str, method: str = "", timezones: str = BERLIN) -> bytes:
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n"
    if method:
        text += f"METHOD:{method}\n"
    text += timezones + "".join(events) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def by_id(items):
    return {item.external_id: item for item in items}


def test_a_recurring_event_is_expanded_inside_the_window_with_exdate_and_overrides():
    items = parse_calendar(ics(WEEKLY), **WINDOW)
    assert sorted(by_id(items)) == [
        "weekly@acme.example|2024-01-08T09:00:00Z",
        "weekly@acme.example|2024-01-22T09:00:00Z",
        "weekly@acme.example|2024-01-29T09:00:00Z",
        "weekly@acme.example|2024-02-05T09:00:00Z",
    ]
    moved = by_id(items)["weekly@acme.example|2024-01-22T09:00:00Z"]
    assert moved.occurred_at == datetime.datetime(2024, 1, 22, 13, 0, tzinfo=UTC)
    assert moved.subject == "Weekly sync (moved)"
    assert moved.duration_minutes == 30


def test_the_window_limits_the_occurrences():
    items = parse_calendar(
        ics(WEEKLY),
        window_start=datetime.datetime(2024, 1, 25, tzinfo=UTC),
        window_end=datetime.datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert [i.external_id for i in items] == ["weekly@acme.example|2024-01-29T09:00:00Z"]


def test_organizer_and_attendees_with_their_responses():
    first = by_id(parse_calendar(ics(WEEKLY), **WINDOW))["weekly@acme.example|2024-01-08T09:00:00Z"]
    assert [(p.role, p.address, p.name, p.response) for p in first.participants] == [
        (ROLE_ORGANIZER, "rep@acme.example", "Rep One", ""),
        (ROLE_ATTENDEE, "bob@client.example", "Bob Buyer", "accepted"),
        (ROLE_ATTENDEE, "carol@client.example", "Carol", "tentative"),
        (ROLE_ATTENDEE, "dan@client.example", "", "needs-action"),
        (ROLE_ATTENDEE, "rep@acme.example", "", "declined"),
    ]
    assert first.recipient_count == 4
    assert first.subject == "Weekly sync"
    assert first.text_body == "Agenda: pricing"
    assert first.duration_minutes == 60
    assert first.status == "confirmed"
    assert first.sender is not None
    assert first.sender.address == "rep@acme.example"


def test_without_the_body_the_description_is_not_kept():
    items = parse_calendar(ics(WEEKLY), with_body=False, **WINDOW)
    assert all(item.text_body == "" for item in items)
    assert items[0].subject == "Weekly sync"


def test_a_single_event_is_identified_by_its_uid():
    event = """BEGIN:VEVENT
UID:lunch@client.example
DTSTAMP:20240101T120000Z
DTSTART:20240110T120000Z
DURATION:PT45M
SUMMARY:Lunch
END:VEVENT
"""
    (item,) = parse_calendar(ics(event), **WINDOW)
    assert item.external_id == "lunch@client.example"
    assert item.duration_minutes == 45
    assert item.version == "0000000000|2024-01-01T12:00:00Z"


def test_later_versions_compare_greater_as_strings():
    def version(sequence: int, stamp: str) -> str:
        event = f"BEGIN:VEVENT\nUID:v@x\nDTSTAMP:{stamp}\nSEQUENCE:{sequence}\nDTSTART:20240110T120000Z\nEND:VEVENT\n"
        return parse_calendar(ics(event), **WINDOW)[0].version

    assert version(10, "20240101T000000Z") > version(9, "20240301T000000Z")
    assert version(2, "20240102T000000Z") > version(2, "20240101T000000Z")


def test_a_cancelled_event_and_a_cancel_message_are_cancelled():
    cancelled = (
        "BEGIN:VEVENT\nUID:c@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T120000Z\nSTATUS:CANCELLED\nEND:VEVENT\n"
    )
    assert parse_calendar(ics(cancelled), **WINDOW)[0].status == "cancelled"
    plain = "BEGIN:VEVENT\nUID:c@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T120000Z\nEND:VEVENT\n"
    assert parse_calendar(ics(plain, method="CANCEL"), **WINDOW)[0].status == "cancelled"
    tentative = plain.replace("END:VEVENT", "STATUS:TENTATIVE\nEND:VEVENT")
    assert parse_calendar(ics(tentative), **WINDOW)[0].status == "tentative"


def test_a_cancelled_occurrence_keeps_its_series_identity():
    series = WEEKLY.replace("SUMMARY:Weekly sync (moved)", "SUMMARY:Weekly sync (moved)\nSTATUS:CANCELLED")
    moved = by_id(parse_calendar(ics(series), **WINDOW))["weekly@acme.example|2024-01-22T09:00:00Z"]
    assert moved.status == "cancelled"


def test_all_day_events_start_at_midnight_utc_and_last_the_day():
    event = (
        "BEGIN:VEVENT\nUID:day@x\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240111\nSUMMARY:Offsite\nEND:VEVENT\n"
    )
    (item,) = parse_calendar(ics(event), **WINDOW)
    assert item.occurred_at == datetime.datetime(2024, 1, 11, tzinfo=UTC)
    assert item.duration_minutes == 24 * 60


def test_a_recurring_all_day_event_uses_midnight_utc_in_its_ids():
    event = (
        "BEGIN:VEVENT\nUID:daily@x\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240201\n"
        "RRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n"
    )
    items = parse_calendar(ics(event), **WINDOW)
    assert [i.external_id for i in items] == ["daily@x|2024-02-01T00:00:00Z", "daily@x|2024-02-02T00:00:00Z"]


def test_floating_times_are_read_as_utc():
    event = (
        "BEGIN:VEVENT\nUID:f@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T100000\nDTEND:20240110T103000\nEND:VEVENT\n"
    )
    (item,) = parse_calendar(ics(event), **WINDOW)
    assert item.occurred_at == datetime.datetime(2024, 1, 10, 10, 0, tzinfo=UTC)
    assert item.duration_minutes == 30


def test_several_calendars_in_one_file_are_all_read():
    one = "BEGIN:VEVENT\nUID:a@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T100000Z\nEND:VEVENT\n"
    two = one.replace("a@x", "b@x")
    data = ics(one) + ics(two)
    assert sorted(i.external_id for i in parse_calendar(data, **WINDOW)) == ["a@x", "b@x"]


def test_naive_window_bounds_are_read_as_utc():
    event = "BEGIN:VEVENT\nUID:a@x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T100000Z\nEND:VEVENT\n"
    items = parse_calendar(
        ics(event), window_start=datetime.datetime(2024, 1, 1), window_end=datetime.datetime(2024, 2, 1)
    )
    assert [i.external_id for i in items] == ["a@x"]


def test_a_broken_file_is_one_item_with_a_parse_error_naming_the_source():
    (item,) = parse_calendar(b"BEGIN:VCALENDAR\r\nnonsense\r\n", source_name="team.ics", **WINDOW)
    assert item.kind == "meeting"
    assert "team.ics" in item.parse_error
