"""The Celery application, configured for at-least-once work.

Configuration lives in ``relintel/settings.py`` under ``CELERY_*``:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a task is acknowledged
  only after it finished, so a worker killed mid-task gives it back.
* ``worker_prefetch_multiplier = 1``: a worker holds one unacknowledged task at
  a time; long tasks never sit behind each other in one worker's buffer.
* Every countdown, retry delay and ETA stays below the broker's visibility
  timeout (``max_task_delay``): beyond it, Redis would redeliver a task that is
  merely waiting, and it would run twice. ``tests/test_celery_config.py``
  checks every registered task.

Queues per kind of work (``default``, ``capture``, ``insight``, ``sync``) let
each kind get its own workers when scaling out. Tasks run eagerly only in unit
tests (``relintel.test_settings``).
"""

from __future__ import annotations

import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relintel.settings")

app = Celery("relintel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

QUEUES = ("default", "capture", "insight", "sync")

# Headroom between the longest delay we schedule and the visibility timeout.
_DELAY_MARGIN_SECONDS = 60


def max_task_delay() -> int:
    """The longest countdown/ETA any task may be scheduled with, in seconds."""
    return int(settings.CELERY_VISIBILITY_TIMEOUT) - _DELAY_MARGIN_SECONDS


def bounded_countdown(seconds: float) -> int:
    """Clamp a wanted delay so the broker never redelivers a waiting task."""
    return max(0, min(int(seconds), max_task_delay()))
