"""A worker killed with SIGKILL in the middle of a backfill: nothing lost, nothing twice.

A real Celery worker (Redis broker on its own db, this test's PostgreSQL database)
reads a real dovecot mailbox of a few thousand messages in small batches. We kill it
mid-backfill, start another with a short lease, and check every message was captured
exactly once.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Count

from activities.models import CaptureAccount, CaptureCursor, CaptureSighting, Interaction
from relintel import crypto
from tests.capture.servers import Dovecot, make_message

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/11"
MESSAGES = 2000
LEASE_SECONDS = 4


@pytest.fixture
def mailbox() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="relintel-dovecot-fault-"))
    server = Dovecot(root=root).start()
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(root)], check=False)


class Worker:
    def __init__(self, log: Path) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "relintel.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": BROKER_URL,
            "REDIS_URL": BROKER_URL,
            "DEBUG": "1",
            "SECRET_KEY": settings.SECRET_KEY,
            "RELINTEL_ENCRYPTION_KEYS": ",".join(settings.RELINTEL_ENCRYPTION_KEYS),
            "RELINTEL_CAPTURE_BATCH_SIZE": "20",
        }
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "relintel",
                "worker",
                "-Q",
                "capture",
                "-c",
                "1",
                "--pool",
                "solo",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_until(condition, *, timeout: float, every: float = 0.2, then=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if then is not None:
            then()
        time.sleep(every)
    raise AssertionError("timed out")


def test_a_worker_killed_mid_backfill_loses_and_duplicates_nothing(mailbox, world, tmp_path):
    redis.Redis.from_url(BROKER_URL).flushdb()
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)
    mailbox.deliver_many(
        [
            make_message(
                subject=f"Order {i}",
                message_id=f"<order-{i}@customer.example>",
                date=start + datetime.timedelta(minutes=i),
            )
            for i in range(MESSAGES)
        ]
    )
    account = CaptureAccount.objects.create(
        organization=world.org,
        user=world.rep.user,
        kind="imap",
        name="Mailbox",
        host="127.0.0.1",
        port=mailbox.port,
        security="plain",
        username="rita@acme.example",
        secret=crypto.encrypt("rita-secret"),
        folders=["INBOX"],
    )
    broker = Celery(broker=BROKER_URL)

    def enqueue() -> None:
        broker.send_task(
            "activities.tasks.capture_account_run",
            args=[account.pk],
            kwargs={"lease_seconds": LEASE_SECONDS, "run_seconds": 2},
            queue="capture",
        )

    def done() -> int:
        return CaptureAccount.objects.get(pk=account.pk).backfill_done

    first = Worker(tmp_path / "worker.log")
    try:
        enqueue()
        wait_until(lambda: done() >= MESSAGES // 4, timeout=120)
    finally:
        first.kill()
    killed_at = done()
    assert killed_at < MESSAGES, "the backfill finished before the kill: use more messages"

    second = Worker(tmp_path / "worker.log")
    try:
        # Stand-in for the beat: keep asking; runs find the lease busy until it expires.
        last = [0.0]

        def nudge() -> None:
            if time.monotonic() - last[0] > 2:
                last[0] = time.monotonic()
                enqueue()

        wait_until(
            lambda: CaptureAccount.objects.get(pk=account.pk).backfill_completed_at is not None,
            timeout=240,
            then=nudge,
        )
    finally:
        second.stop()

    interactions = Interaction.objects.filter(organization=world.org, source="imap")
    assert interactions.count() == MESSAGES
    assert not interactions.values("external_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(interactions.values_list("external_id", flat=True)) == {
        f"<order-{i}@customer.example>" for i in range(MESSAGES)
    }
    assert CaptureSighting.objects.filter(account=account).count() == MESSAGES
    cursor = CaptureCursor.objects.get(account=account, folder="INBOX")
    assert cursor.backfill_complete
    assert cursor.last_uid == MESSAGES
