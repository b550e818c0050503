"""What the push leaves alone and what it records: a switched-off mapping pushes nothing and says
so, a backfill by Bulk API 2.0 records what it sent and every call it made, two workers never
start a backfill twice, and a failure's hint travels apart from Salesforce's message."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.utils import timezone

from sync import services
from sync.models import (
    ObjectMapping,
    OutboxEntry,
    OutboxState,
    SalesforceConnection,
    SalesforceLink,
    SyncRun,
)
from sync.salesforce import bulk, push
from sync.selectors import outbox_queue_depth
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory
from tests.sync.emulator_fixtures import emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]

UPSERT = "PATCH composite/sobjects/{Object}/{Field}"


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return emulator_connection(world.org, emulator)


def live(emulator, sobject: str) -> list[dict]:
    return [r for r in emulator.state.records[sobject].values() if not r["IsDeleted"]]


def switch_off(world, kind: str, sobject: str) -> None:
    ObjectMapping.objects.create(organization=world.org, local_kind=kind, sobject=sobject, enabled=False)


def finish_backfill(run: SyncRun) -> SyncRun:
    for _ in range(200):
        if bulk.bulk_poll(run_id=run.pk) == bulk.DONE:
            break
        threading.Event().wait(0.05)
    run.refresh_from_db()
    return run


# --- a switched-off mapping -------------------------------------------------------------------


def test_a_switched_off_mapping_pushes_nothing_and_its_rows_show_as_skipped(world, connected, emulator):
    switch_off(world, "meeting", "Event")
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    InteractionFactory(organization=world.org, kind="meeting", owner=world.rep.user, contacts=[contact])
    InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)

    result = push.run_push(organization_id=world.org.pk)

    meeting = OutboxEntry.objects.get(object_kind="meeting")
    assert meeting.state == OutboxState.SKIPPED
    assert meeting.last_error_message == "Not pushed: the Meeting → Event mapping is switched off."
    assert live(emulator, "Event") == []
    assert len(live(emulator, "Task")) == 1  # the call's mapping is on
    assert result.run.counts["switched off"] == 1
    assert outbox_queue_depth(organization_id=world.org.pk)[OutboxState.SKIPPED] == 1
    page = client_for(world.admin).get("/manage/salesforce/health/").content.decode()
    assert '<li class="sf-queue-skipped"><span class="sf-queue-count">1</span>' in page


def test_a_switched_off_lead_mapping_skips_leads_but_pushes_contacts(world, connected, emulator):
    switch_off(world, "contact", "Lead")
    ContactFactory(organization=world.org, email="solo@nowhere.example")  # no company: a Lead
    ContactFactory(organization=world.org, company=CompanyFactory(organization=world.org), email="jane@initech.example")
    services.salesforce_initial_sync_enqueue(organization=world.org)

    push.run_push(organization_id=world.org.pk)

    assert sorted(OutboxEntry.objects.values_list("object_kind", "state")) == [
        ("company", "synced"),
        ("contact", "skipped"),
        ("contact", "synced"),
    ]
    assert live(emulator, "Lead") == []
    assert len(live(emulator, "Contact")) == 1


def test_switching_a_mapping_back_on_queues_the_newest_skipped_change_per_record(world, connected, emulator):
    switch_off(world, "company", "Account")
    company = CompanyFactory(organization=world.org)
    for _ in range(2):  # two changes while it was off
        services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
        push.run_push(organization_id=world.org.pk)
    assert OutboxEntry.objects.filter(state=OutboxState.SKIPPED).count() == 2

    assert services.outbox_requeue_skipped(organization_id=world.org.pk, kinds=["company"]) == 1
    ObjectMapping.objects.filter(organization=world.org).update(enabled=True)
    push.run_push(organization_id=world.org.pk)

    assert not OutboxEntry.objects.filter(state=OutboxState.SKIPPED).exists()
    assert OutboxEntry.objects.filter(state=OutboxState.SYNCED).count() == 2
    assert len(live(emulator, "Account")) == 1


def test_a_switched_off_mapping_is_skipped_by_a_backfill_too(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5
    switch_off(world, "company", "Account")
    companies = CompanyFactory.create_batch(6, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])

    bulk.bulk_start_due(organization_id=world.org.pk)

    assert set(OutboxEntry.objects.values_list("state", flat=True)) == {OutboxState.SKIPPED}
    assert emulator.state.counters.requests["POST jobs/ingest"] == 0


# --- Bulk API 2.0 backfills ----------------------------------------------------------------------


def test_a_backfill_of_contacts_records_the_values_it_sent_for_the_pull(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5
    company = CompanyFactory(organization=world.org, name="Initech")
    contacts = [
        ContactFactory(organization=world.org, company=company, email=f"p{i}@initech.example", title="CFO")
        for i in range(6)
    ]
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)  # the Account, by collections; then the backfill is due
    assert bulk.bulk_start_due(organization_id=world.org.pk)
    finish_backfill(SyncRun.objects.get(kind="backfill"))

    link = SalesforceLink.objects.get(local_kind="contact", local_id=contacts[0].pk)
    assert link.synced_values["Email"] == "p0@initech.example"
    assert link.synced_values["Title"] == "CFO"
    collections_link = SalesforceLink.objects.get(local_kind="company", local_id=company.pk)
    assert collections_link.synced_values["Name"] == "Initech"


def test_a_backfill_run_counts_the_match_queries_made_before_the_job(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5
    companies = CompanyFactory.create_batch(6, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])
    before = sum(emulator.state.counters.requests.values())

    bulk.bulk_start_due(organization_id=world.org.pk)
    run = finish_backfill(SyncRun.objects.get(kind="backfill"))

    queries = sum(n for key, n in emulator.state.counters.requests.items() if key.startswith("GET query"))
    assert queries >= 1  # Accounts matched by domain and by name before the job
    assert run.api_calls == sum(emulator.state.counters.requests.values()) - before


def test_two_workers_never_start_a_backfill_for_what_the_other_left(world, connected, emulator, settings, monkeypatch):
    """Between one worker's count and its claim, another claims most of the backlog: the few rows
    left are not a backfill, so they go back to the queue instead of into a job of their own."""
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 10
    companies = CompanyFactory.create_batch(12, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])
    counted = bulk.backlog_kinds

    def count_then_lose_the_race(*, organization_id: int) -> list[str]:
        kinds = counted(organization_id=organization_id)
        push.claim(organization_id=organization_id, worker="the-other-worker", limit=9, lease=bulk.LEASE)
        return kinds

    monkeypatch.setattr(bulk, "backlog_kinds", count_then_lose_the_race)

    assert bulk.bulk_start_due(organization_id=world.org.pk) is False

    assert emulator.state.counters.requests["POST jobs/ingest"] == 0
    assert not SyncRun.objects.exists()
    assert OutboxEntry.objects.filter(state=OutboxState.PENDING, claimed_by="").count() == 3
    assert OutboxEntry.objects.filter(claimed_by="the-other-worker").count() == 9


def test_a_record_created_before_its_worker_died_is_requeued_by_a_backfill_and_then_updated(
    world, connected, emulator, settings
):
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    first = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)
    SalesforceLink.objects.filter(local_kind="call").delete()  # the worker died before recording it
    services.outbox_enqueue(organization_id=world.org.pk, kind="call", local_id=first.pk)
    later = [
        InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
        for _ in range(5)
    ]
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="interaction", local_ids=[c.pk for c in later])
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5

    assert bulk.bulk_start_due(organization_id=world.org.pk)
    run = finish_backfill(SyncRun.objects.get(kind="backfill"))
    assert run.counts["requeued"] == 1
    push.run_push(organization_id=world.org.pk)

    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    assert len(live(emulator, "Task")) == 6
    assert set(emulator.state.counters.external_id_creations("Task").values()) == {1}
    assert SalesforceLink.objects.filter(local_kind="call").exclude(salesforce_id="").count() == 6


# --- the hint, apart from the message --------------------------------------------------------


def test_a_failure_keeps_salesforces_message_and_our_hint_apart_in_the_api(world, connected, emulator):
    emulator.state.make_field_unwritable("Account", "Industry")
    company = CompanyFactory(organization=world.org, industry="Software")
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    push.run_push(organization_id=world.org.pk)

    body = client_for(world.admin).get("/api/v1/salesforce-outbox/", {"state": "failed"}).json()

    row = body["results"][0] if isinstance(body, dict) else body[0]
    assert row["error_code"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert row["error_message"].startswith("Unable to create/update fields: Industry.")
    assert "Hint" not in row["error_message"]
    assert row["hint"] == (
        "The integration user cannot write Industry: grant edit access to the field or remove it from the mapping."
    )


def test_an_outsider_never_sees_our_failed_rows(world, connected, emulator):
    emulator.state.make_field_unwritable("Account", "Industry")
    company = CompanyFactory(organization=world.org, industry="Software")
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    push.run_push(organization_id=world.org.pk)
    entry = OutboxEntry.objects.get()

    response = client_for(world.outsider).post(f"/api/v1/salesforce-outbox/{entry.pk}/retry/")

    assert response.status_code == 404


# --- workers that die -----------------------------------------------------------------------------


def test_a_worker_killed_while_starting_a_backfill_holds_its_rows_only_for_the_usual_lease(
    world, connected, emulator, settings, monkeypatch
):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5
    companies = CompanyFactory.create_batch(6, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])

    def killed(**_kwargs):
        raise KeyboardInterrupt  # stands in for SIGKILL: nothing after the claim runs

    monkeypatch.setattr(bulk, "start_jobs", killed)
    with pytest.raises(KeyboardInterrupt):
        bulk.bulk_start_due(organization_id=world.org.pk)

    latest = timezone.now() + push.claim_lease() + datetime.timedelta(seconds=5)
    assert OutboxEntry.objects.filter(state=OutboxState.IN_FLIGHT).count() == 6
    assert not OutboxEntry.objects.filter(claimed_until__gt=latest).exists()


def test_once_salesforce_has_the_job_its_rows_are_held_for_the_long_lease(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 5
    emulator.state.bulk_processing_delay = 5.0  # still working when we look
    companies = CompanyFactory.create_batch(6, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])

    assert bulk.bulk_start_due(organization_id=world.org.pk)

    soon = timezone.now() + datetime.timedelta(hours=1)
    assert OutboxEntry.objects.filter(state=OutboxState.IN_FLIGHT, claimed_until__gt=soon).count() == 6


def test_runs_of_workers_that_died_are_closed_not_shown_running_for_ever(world, connected):
    from sync import tasks

    long_ago = timezone.now() - datetime.timedelta(hours=3)

    def run(kind: str, started_at, **counts) -> SyncRun:
        made = SyncRun.objects.create(organization=world.org, kind=kind, counts=counts)
        SyncRun.objects.filter(pk=made.pk).update(started_at=started_at)
        return made

    dead_push = run("push", long_ago)
    dead_start = run("backfill", long_ago, total=6)
    waiting_job = run("backfill", long_ago, total=6, job_id="7505g000000A6GeAAK")
    live_push = run("push", timezone.now())

    tasks.sync_push_due()

    states = dict(SyncRun.objects.values_list("pk", "status"))
    assert states == {
        dead_push.pk: "failed",
        dead_start.pk: "failed",
        waiting_job.pk: "running",
        live_push.pk: "running",
    }
    dead_push.refresh_from_db()
    assert dead_push.error == "The worker stopped during this run; its records were queued again."
    assert dead_push.finished_at is not None
