"""Capture from a real Radicale: first sync, edits, recurring exceptions, cancellations, deletions."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from activities.capture.sources.runner import run_account_batch
from activities.models import CaptureAccount, CaptureCursor, Interaction
from relintel import crypto
from tests.capture.servers import Radicale, radicale  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

FMT = "%Y%m%dT%H%M%SZ"


def at(days: int, hour: int = 15) -> datetime.datetime:
    day = (timezone.now() + datetime.timedelta(days=days)).astimezone(datetime.UTC)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def vevent(uid: str, start: datetime.datetime, *, summary: str = "Review", sequence: int = 0, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{timezone.now():%Y%m%dT%H%M%SZ}\r\nSEQUENCE:{sequence}\r\n"
        f"DTSTART:{start:{FMT}}\r\nDTEND:{start + datetime.timedelta(hours=1):{FMT}}\r\nSUMMARY:{summary}\r\n"
        "ORGANIZER:mailto:rita@acme.example\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carla@customer.example\r\n"
        f"{extra}END:VEVENT\r\n"
    )


def vcalendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


@pytest.fixture
def calendar(radicale: Radicale):  # noqa: F811
    """A fresh calendar per test: (name, url)."""
    name = f"cal{time.monotonic_ns()}"
    return name


def caldav_account(server: Radicale, membership, calendar: str) -> CaptureAccount:
    return CaptureAccount.objects.create(
        organization=membership.organization,
        user=membership.user,
        kind="caldav",
        name="Calendar",
        url=server.url,
        username="rita",
        secret=crypto.encrypt("any"),
        folders=[f"/rita/{calendar}/"],
        privacy_level="subject",
    )


def meetings(org) -> dict[str, Interaction]:
    return {i.external_id: i for i in Interaction.objects.filter(organization=org, kind="meeting")}


def test_first_sync_captures_the_calendar_and_keeps_its_sync_token(radicale, calendar, world):  # noqa: F811
    radicale.seed("rita", calendar, vcalendar(vevent("ev-1", at(2), summary="Kick-off"), vevent("ev-2", at(-3))))
    account = caldav_account(radicale, world.rep, calendar)

    outcome = run_account_batch(account)

    assert outcome.captured == 2
    assert {m.subject for m in meetings(world.org).values()} == {"Kick-off", "Review"}
    cursor = CaptureCursor.objects.get(account=account)
    assert cursor.sync_token
    assert len(cursor.state["objects"]) == 2


def test_an_unchanged_calendar_is_not_read_again(radicale, calendar, world):  # noqa: F811
    radicale.seed("rita", calendar, vcalendar(vevent("ev-1", at(2))))
    account = caldav_account(radicale, world.rep, calendar)
    run_account_batch(account)

    outcome = run_account_batch(account)

    assert outcome.fetched == 0


def test_an_edited_event_updates_the_meeting(radicale, calendar, world):  # noqa: F811
    radicale.seed("rita", calendar, vcalendar(vevent("ev-edit", at(2), summary="Draft agenda")))
    account = caldav_account(radicale, world.rep, calendar)
    run_account_batch(account)
    name = next(iter(CaptureCursor.objects.get(account=account).state["objects"])).rsplit("/", 1)[-1]

    radicale.put_event("rita", calendar, name, vcalendar(vevent("ev-edit", at(3), summary="Final agenda", sequence=1)))
    outcome = run_account_batch(account)

    assert outcome.fetched == 1
    (meeting,) = meetings(world.org).values()
    assert meeting.subject == "Final agenda"
    assert meeting.occurred_at == at(3)


def test_a_recurring_event_with_an_exception_and_a_cancelled_occurrence(radicale, calendar, world):  # noqa: F811
    first = at(1, hour=9)
    moved = first + datetime.timedelta(days=7)
    cancelled = first + datetime.timedelta(days=14)
    series = vevent("weekly", first, summary="Weekly sync", extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n")
    exception = vevent(
        "weekly",
        moved + datetime.timedelta(hours=2),
        summary="Weekly sync (moved)",
        sequence=1,
        extra=f"RECURRENCE-ID:{moved:{FMT}}\r\n",
    )
    off = vevent("weekly", cancelled, sequence=1, extra=f"RECURRENCE-ID:{cancelled:{FMT}}\r\nSTATUS:CANCELLED\r\n")
    radicale.seed("rita", calendar, vcalendar(series, exception, off))
    account = caldav_account(radicale, world.rep, calendar)

    run_account_batch(account)

    found = meetings(world.org)
    subjects = sorted(m.subject for m in found.values())
    assert subjects == ["Weekly sync", "Weekly sync", "Weekly sync (moved)"]
    assert moved + datetime.timedelta(hours=2) in {m.occurred_at for m in found.values()}
    assert cancelled not in {m.occurred_at for m in found.values()}


def test_an_event_cancelled_later_is_removed(radicale, calendar, world):  # noqa: F811
    radicale.seed("rita", calendar, vcalendar(vevent("ev-cancel", at(4), summary="Demo")))
    account = caldav_account(radicale, world.rep, calendar)
    run_account_batch(account)
    assert len(meetings(world.org)) == 1
    name = next(iter(CaptureCursor.objects.get(account=account).state["objects"])).rsplit("/", 1)[-1]

    radicale.put_event(
        "rita",
        calendar,
        name,
        vcalendar(vevent("ev-cancel", at(4), summary="Demo", sequence=2, extra="STATUS:CANCELLED\r\n")),
    )
    run_account_batch(account)

    assert meetings(world.org) == {}


def test_a_deleted_event_is_removed(radicale, calendar, world):  # noqa: F811
    radicale.seed("rita", calendar, vcalendar(vevent("ev-del", at(5), summary="Lunch"), vevent("ev-keep", at(6))))
    account = caldav_account(radicale, world.rep, calendar)
    run_account_batch(account)
    objects = CaptureCursor.objects.get(account=account).state["objects"]
    href = next(h for h, o in objects.items() if any("ev-del" in i for i in o["ids"]))

    radicale.delete_event("rita", calendar, href.rsplit("/", 1)[-1])
    outcome = run_account_batch(account)

    assert outcome.fetched == 1  # the cancellation
    assert {m.subject for m in meetings(world.org).values()} == {"Review"}


def test_all_the_principals_calendars_are_read_when_none_is_chosen(radicale, world):  # noqa: F811
    user = f"u{time.monotonic_ns()}"
    radicale.seed(user, "work", vcalendar(vevent("ev-work", at(2), summary="Work")))
    radicale.seed(user, "home", vcalendar(vevent("ev-home", at(2), summary="Home")))
    account = CaptureAccount.objects.create(
        organization=world.org,
        user=world.rep.user,
        kind="caldav",
        name="All",
        url=radicale.url,
        username=user,
        secret=crypto.encrypt("any"),
    )

    run_account_batch(account)

    assert {m.subject for m in meetings(world.org).values()} == {"Work", "Home"}
    assert CaptureCursor.objects.filter(account=account).count() == 2
