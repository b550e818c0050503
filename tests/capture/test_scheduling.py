"""Scheduling: leases, back-off, due sources, and one broken source never blocking another."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from activities import tasks
from activities.capture.sources import runner
from activities.capture.sources.runner import (
    backoff_seconds,
    capture_account_poll_now,
    capture_account_run_once,
    capture_accounts_claim_due,
    capture_lease_acquire,
    capture_lease_renew,
)
from activities.models import CaptureAccount
from tests.capture.servers import free_port, ics_feed  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

FEED = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:sched-1\r\n"
    b"DTSTAMP:20250101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Quarterly review\r\n"
    b"ORGANIZER:mailto:rita@acme.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:carla@customer.example\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def feed_body() -> bytes:
    start = timezone.now() + datetime.timedelta(days=2)
    fmt = "%Y%m%dT%H%M%SZ"
    return FEED.replace(b"{start}", start.strftime(fmt).encode()).replace(
        b"{end}", (start + datetime.timedelta(hours=1)).strftime(fmt).encode()
    )


def source(membership, **fields) -> CaptureAccount:
    values = {
        "organization": membership.organization,
        "user": membership.user,
        "kind": "ics",
        "name": "Feed",
        "url": f"http://127.0.0.1:{free_port()}/closed.ics",
    }
    values.update(fields)
    return CaptureAccount.objects.create(**values)


def test_a_held_lease_keeps_a_second_run_out(world):
    account = source(world.rep)
    assert capture_lease_acquire(account_id=account.pk, owner="worker-1", seconds=300)

    assert not capture_lease_acquire(account_id=account.pk, owner="worker-2", seconds=300)
    assert capture_account_run_once(account_id=account.pk) == "busy"
    account.refresh_from_db()
    assert account.lease_owner == "worker-1"
    assert account.consecutive_failures == 0


def test_an_expired_lease_is_taken_over(world):
    account = source(world.rep, lease_owner="crashed-worker", lease_expires_at=timezone.now() - datetime.timedelta(1))

    assert capture_lease_acquire(account_id=account.pk, owner="worker-2", seconds=300)

    account.refresh_from_db()
    assert account.lease_owner == "worker-2"
    assert account.lease_expires_at is not None
    assert account.lease_expires_at > timezone.now()


def test_a_run_that_lost_its_lease_notices_when_renewing(world):
    account = source(world.rep)
    capture_lease_acquire(account_id=account.pk, owner="slow-worker", seconds=300)
    CaptureAccount.objects.filter(pk=account.pk).update(lease_owner="new-worker")

    with pytest.raises(runner.LeaseLost):
        capture_lease_renew(account_id=account.pk, owner="slow-worker", seconds=300)


def test_a_lease_pushes_the_next_poll_past_it_so_a_crash_is_retried_by_the_beat(world):
    account = source(world.rep)

    capture_lease_acquire(account_id=account.pk, owner="worker-1", seconds=120)

    account.refresh_from_db()
    assert account.next_poll_at == account.lease_expires_at
    assert capture_accounts_claim_due() == []


def test_a_paused_source_is_never_leased_nor_scheduled(world):
    account = source(world.rep, status="paused")

    assert not capture_lease_acquire(account_id=account.pk, owner="worker-1", seconds=300)
    assert capture_accounts_claim_due() == []
    assert capture_account_poll_now(account=account) is False


def test_backoff_grows_and_caps(settings):
    settings.RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS = 3600
    delays = [backoff_seconds(failures) for failures in range(1, 12)]

    assert all(later > earlier for earlier, later in itertools.pairwise(delays[:6]))
    assert 45 <= delays[0] <= 60
    assert max(delays) <= 3600
    assert delays[-1] >= 3600 * 0.75


def test_a_failing_source_backs_off_further_each_time_and_shows_its_error(world, settings):
    settings.RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS = 3600
    account = source(world.rep)
    waits = []
    for _ in range(3):
        CaptureAccount.objects.filter(pk=account.pk).update(next_poll_at=None)
        assert capture_account_run_once(account_id=account.pk) == "failed"
        account.refresh_from_db()
        assert account.next_poll_at is not None
        assert account.last_error_at is not None
        waits.append((account.next_poll_at - account.last_error_at).total_seconds())

    assert account.status == "failing"
    assert account.consecutive_failures == 3
    assert account.last_error_kind == "connect"
    assert account.last_error.startswith("Connection refused by 127.0.0.1:")
    assert account.lease_owner == ""
    assert waits[0] < waits[1] < waits[2] <= 3600


def test_sources_due_are_those_never_polled_or_past_their_time(world):
    never = source(world.rep)
    past = source(world.rep, next_poll_at=timezone.now() - datetime.timedelta(minutes=1))
    source(world.rep, next_poll_at=timezone.now() + datetime.timedelta(minutes=5))
    source(world.rep, status="paused")
    source(world.rep, lease_owner="busy", lease_expires_at=timezone.now() + datetime.timedelta(minutes=5))

    assert sorted(capture_accounts_claim_due()) == sorted([never.pk, past.pk])
    # Claimed: the next beat tick does not enqueue them a second time.
    assert capture_accounts_claim_due() == []


def test_a_failing_source_does_not_stop_another_sources_run(world, ics_feed):  # noqa: F811
    ics_feed.publish(feed_body())
    broken = source(world.rep, name="Broken")
    healthy = source(world.teammate, name="Healthy", url=ics_feed.url)

    assert tasks.capture_schedule_due() == 2

    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert broken.status == "failing"
    assert healthy.status == "active"
    assert healthy.last_success_at is not None
    assert ics_feed.requests == 1


def test_poll_now_makes_a_source_due_and_runs_it(world, ics_feed, django_capture_on_commit_callbacks):  # noqa: F811
    ics_feed.publish(feed_body())
    account = source(world.rep, url=ics_feed.url, next_poll_at=timezone.now() + datetime.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert capture_account_poll_now(account=account) is True

    account.refresh_from_db()
    assert account.last_success_at is not None
    assert ics_feed.requests == 1


def test_a_source_paused_during_its_run_stays_paused(world, ics_feed, monkeypatch):  # noqa: F811
    ics_feed.publish(feed_body())
    account = source(world.rep, url=ics_feed.url)
    real = runner.run_account_batch

    def pause_meanwhile(acct, **kwargs):
        CaptureAccount.objects.filter(pk=acct.pk).update(status="paused")
        return real(acct, **kwargs)

    monkeypatch.setattr(runner, "run_account_batch", pause_meanwhile)

    assert capture_account_run_once(account_id=account.pk) == "done"
    account.refresh_from_db()
    assert account.status == "paused"
    assert account.lease_owner == ""


def test_an_unfinished_backfill_re_enqueues_its_run_right_away(world, monkeypatch):
    account = source(world.rep)
    results = iter(["more", "more", "done"])
    calls = []

    def fake_run(**kwargs):
        calls.append(kwargs)
        return next(results)

    monkeypatch.setattr(runner, "capture_account_run_once", fake_run)

    assert tasks.capture_account_run(account.pk, lease_seconds=7) == "more"
    assert len(calls) == 3
    assert all(call["lease_seconds"] == 7 for call in calls)
