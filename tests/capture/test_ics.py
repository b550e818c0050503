"""Capture from an ICS feed over HTTP: conditional GETs, re-parsing, vanished events."""

from __future__ import annotations

import pytest

from activities.capture.sources.runner import capture_account_run_once, run_account_batch
from activities.models import CaptureAccount, CaptureCursor, Interaction
from tests.capture.servers import ics_feed  # noqa: F401 - fixture
from tests.capture.test_caldav import at, vcalendar, vevent

pytestmark = pytest.mark.django_db


def feed_account(feed, membership) -> CaptureAccount:
    return CaptureAccount.objects.create(
        organization=membership.organization, user=membership.user, kind="ics", name="Feed", url=feed.url
    )


def subjects(org) -> set[str]:
    return set(Interaction.objects.filter(organization=org, kind="meeting").values_list("subject", flat=True))


def test_the_feed_is_captured_and_its_validators_kept(ics_feed, world):  # noqa: F811
    ics_feed.publish(vcalendar(vevent("f-1", at(1), summary="Pitch"), vevent("f-2", at(-2), summary="Intro")))
    account = feed_account(ics_feed, world.rep)

    outcome = run_account_batch(account)

    assert outcome.captured == 2
    assert subjects(world.org) == {"Pitch", "Intro"}
    cursor = CaptureCursor.objects.get(account=account, folder="")
    assert cursor.etag.startswith('"')
    assert cursor.last_modified.endswith("GMT")


def test_an_unchanged_feed_answers_304_and_nothing_is_done(ics_feed, world):  # noqa: F811
    ics_feed.publish(vcalendar(vevent("f-1", at(1))))
    account = feed_account(ics_feed, world.rep)
    run_account_batch(account)

    outcome = run_account_batch(account)

    assert ics_feed.not_modified == 1
    assert outcome.fetched == 0


def test_a_changed_feed_is_re_read_and_updates_apply_once(ics_feed, world):  # noqa: F811
    ics_feed.publish(vcalendar(vevent("f-1", at(1), summary="Old title"), vevent("f-2", at(2), summary="Same")))
    account = feed_account(ics_feed, world.rep)
    run_account_batch(account)

    ics_feed.publish(
        vcalendar(vevent("f-1", at(1), summary="New title", sequence=1), vevent("f-2", at(2), summary="Same"))
    )
    run_account_batch(account)

    assert subjects(world.org) == {"New title", "Same"}
    assert Interaction.objects.filter(organization=world.org).count() == 2


def test_an_event_that_vanishes_from_the_feed_is_cancelled(ics_feed, world):  # noqa: F811
    ics_feed.publish(vcalendar(vevent("f-stay", at(1), summary="Stays"), vevent("f-go", at(3), summary="Goes")))
    account = feed_account(ics_feed, world.rep)
    run_account_batch(account)

    ics_feed.publish(vcalendar(vevent("f-stay", at(1), summary="Stays")))
    outcome = run_account_batch(account)

    assert subjects(world.org) == {"Stays"}
    assert outcome.fetched == 2  # the remaining event and the cancellation
    assert list(CaptureCursor.objects.get(account=account).state["ids"]) == ["f-stay"]


def test_a_feed_that_starts_failing_records_the_http_status(ics_feed, world):  # noqa: F811
    ics_feed.publish(vcalendar(vevent("f-1", at(1))))
    account = feed_account(ics_feed, world.rep)
    ics_feed.status = 401

    assert capture_account_run_once(account_id=account.pk) == "failed"

    account.refresh_from_db()
    assert account.last_error_kind == "http"
    assert account.last_error == f"The server refused the credentials (HTTP 401) for {ics_feed.url}"
