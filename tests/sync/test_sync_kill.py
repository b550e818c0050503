"""A sync worker SIGKILLed in the middle of a 5,000-activity push: afterwards every activity is in
Salesforce exactly once (each external id created once), none lost.

The emulator runs as its own process (``manage.py run_salesforce_emulator``) and the push runs in
real Celery workers (queue ``sync``) on this test's database, with a short claim lease
(``tests.sync.kill_settings``) so the second worker does not wait five minutes.

The harness keeps runs apart: every run has its own broker key prefix (two runs on one Redis, or
an earlier run's worker, never take each other's tasks; nothing else in Redis is flushed), and
every process it starts dies with the test process (``PR_SET_PDEATHSIG``), so an interrupted run
leaves no worker behind to eat the next run's tasks."""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import requests
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Count

from activities.models import Interaction, Participant
from sync.emulator.server import free_port
from sync.emulator.tls import ensure_certificates
from sync.models import OutboxEntry, OutboxState
from tests.factories import CompanyFactory, ContactFactory
from tests.sync.test_connect_emulator import connect_through_the_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
ACTIVITIES = 5000
STANDBY = "sync-standby"
PHASE_SECONDS = 60  # each phase takes a few seconds; this only bounds a broken run


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL this process when the test process dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Process:
    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.log_path = log
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # runs before exec; the test process starts no threads first
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

    def tail(self, lines: int = 15) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def broker():
    """This run's broker: the test Redis under a key prefix of its own, removed afterwards."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    prefix = f"relintel-kill-test-{uuid.uuid4().hex[:12]}:"
    app = Celery(set_as_current=False)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"global_keyprefix": prefix}
    try:
        yield SimpleNamespace(url=url, prefix=prefix, app=app)
    finally:
        app.close()
        keys = redis.Redis.from_url(url)
        for key in keys.scan_iter(f"{prefix}*"):
            keys.delete(key)
        keys.close()


def _env(broker: SimpleNamespace, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.sync.kill_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker.url,
        "REDIS_URL": broker.url,
        "RELINTEL_KILL_TEST_KEYPREFIX": broker.prefix,
        "DEBUG": "1",
        "SECRET_KEY": settings.SECRET_KEY,
        "RELINTEL_ENCRYPTION_KEYS": ",".join(settings.RELINTEL_ENCRYPTION_KEYS),
        **extra,
    }


def worker(log: Path, broker: SimpleNamespace, ca_bundle: str, *, queue: str = "sync") -> Process:
    return Process(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "relintel",
            "worker",
            "-Q",
            queue,
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
        log,
        _env(broker, REQUESTS_CA_BUNDLE=ca_bundle),
    )


def outbox_states() -> dict[str, int]:
    return dict(OutboxEntry.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    every: float = 0.1,
    then: Callable[[], None] | None = None,
    explain: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if then is not None:
            then()
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s; outbox {outbox_states()}\n{explain()}")


@pytest.fixture
def emulator_process(tmp_path, monkeypatch, broker):
    port = free_port()
    ca_bundle = str(ensure_certificates(None).ca_bundle)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_bundle)
    process = Process(
        [
            sys.executable,
            "manage.py",
            "run_salesforce_emulator",
            "--port",
            str(port),
            "--state-file",
            "",  # in memory: the test reads the counters over HTTP
            "--daily-api-limit",
            "1000000",
        ],
        tmp_path / "emulator.log",
        _env(broker),
    )
    url = f"https://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/__emulator__/faults", verify=ca_bundle, timeout=2).ok
        except requests.RequestException:
            return False

    try:
        wait_until(up, timeout=30, explain=process.tail)
        yield SimpleNamespace(url=url, ca_bundle=ca_bundle)
    finally:
        process.stop()


@pytest.fixture
def workers(broker, tmp_path):
    """Two sync workers, started before the emulator and the data so their start-up overlaps.

    The survivor runs beside the first (a deployment runs several) but on a queue of its own
    until the kill, so the first worker alone holds claims when it dies."""
    ca_bundle = str(ensure_certificates(None).ca_bundle)
    first = worker(tmp_path / "worker-1.log", broker, ca_bundle)
    second = worker(tmp_path / "worker-2.log", broker, ca_bundle, queue=STANDBY)
    try:
        yield SimpleNamespace(first=first, second=second)
    finally:
        first.stop()
        second.stop()


def test_a_worker_killed_mid_push_leaves_every_activity_in_salesforce_exactly_once(
    world, broker, workers, emulator_process
):
    the_push_survives_the_kill(world, broker, emulator_process, workers.first, workers.second)


def the_push_survives_the_kill(world, broker, emulator_process, first: Process, second: Process) -> None:
    connect_through_the_page(world, emulator_process)
    contact = ContactFactory(
        organization=world.org, company=CompanyFactory(organization=world.org), email="jane@initech.example"
    )
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=60)
    interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                organization=world.org,
                kind="email" if i % 2 else "call",
                occurred_at=start + datetime.timedelta(minutes=i),
                subject=f"Follow-up {i}",
                visibility="team",
                owner=world.rep.user,
            )
            for i in range(ACTIVITIES)
        ]
    )
    Participant.objects.bulk_create([Participant(interaction=i, contact=contact, role="to") for i in interactions])
    from sync import services

    services.salesforce_initial_sync_enqueue(organization=world.org)

    def nudge(queue: str = "sync") -> None:  # stand-in for the beat
        broker.app.send_task("sync.tasks.sync_push_organization", args=[world.org.pk], queue=queue)

    def mid_push() -> bool:
        """A quarter pushed and a claimed batch in the worker's hands, seen in one read."""
        states = outbox_states()
        return states.get(OutboxState.SYNCED, 0) >= ACTIVITIES // 4 and states.get(OutboxState.IN_FLIGHT, 0) > 0

    try:
        nudge()
        wait_until(mid_push, timeout=PHASE_SECONDS, explain=first.tail)
    finally:
        first.kill()
    at_kill = outbox_states()
    assert at_kill.get(OutboxState.SYNCED, 0) < ACTIVITIES + 2, "the push finished before the kill"
    assert at_kill.get(OutboxState.IN_FLIGHT, 0) > 0, f"no claim was held when the worker died: {at_kill}"

    last = [0.0]

    def nudge_now_and_then() -> None:
        if time.monotonic() - last[0] > 3:
            last[0] = time.monotonic()
            nudge(STANDBY)

    wait_until(
        lambda: not OutboxEntry.objects.filter(state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT]).exists(),
        timeout=PHASE_SECONDS,
        then=nudge_now_and_then,
        explain=second.tail,
    )
    second.stop()

    unsynced = list(
        OutboxEntry.objects.exclude(state=OutboxState.SYNCED).values_list(
            "state", "last_error_code", "last_error_message"
        )[:5]
    )
    assert unsynced == []
    state = requests.get(f"{emulator_process.url}/__emulator__/state", timeout=10).json()
    tasks = state["created_external_ids"]["Task"]
    assert len(tasks) == ACTIVITIES
    assert set(tasks.values()) == {1}
    assert state["records"]["Task"] == ACTIVITIES
    assert OutboxEntry.objects.filter(state=OutboxState.SYNCED).count() == ACTIVITIES + 2
