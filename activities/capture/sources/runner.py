"""Run one source for a bounded time, under a lease; schedule and back off.

A lease, not a lock held by a process: ``capture_lease_acquire`` is one conditional
UPDATE that succeeds only when the lease is free or expired, so two workers never read
the same source at once, and a crashed worker's lease simply runs out. Each run also
pushes ``next_poll_at`` past its lease: if the worker dies, the beat task finds the
source due again once the lease has expired.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from activities.capture.sources.base import BatchOutcome
from activities.capture.sources.diagnostics import classify_error, endpoint
from activities.models import CaptureAccount, CaptureKind, CaptureStatus

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 60
RunResult = Literal["busy", "lost", "more", "done", "failed"]


class LeaseLost(Exception):
    """Another worker took the source over (our lease had expired)."""


def lease_seconds_default() -> int:
    return int(getattr(settings, "RELINTEL_CAPTURE_LEASE_SECONDS", 300))


def run_seconds_default() -> int:
    return int(getattr(settings, "RELINTEL_CAPTURE_RUN_SECONDS", 60))


def lease_owner_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def capture_lease_acquire(*, account_id: int, owner: str, seconds: int) -> bool:
    """Take the source's lease if it is free or expired (never while paused)."""
    now = timezone.now()
    until = now + datetime.timedelta(seconds=seconds)
    taken = (
        CaptureAccount.objects.filter(pk=account_id)
        .exclude(status=CaptureStatus.PAUSED)
        .filter(Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(lease_owner=owner, lease_expires_at=until, next_poll_at=until)
    )
    return taken == 1


def capture_lease_renew(*, account_id: int, owner: str, seconds: int) -> None:
    until = timezone.now() + datetime.timedelta(seconds=seconds)
    renewed = CaptureAccount.objects.filter(pk=account_id, lease_owner=owner).update(
        lease_expires_at=until, next_poll_at=until
    )
    if not renewed:
        raise LeaseLost(f"lease of capture account {account_id} was taken over")


def _release(*, account_id: int, owner: str, **changes: object) -> None:
    # Paused while we ran: stay paused.
    status = changes.pop("status", None)
    if status is not None:
        changes["status"] = Case(When(status=CaptureStatus.PAUSED, then=F("status")), default=Value(status))
    CaptureAccount.objects.filter(pk=account_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None, **changes
    )


def backoff_seconds(failures: int) -> float:
    """Exponential back-off with jitter, capped at RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS."""
    cap = float(settings.RELINTEL_CAPTURE_MAX_BACKOFF_SECONDS)
    wanted = min(cap, FIRST_BACKOFF_SECONDS * 2.0 ** max(0, min(failures - 1, 30)))
    # Jitter below the wanted delay only, so each step still grows and the cap holds.
    return min(cap, wanted * random.uniform(0.75, 1.0))


def run_account_batch(
    account: CaptureAccount, *, deadline: float | None = None, on_batch: Callable[[], None] | None = None
) -> BatchOutcome:
    """Read one source until it is up to date or ``deadline`` (``time.monotonic()``) passes."""
    from activities.capture.ingest import capture_context_for

    if deadline is None:
        deadline = time.monotonic() + run_seconds_default()
    window_start = window_end = None
    if account.kind != CaptureKind.IMAP:
        from activities.capture.sources.ics import calendar_window

        window_start, window_end = calendar_window(account)
    context = capture_context_for(
        organization=account.organization, user=account.user, window_start=window_start, window_end=window_end
    )
    if account.kind == CaptureKind.IMAP:
        from activities.capture.sources.imap import imap_run

        return imap_run(account, context=context, deadline=deadline, on_batch=on_batch)
    if account.kind == CaptureKind.CALDAV:
        from activities.capture.sources.caldav_source import caldav_run

        return caldav_run(account, context=context)
    from activities.capture.sources.ics import ics_run

    return ics_run(account, context=context)


def capture_account_run_once(
    *, account_id: int, lease_seconds: int | None = None, run_seconds: int | None = None
) -> RunResult:
    """One run of one source under its lease; records success or failure on the account."""
    lease_seconds = lease_seconds or lease_seconds_default()
    run_seconds = run_seconds or run_seconds_default()
    owner = lease_owner_name()
    if not capture_lease_acquire(account_id=account_id, owner=owner, seconds=lease_seconds):
        return "busy"
    account = CaptureAccount.objects.select_related("organization", "user").get(pk=account_id)

    def renew() -> None:
        capture_lease_renew(account_id=account_id, owner=owner, seconds=lease_seconds)

    try:
        outcome = run_account_batch(account, deadline=time.monotonic() + run_seconds, on_batch=renew)
    except LeaseLost:
        logger.warning("capture account %s: lease lost mid-run; the new holder carries on", account_id)
        return "lost"
    except Exception as exc:
        host, port = endpoint(account)
        kind, message = classify_error(exc, host=host, port=port)
        failures = account.consecutive_failures + 1
        now = timezone.now()
        logger.warning("capture account %s failed (%s): %s", account_id, kind, message, exc_info=kind == "internal")
        _release(
            account_id=account_id,
            owner=owner,
            status=CaptureStatus.FAILING,
            consecutive_failures=failures,
            last_error=message,
            last_error_kind=kind,
            last_error_at=now,
            next_poll_at=now + datetime.timedelta(seconds=backoff_seconds(failures)),
        )
        return "failed"
    now = timezone.now()
    wait = 0 if outcome.more else int(settings.RELINTEL_CAPTURE_POLL_SECONDS)
    _release(
        account_id=account_id,
        owner=owner,
        status=CaptureStatus.ACTIVE,
        consecutive_failures=0,
        last_error="",
        last_error_kind="",
        last_success_at=now,
        # While a backfill continues, the task re-enqueues itself; next_poll_at is the
        # safety net should that message be lost.
        next_poll_at=now + datetime.timedelta(seconds=lease_seconds if outcome.more else wait),
    )
    return "more" if outcome.more else "done"


def capture_accounts_claim_due(*, limit: int = 500) -> list[int]:
    """Sources due for a poll, claimed so the next beat tick does not enqueue them again.

    Due: active or failing, ``next_poll_at`` empty or past, lease free or expired.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            CaptureAccount.objects.select_for_update(skip_locked=True)
            .exclude(status=CaptureStatus.PAUSED)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
            .filter(Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
            .order_by(F("next_poll_at").asc(nulls_first=True))
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            # A queued run that never starts is retried after one lease length.
            CaptureAccount.objects.filter(pk__in=ids).update(
                next_poll_at=now + datetime.timedelta(seconds=lease_seconds_default())
            )
    return ids


def capture_account_poll_now(*, account: CaptureAccount) -> bool:
    """ "Sync now": make the source due now and enqueue its run. False when it is paused."""
    from activities.tasks import capture_account_run

    with transaction.atomic():
        updated = (
            CaptureAccount.objects.filter(pk=account.pk)
            .exclude(status=CaptureStatus.PAUSED)
            .update(next_poll_at=timezone.now())
        )
        if updated:
            account_id = account.pk
            transaction.on_commit(lambda: capture_account_run.delay(account_id))
    return bool(updated)
