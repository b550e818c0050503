"""Backfills through Bulk API 2.0: one ingest job per sObject for a large backlog of one kind.

When the due rows of the lowest open dependency rank number at least
``RELINTEL_SALESFORCE_BULK_THRESHOLD`` (default 2,000) for one kind, they are claimed (``bulk-…``;
the usual lease until Salesforce has the job, then a two-hour one renewed by each poll), matched, built, and sent as CSV in upsert jobs by external id
(create job → upload → ``UploadComplete``). ``sync.tasks.sync_bulk_job_poll`` then looks at
the job now and then (a task that schedules itself, never a sleep loop) and, when it is done,
records its successful and failed results exactly as collections results are recorded.

The endpoints are called through the client's guarded calls (session refresh, usage, budget):
simple-salesforce's own bulk clients never refresh the session.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sync.models import OutboxOperation, SalesforceConnection, SalesforceLink, SyncRun, SyncRunKind, SyncRunStatus
from sync.salesforce import loading, push
from sync.salesforce.client import SalesforceClient, salesforce_for
from sync.salesforce.errors import ApiBudgetExhausted, ApiLimitExceeded, ReauthorizationNeeded, SalesforceError
from sync.salesforce.hints import is_create_only_refusal
from sync.salesforce.payloads import NotPushable, Payload

DEFAULT_THRESHOLD = 2000
JOB_MAX_RECORDS = 25_000
LEASE = datetime.timedelta(hours=2)
POLL_AGAIN = "again"
DONE = "done"
_TERMINAL = ("JobComplete", "Failed", "Aborted")


def threshold() -> int:
    return int(getattr(settings, "RELINTEL_SALESFORCE_BULK_THRESHOLD", DEFAULT_THRESHOLD))


# --- raw calls (CSV in and out) ------------------------------------------------------------------


def _send_csv(client: SalesforceClient, path: str, body: bytes) -> None:
    client.request_text(path, method="PUT", data=body, headers={"Content-Type": "text/csv"})


def _get_csv(client: SalesforceClient, path: str) -> list[dict[str, str]]:
    text = client.request_text(path, headers={"Accept": "text/csv"})
    return list(csv.DictReader(io.StringIO(text)))


# --- CSV -----------------------------------------------------------------------------------------


def csv_row(record: Mapping[str, Any]) -> dict[str, str]:
    """A collections record as Bulk CSV cells: ``Account.Relintel_Id__c`` for a parent by external
    id, ``Contact:Who.Relintel_Id__c`` for a polymorphic one; empty cells leave a field alone."""
    row: dict[str, str] = {}
    for name, value in record.items():
        if name == "attributes" or value is None:
            continue
        if isinstance(value, Mapping):
            kind = value.get("attributes", {}).get("type") if isinstance(value.get("attributes"), Mapping) else None
            for key, inner in value.items():
                if key != "attributes":
                    row[f"{kind}:{name}.{key}" if kind else f"{name}.{key}"] = str(inner)
        elif isinstance(value, bool):
            row[name] = "true" if value else "false"
        else:
            row[name] = str(value)
    return row


def to_csv(records: Sequence[Mapping[str, Any]]) -> bytes:
    rows = [csv_row(r) for r in records]
    columns = sorted({c for row in rows for c in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- start ---------------------------------------------------------------------------------------


def bulk_start_due(*, organization_id: int) -> bool:
    """Start ingest jobs when the next kind due has a backlog above the threshold. True if started."""
    connection = push.pushable_connection(organization_id)
    if connection is None:
        return False
    kinds = backlog_kinds(organization_id=organization_id)
    if not kinds:
        return False
    worker = f"bulk-{uuid.uuid4().hex[:16]}"
    # The usual short lease while the job is built and uploaded, so a worker killed meanwhile
    # gives the rows back within minutes; the long one once Salesforce has the job (_start_job).
    claimed = push.claim(organization_id=organization_id, worker=worker, limit=JOB_MAX_RECORDS, kinds=kinds)
    upserts = [c for c in claimed if c.operation == OutboxOperation.UPSERT]
    if len(upserts) < threshold():
        # Another worker claimed most of the backlog between the count and our claim: what is
        # left is no backfill, so it goes back to the queue for collections, not a job of its own.
        if claimed:
            push.Recorder(organization_id=organization_id, worker=worker, run=None, outcome=push.Outcome()).release(
                claimed
            )
        return False
    rest = [c for c in claimed if c.operation != OutboxOperation.UPSERT]
    start_jobs(connection=connection, worker=worker, claimed=upserts, release=rest)
    return True


def backlog_kinds(*, organization_id: int) -> list[str]:
    """The kinds of the lowest due dependency rank, when together they reach the bulk threshold.

    Together: emails and calls both become Tasks, so 1,500 of each are one 3,000-record backfill."""
    counts = push.due_counts(organization_id=organization_id)
    if not counts:
        return []
    rank = min(push.RANKS.get(kind, 2) for kind in counts)
    kinds = [k for k in counts if push.RANKS.get(k, 2) == rank]
    return kinds if sum(counts[k] for k in kinds) >= threshold() else []


def start_jobs(
    *,
    connection: SalesforceConnection,
    worker: str,
    claimed: Sequence[push.Claimed],
    release: Sequence[push.Claimed] = (),
) -> list[SyncRun]:
    organization_id = connection.organization_id
    outcome = push.Outcome()
    recorder = push.Recorder(organization_id=organization_id, worker=worker, run=None, outcome=outcome)
    recorder.release(release)
    runs: list[SyncRun] = []
    client = salesforce_for(connection)
    # Calls not yet counted by a run (the match queries): the first job's run counts them.
    uncounted_from = client.api_calls
    try:
        pusher = push.BatchPusher(client=client, recorder=recorder, options=push.options_for_push(connection, client))
        try:
            kind = claimed[0].kind
            links = _links(organization_id, claimed)
            unlinked = [
                c for c in claimed if not (links.get((c.kind, c.local_id)) and links[c.kind, c.local_id].salesforce_id)
            ]
            if unlinked and kind in ("company", "contact"):
                pusher._match(kind, unlinked)
                links = _links(organization_id, claimed)
            payloads = loading.payloads_for(claimed, organization_id=organization_id, options=pusher.options)
            by_object: dict[tuple[str, str], list[tuple[push.Claimed, Payload]]] = defaultdict(list)
            unchanged = []
            for entry in claimed:
                built = payloads.get(entry.id)
                if built is None or isinstance(built, NotPushable):
                    recorder.skipped(entry, built.reason if built is not None else "The record no longer exists.")
                    continue
                if pusher.options.is_disabled(entry.kind, built.sobject):
                    recorder.switched_off([entry], local_kind=entry.kind, sobject=built.sobject)
                    continue
                link = links.get((entry.kind, entry.local_id))
                if link is not None and link.salesforce_id and link.last_pushed_hash == built.digest:
                    unchanged.append(entry)
                    continue
                by_object[(built.sobject, built.external_id_field or "")].append((entry, built))
            recorder.unchanged(unchanged)
            for (sobject, field_name), items in by_object.items():
                runs.append(
                    _start_job(client, recorder, connection, sobject, field_name, items, links, since=uncounted_from)
                )
                uncounted_from = client.api_calls
        except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded) as error:
            recorder.release(claimed, until=getattr(error, "paused_until", None))
        except SalesforceError as error:
            # A match query failed: every row still held waits (transient) or fails, none sits
            # under the two-hour lease. Rows already recorded are not held any more.
            for entry in claimed:
                recorder.error(entry, error)
    finally:
        client.close()
    return runs


def _links(organization_id: int, claimed: Sequence[push.Claimed]) -> dict[tuple[str, int], SalesforceLink]:
    return {
        (link.local_kind, link.local_id): link
        for link in SalesforceLink.objects.filter(
            organization_id=organization_id,
            local_kind__in={c.kind for c in claimed},
            local_id__in=[c.local_id for c in claimed],
        )
    }


def _start_job(
    client: SalesforceClient,
    recorder: push.Recorder,
    connection: SalesforceConnection,
    sobject: str,
    field_name: str,
    items: Sequence[tuple[push.Claimed, Payload]],
    links: Mapping[tuple[str, int], SalesforceLink],
    *,
    since: int,
) -> SyncRun:
    """Create, fill and close one ingest job; its run counts the calls made since ``since``."""
    # What the results need to be recorded: external id → the claim, its hash.
    # … and the field values the pull compares with (``SalesforceLink.synced_values``).
    entries = {
        payload.external_id: [
            e.id,
            e.kind,
            e.local_id,
            e.operation,
            e.attempts,
            e.version.isoformat(),
            payload.digest,
            push.synced_values_of(e.kind, payload),
        ]
        for e, payload in items
    }
    create_only = sorted({name for _, payload in items for name in payload.create_only})
    run = SyncRun.objects.create(
        organization_id=connection.organization_id,
        kind=SyncRunKind.BACKFILL,
        counts={"total": len(items), "done": 0, "object": sobject, "create_only": create_only},
    )
    calls_before = since
    records = [
        payload.record(for_update=bool(links.get((e.kind, e.local_id)) and links[e.kind, e.local_id].salesforce_id))
        for e, payload in items
    ]
    try:
        job = client.restful(
            "jobs/ingest/",
            method="POST",
            json={
                "object": sobject,
                "operation": "upsert",
                "externalIdFieldName": field_name,
                "contentType": "CSV",
                "lineEnding": "LF",
            },
        )
        job_id = str(job["id"])
        _send_csv(client, f"jobs/ingest/{job_id}/batches/", to_csv(records))
        client.restful(f"jobs/ingest/{job_id}/", method="PATCH", json={"state": "UploadComplete"})
    except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
        run.delete()
        raise
    except SalesforceError as error:
        for entry, _ in items:
            recorder.error(entry, error)
        run.status, run.error, run.finished_at = SyncRunStatus.FAILED, error.message, timezone.now()
        run.api_calls = client.api_calls - calls_before
        run.save()
        return run
    run.counts = {**run.counts, "job_id": job_id, "worker": recorder.worker, "entries": entries}
    run.api_calls = client.api_calls - calls_before
    run.save(update_fields=["counts", "api_calls"])
    push.lease_extend(worker=recorder.worker, entry_ids=[e.id for e, _ in items], lease=LEASE)
    from sync import tasks

    transaction.on_commit(lambda: tasks.sync_bulk_job_poll.apply_async((run.pk,), countdown=2))
    return run


# --- poll ----------------------------------------------------------------------------------------


def bulk_poll(*, run_id: int) -> str:
    """Look at the job once: ``POLL_AGAIN`` while Salesforce works on it, ``DONE`` once recorded."""
    run = SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.RUNNING).first()
    if run is None or "job_id" not in run.counts:
        return DONE
    connection = SalesforceConnection.objects.get(organization_id=run.organization_id)
    client = salesforce_for(connection)
    calls_before = client.api_calls
    try:
        job_id = run.counts["job_id"]
        try:
            info = client.restful(f"jobs/ingest/{job_id}/") or {}
        except SalesforceError:
            return POLL_AGAIN
        run.counts = {**run.counts, "done": int(info.get("numberRecordsProcessed") or 0)}
        if info.get("state") not in _TERMINAL:
            # Still working: keep holding the rows (a lost poll chain lets them go after LEASE).
            push.lease_extend(
                worker=run.counts["worker"], entry_ids=[v[0] for v in run.counts["entries"].values()], lease=LEASE
            )
            run.api_calls += client.api_calls - calls_before
            run.save(update_fields=["counts", "api_calls"])
            return POLL_AGAIN
        _record(client, run, info)
    finally:
        client.close()
    run.api_calls += client.api_calls - calls_before
    run.finished_at = timezone.now()
    run.save()
    return DONE


def _claims(run: SyncRun) -> dict[str, push.Claimed]:
    return {
        ext_id: push.Claimed(
            id=v[0],
            kind=v[1],
            local_id=v[2],
            operation=v[3],
            attempts=v[4],
            version=datetime.datetime.fromisoformat(v[5]),
        )
        for ext_id, v in run.counts["entries"].items()
    }


def _record(client: SalesforceClient, run: SyncRun, info: Mapping[str, Any]) -> None:
    outcome = push.Outcome()
    recorder = push.Recorder(organization_id=run.organization_id, worker=run.counts["worker"], run=run, outcome=outcome)
    claims = _claims(run)
    hashes = {ext_id: v[6] for ext_id, v in run.counts["entries"].items()}
    values = {ext_id: v[7] if len(v) > 7 else {} for ext_id, v in run.counts["entries"].items()}
    create_only = frozenset(run.counts.get("create_only") or [])
    sobject = run.counts["object"]
    job_id = run.counts["job_id"]
    if info.get("state") != "JobComplete":
        message = str(info.get("errorMessage") or f"The Bulk API job ended {info.get('state')}.")
        for claim in claims.values():
            recorder.failed(claim, code="BULK_JOB_FAILED", message=message)
        run.status, run.error = SyncRunStatus.FAILED, message
        run.counts = {**run.counts, **outcome.counts}
        return
    field_name = _ext_field(run)
    seen: set[str] = set()
    pushed: list[push.Pushed] = []
    for row in _get_csv(client, f"jobs/ingest/{job_id}/successfulResults/"):
        ext_id = row.get(field_name, "")
        found = claims.get(ext_id)
        if found is None:
            continue
        claim = found
        seen.add(ext_id)
        pushed.append(
            push.Pushed(
                entry=claim,
                payload_hash=hashes[ext_id],
                sobject=sobject,
                salesforce_id=row.get("sf__Id", ""),
                external_id=ext_id,
                created=row.get("sf__Created", "").lower() == "true",
                values=values[ext_id],
            )
        )
    loading.remember_salesforce_ids(pushed)
    recorder.pushed(pushed)
    for row in _get_csv(client, f"jobs/ingest/{job_id}/failedResults/"):
        ext_id = row.get(field_name, "")
        found = claims.get(ext_id)
        if found is None:
            continue
        claim = found
        seen.add(ext_id)
        code, _, rest = row.get("sf__Error", "").partition(":")
        message, _, fields = rest.rpartition(":")
        errors: list[dict[str, object]] = [
            {
                "statusCode": code,
                "message": message or rest,
                "fields": [f.strip(" -") for f in fields.split(",") if f.strip(" -")],
            }
        ]
        if is_create_only_refusal(errors, create_only):
            # It exists already (a push that died before recording it): collections sorts it out.
            recorder.release([claim])
            outcome.add("requeued")
            continue
        recorder.record_error(claim, errors)
    # Unprocessed (an aborted or partly processed job): back to the queue.
    recorder.release([c for ext_id, c in claims.items() if ext_id not in seen])
    run.counts = {k: v for k, v in {**run.counts, **outcome.counts}.items() if k not in ("entries", "create_only")}
    run.counts["done"] = len(seen)
    run.status = SyncRunStatus.PARTIAL if outcome.counts.get("failed") else SyncRunStatus.SUCCEEDED


def runs_abandoned_close() -> int:
    """Runs whose worker died (SIGKILL, a lost machine) would show as running for ever: a push
    run past twice the claim lease, a backfill that never got its job past the lease. Their
    rows are claimable again by then. Returns how many were closed."""
    now = timezone.now()
    lease = push.claim_lease()
    message = "The worker stopped during this run; its records were queued again."
    pushes = SyncRun.objects.filter(
        kind=SyncRunKind.PUSH, status=SyncRunStatus.RUNNING, started_at__lt=now - 2 * lease
    ).update(status=SyncRunStatus.FAILED, error=message, finished_at=now)
    backfills = (
        SyncRun.objects.filter(kind=SyncRunKind.BACKFILL, status=SyncRunStatus.RUNNING, started_at__lt=now - lease)
        .exclude(counts__has_key="job_id")
        .update(status=SyncRunStatus.FAILED, error=message, finished_at=now)
    )
    return pushes + backfills


def _ext_field(run: SyncRun) -> str:
    connection = SalesforceConnection.objects.get(organization_id=run.organization_id)
    return push.mapping_options(connection).external_id_field(run.counts["object"])
