"""``make bench-sync``: API calls per record of the Salesforce push, against the emulator.

Prints (never asserts), in one run against the in-process emulator over HTTPS:

* (i) a **backfill**: 50,000 activities (with their companies and contacts first) queued by
  the initial sync and pushed through the real path (``sync.services.sync_push_organization``
  and the Bulk API 2.0 poll, as the Celery tasks call them): Bulk API 2.0 above the threshold;
* (ii) an **incremental run**: 2,000 already-synced records changed (1,000 contacts, 1,000
  activities) → outbox → sObject Collections upsert;
* (iii) a **naive** push of a 2,000-activity sample, one ``PATCH sobjects/Task/{Field}/{value}``
  per record, for the ratio.

For each: records, API calls (the emulator's request counters, and the clients' own count from
``SyncRun.api_calls``), calls per record, the floor for the method (collections:
``ceil(N/200)``; Bulk API 2.0: per job create + upload + close + results (successful, failed)
+ the polls it took) and records per second. Uses its own database (``relintel_bench_sync``;
set ``BENCH_DATABASE_URL``), recreated on every run. See BENCHMARKS.md.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relintel_bench_sync")
ACTIVITIES = int(os.environ.get("BENCH_ACTIVITIES", "50000"))
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "5000"))
COMPANIES = int(os.environ.get("BENCH_COMPANIES", "1000"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "2000"))
NAIVE = int(os.environ.get("BENCH_NAIVE", "2000"))


def _recreate_database() -> None:
    import psycopg2
    from psycopg2 import sql

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relintel.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The bulk poll task each job schedules goes nowhere: the benchmark polls itself.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- data ----------------------------------------------------------------------------------------


def _world() -> tuple[Any, Any]:
    from relintel.accounts.models import Membership, Organization, Role, User

    organization = Organization.objects.create(name="Bench Sales", slug="bench", internal_domains=["bench.example"])
    user = User.objects.create_user(email="rep@bench.example", password="x", full_name="Bench Rep")
    Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    return organization, user


def _populate(organization: Any, user: Any) -> None:
    import datetime

    from django.utils import timezone

    from activities.models import Interaction, Participant
    from contacts.models import Company, CompanyDomain, Contact, ContactEmail

    companies = Company.objects.bulk_create(
        [
            Company(organization=organization, name=f"Company {i}", website=f"https://company{i}.example")
            for i in range(COMPANIES)
        ],
        batch_size=2000,
    )
    CompanyDomain.objects.bulk_create(
        [
            CompanyDomain(organization=organization, company=c, domain=f"company{i}.example")
            for i, c in enumerate(companies)
        ],
        batch_size=2000,
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                organization=organization,
                full_name=f"Person {i}",
                first_name="Person",
                last_name=str(i),
                company=companies[i % COMPANIES],
                owner=user,
            )
            for i in range(CONTACTS)
        ],
        batch_size=2000,
    )
    ContactEmail.objects.bulk_create(
        [
            ContactEmail(
                organization=organization, contact=c, email=f"person{i}@company{i % COMPANIES}.example", is_primary=True
            )
            for i, c in enumerate(contacts)
        ],
        batch_size=2000,
    )
    start = timezone.now() - datetime.timedelta(days=365)
    interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                organization=organization,
                kind="email" if i % 3 else "call",
                occurred_at=start + datetime.timedelta(minutes=10 * i),
                subject=f"Follow-up {i}",
                direction="outbound",
                source="manual",
                visibility="team",
                owner=user,
            )
            for i in range(ACTIVITIES)
        ],
        batch_size=5000,
    )
    Participant.objects.bulk_create(
        [
            Participant(interaction=interaction, contact=contacts[i % CONTACTS], role="to")
            for i, interaction in enumerate(interactions)
        ],
        batch_size=5000,
    )


def _connect(organization: Any, emulator: Any) -> Any:
    from relintel import crypto
    from sync.emulator import DEMO_CLIENT_ID, DEMO_USERNAME
    from sync.models import ConnectionStatus, SalesforceConnection

    token = emulator.state.new_session(DEMO_CLIENT_ID, DEMO_USERNAME).access_token
    return SalesforceConnection.objects.create(
        organization=organization,
        status=ConnectionStatus.CONNECTED,
        login_url=emulator.url,
        instance_url=emulator.url,
        access_token=crypto.encrypt(token),
        api_version="59.0",
        api_budget_percent=100,
    )


# --- measuring ---------------------------------------------------------------------------------


class Phase:
    """Emulator request counters and the runs' own call counts around one phase."""

    def __init__(self, emulator: Any) -> None:
        from sync.models import SyncRun

        self.emulator = emulator
        self.before = Counter(emulator.state.counters.requests)
        self.first_run = (SyncRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.requests: Counter[str] = Counter()

    def stop(self) -> Phase:
        self.seconds = time.perf_counter() - self.started
        self.requests = Counter(self.emulator.state.counters.requests) - self.before
        return self

    @property
    def calls(self) -> int:
        # The OAuth token endpoint is not the data API (and never counts against the allocation).
        return sum(n for route, n in self.requests.items() if "oauth2" not in route)

    def client_calls(self) -> int:
        from django.db.models import Sum

        from sync.models import SyncRun

        return int(SyncRun.objects.filter(pk__gte=self.first_run).aggregate(n=Sum("api_calls"))["n"] or 0)

    def runs(self) -> Any:
        from sync.models import SyncRun

        return SyncRun.objects.filter(pk__gte=self.first_run)


def drain(organization_id: int) -> int:
    """What the Celery tasks do, in process: push (starting bulk jobs), poll jobs, until empty."""
    from sync import services
    from sync.models import SyncRun, SyncRunStatus
    from sync.salesforce import bulk

    polls = 0
    for _ in range(10_000):
        more = services.sync_push_organization(organization_id=organization_id)
        running = list(
            SyncRun.objects.filter(status=SyncRunStatus.RUNNING, kind="backfill").values_list("pk", flat=True)
        )
        for run_id in running:
            delay = 0.05
            while True:
                polls += 1
                if bulk.bulk_poll(run_id=run_id) == bulk.DONE:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        if not more and not running:
            return polls
    raise RuntimeError("the outbox did not drain")


def _outbox_states(organization_id: int) -> dict[str, int]:
    from django.db.models import Count

    from sync.models import OutboxEntry

    rows = OutboxEntry.objects.filter(organization_id=organization_id).values("state").annotate(n=Count("id"))
    return {r["state"]: r["n"] for r in rows}


def _line(label: str, records: int, calls: int, client_calls: int, floor: int, seconds: float) -> str:
    per = calls / records if records else 0.0
    over = f"{(calls - floor) / floor:+.1%}" if floor else "n/a"
    rate = records / seconds if seconds else 0.0
    return (
        f"{label:<34} {records:>7,} rec  {calls:>6,} calls (client {client_calls:>6,})  "
        f"{per:>7.4f}/rec  floor {floor:>5,} ({over:>7} over)  {rate:>9,.0f} rec/s  {seconds:>7.1f} s"
    )


def _routes(requests: Counter[str]) -> str:
    return ", ".join(f"{route}: {n:,}" for route, n in sorted(requests.items(), key=lambda kv: -kv[1]))


# --- the phases --------------------------------------------------------------------------------


def backfill(organization: Any, emulator: Any) -> None:
    from sync import services
    from sync.salesforce import bulk

    print(f"(i) backfill: {COMPANIES:,} companies, {CONTACTS:,} contacts, {ACTIVITIES:,} activities", flush=True)
    queued = services.salesforce_initial_sync_enqueue(organization=organization)
    print(f"    queued: {queued}; bulk threshold {bulk.threshold():,}", flush=True)
    phase = Phase(emulator)
    polls = drain(organization.pk)
    phase.stop()
    records = COMPANIES + CONTACTS + ACTIVITIES
    runs = list(phase.runs())
    jobs = [r for r in runs if r.kind == "backfill"]
    pushes = [r for r in runs if r.kind == "push"]
    bulk_records = sum(int(r.counts.get("total", 0)) for r in jobs)
    collection_records = records - bulk_records
    creates = phase.requests["POST jobs/ingest"]
    # A job's fixed calls: create, upload(s), close, then the successful and failed results.
    fixed = (
        creates
        + phase.requests["PUT jobs/ingest/{id}/batches"]
        + phase.requests["PATCH jobs/ingest/{id}"]
        + phase.requests["GET jobs/ingest/{id}/results"]
    )
    job_polls = phase.requests["GET jobs/ingest/{id}"]
    floor = fixed + job_polls + math.ceil(collection_records / 200) if collection_records else fixed + job_polls
    print(
        _line("backfill (bulk + collections)", records, phase.calls, phase.client_calls(), floor, phase.seconds),
        flush=True,
    )
    print(
        f"    {len(jobs)} Bulk API 2.0 jobs for {bulk_records:,} records ({fixed} fixed calls + {job_polls} polls); "
        f"{len(pushes)} collection runs for {collection_records:,} records; {polls} poll rounds",
        flush=True,
    )
    print(f"    by route: {_routes(phase.requests)}", flush=True)
    print(f"    outbox: {_outbox_states(organization.pk)}", flush=True)
    creations = emulator.state.counters.created_external_ids
    twice = sum(1 for n in creations.values() if n > 1)
    print(f"    external ids created: {len(creations):,}, created more than once: {twice}", flush=True)


def incremental(organization: Any, emulator: Any) -> None:
    from activities.models import Interaction
    from contacts.models import Contact
    from sync import services

    half = CHANGES // 2
    contact_ids = list(
        Contact.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True)[:half]
    )
    interaction_ids = list(
        Interaction.objects.filter(organization=organization)
        .order_by("-pk")
        .values_list("pk", flat=True)[: CHANGES - half]
    )
    print(
        f"(ii) incremental: {len(contact_ids):,} contacts and {len(interaction_ids):,} activities changed", flush=True
    )
    Contact.objects.filter(pk__in=contact_ids).update(title="Head of Benchmarks")
    Interaction.objects.filter(pk__in=interaction_ids).update(subject="Follow-up, revised")
    services.outbox_enqueue_many(organization_id=organization.pk, kind="contact", local_ids=contact_ids)
    services.outbox_enqueue_many(organization_id=organization.pk, kind="interaction", local_ids=interaction_ids)
    phase = Phase(emulator)
    drain(organization.pk)
    phase.stop()
    records = len(contact_ids) + len(interaction_ids)
    floor = math.ceil(len(contact_ids) / 200) + math.ceil(len(interaction_ids) / 200)
    print(
        _line("incremental (collections)", records, phase.calls, phase.client_calls(), floor, phase.seconds),
        flush=True,
    )
    print(f"    floor per object: ceil(N/200) for each; ceil({records:,}/200) = {math.ceil(records / 200)}")
    print(f"    by route: {_routes(phase.requests)}", flush=True)
    print(f"    outbox: {_outbox_states(organization.pk)}", flush=True)


def naive(organization: Any, emulator: Any, connection: Any) -> None:
    from activities.models import Interaction
    from sync.salesforce import loading, push
    from sync.salesforce.client import salesforce_for
    from sync.salesforce.payloads import Payload

    ids = list(
        Interaction.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True)[:NAIVE]
    )
    Interaction.objects.filter(pk__in=ids).update(subject="Follow-up, naively")
    kinds = dict(Interaction.objects.filter(pk__in=ids).values_list("pk", "kind"))
    from django.utils import timezone

    claimed = [
        push.Claimed(id=i, kind=kinds[i], local_id=i, operation="upsert", attempts=0, version=timezone.now())
        for i in ids
    ]
    options = push.mapping_options(connection)
    payloads = loading.payloads_for(claimed, organization_id=organization.pk, options=options)
    print(f"(iii) naive: {len(ids):,} activities, one PATCH sobjects/{{Object}}/{{Field}}/{{value}} each", flush=True)
    phase = Phase(emulator)
    from sync.models import SyncRun, SyncRunKind

    run = SyncRun.objects.create(organization=organization, kind=SyncRunKind.PUSH)
    with salesforce_for(connection) as client:
        for entry in claimed:
            payload = payloads[entry.id]
            assert isinstance(payload, Payload)
            body = payload.record(for_update=True)
            body.pop("attributes", None)
            body.pop(payload.external_id_field or "", None)
            client.restful(
                f"sobjects/{payload.sobject}/{payload.external_id_field}/{payload.external_id}",
                method="PATCH",
                json=body,
            )
        run.api_calls = client.api_calls
    run.save()
    phase.stop()
    print(_line("naive (one call per record)", len(ids), phase.calls, phase.client_calls(), len(ids), phase.seconds))
    print(f"    by route: {_routes(phase.requests)}", flush=True)


def main() -> int:
    _recreate_database()
    _setup_django()
    from sync.emulator import EmulatorServer

    emulator = EmulatorServer().start()
    os.environ["REQUESTS_CA_BUNDLE"] = emulator.ca_bundle
    emulator.state.daily_api_limit = 1_000_000
    try:
        organization, user = _world()
        connection = _connect(organization, emulator)
        started = time.perf_counter()
        _populate(organization, user)
        print(
            f"bench-sync: emulator at {emulator.url}; data written in {time.perf_counter() - started:.1f} s", flush=True
        )
        backfill(organization, emulator)
        incremental(organization, emulator)
        naive(organization, emulator, connection)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
