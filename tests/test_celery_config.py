"""Celery is configured for at-least-once work (relintel/celery.py).

A task is acknowledged after it ran, given back if its worker dies, and never
waits in the broker longer than the visibility timeout: past it, Redis hands a
merely-delayed task to a second worker and it runs twice. So every retry delay,
backoff cap and countdown we schedule must stay below that timeout.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest
from celery import Task
from django.conf import settings

from relintel.celery import QUEUES, app, bounded_countdown, max_task_delay

BASE_DIR = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("relintel", "contacts", "activities", "sync")


def our_tasks() -> list[Task]:
    app.loader.import_default_modules()  # autodiscovery is lazy; register every tasks.py
    return [task for name, task in sorted(app.tasks.items()) if name.split(".")[0] in OUR_PACKAGES]


def our_source_files() -> list[Path]:
    files: list[Path] = []
    for package in OUR_PACKAGES:
        files += [p for p in (BASE_DIR / package).rglob("*.py") if "migrations" not in p.parts]
    return files


def test_tasks_are_acknowledged_only_after_they_ran():
    assert app.conf.task_acks_late is True


def test_a_task_whose_worker_died_is_given_back_to_the_queue():
    assert app.conf.task_reject_on_worker_lost is True


def test_a_worker_reserves_one_task_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_visibility_timeout_is_set_on_the_broker_transport():
    assert app.conf.broker_transport_options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT


def test_the_longest_delay_leaves_headroom_below_the_visibility_timeout():
    assert 0 < max_task_delay() < settings.CELERY_VISIBILITY_TIMEOUT


def test_tasks_run_eagerly_only_in_the_test_settings():
    assert app.conf.task_always_eager is True  # relintel.test_settings
    assert settings.SETTINGS_MODULE == "relintel.test_settings"


def test_our_tasks_are_registered():
    names = {task.name for task in our_tasks()}

    assert "contacts.tasks.contact_match_company" in names


@pytest.mark.parametrize("task", our_tasks(), ids=lambda task: task.name)
def test_every_retry_delay_is_below_the_visibility_timeout(task):
    assert task.default_retry_delay <= max_task_delay(), f"{task.name}.default_retry_delay"
    retry_kwargs = getattr(task, "retry_kwargs", None) or {}
    assert "eta" not in retry_kwargs, f"{task.name} retries with an absolute eta; use a countdown"
    assert retry_kwargs.get("countdown", 0) <= max_task_delay(), f"{task.name} retry_kwargs countdown"


@pytest.mark.parametrize("task", our_tasks(), ids=lambda task: task.name)
def test_every_backoff_cap_is_below_the_visibility_timeout(task):
    if getattr(task, "autoretry_for", None) and getattr(task, "retry_backoff", False):
        # Celery's default cap is 600 s when the task does not set one.
        assert getattr(task, "retry_backoff_max", 600) <= max_task_delay(), f"{task.name}.retry_backoff_max"


def test_every_scheduled_beat_entry_has_a_bounded_countdown():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        options = entry.get("options", {})
        assert isinstance(options, dict)
        assert options.get("countdown", 0) <= max_task_delay(), name


@pytest.mark.parametrize(
    ("wanted", "scheduled"),
    [(-5, 0), (0, 0), (30, 30), (10**9, None), (float("inf"), None)],
)
def test_bounded_countdown_clamps_to_the_longest_safe_delay(wanted, scheduled):
    if wanted == float("inf"):
        wanted = 10**12
    expected = max_task_delay() if scheduled is None else scheduled

    assert bounded_countdown(wanted) == expected


def test_bounded_countdown_never_reaches_the_visibility_timeout(settings):
    settings.CELERY_VISIBILITY_TIMEOUT = 300

    assert bounded_countdown(299) < 300
    assert bounded_countdown(10**6) < 300


def _unsafe_delays(path: Path) -> list[str]:
    """Every `countdown=`/`eta=` in our code that is not obviously bounded."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            where = f"{path.relative_to(BASE_DIR)}:{keyword.value.lineno}"
            if keyword.arg == "eta":
                problems.append(f"{where}: eta= (use countdown=bounded_countdown(...))")
            elif keyword.arg == "countdown":
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                    if value.value > max_task_delay():
                        problems.append(f"{where}: countdown={value.value} exceeds {max_task_delay()}")
                elif not (
                    isinstance(value, ast.Call)
                    and getattr(value.func, "id", getattr(value.func, "attr", None)) == "bounded_countdown"
                ):
                    problems.append(f"{where}: countdown must be a small constant or bounded_countdown(...)")
    return problems


def test_every_countdown_and_eta_we_schedule_is_bounded():
    problems = [problem for path in our_source_files() for problem in _unsafe_delays(path)]

    assert problems == []


def test_the_delay_scanner_catches_an_unbounded_countdown(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.BASE_DIR", tmp_path)
    bad = tmp_path / "tasks.py"
    bad.write_text("t.apply_async(countdown=delay)\nt.apply_async(eta=when)\nt.retry(countdown=99999)\n")

    assert len(_unsafe_delays(bad)) == 3


def test_every_routed_queue_is_consumed_by_the_run_dev_worker(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_dev", BASE_DIR / "scripts" / "run_dev.py")
    assert spec is not None
    assert spec.loader is not None
    run_dev = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "run_dev", run_dev)  # dataclasses look their module up
    spec.loader.exec_module(run_dev)

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}

    assert set(run_dev.QUEUES) == set(QUEUES)
    assert routed <= set(QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in QUEUES
