"""Pushing the outbox to the Salesforce emulator over HTTPS, through simple-salesforce."""

from __future__ import annotations

import threading

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from sync import services
from sync.models import OutboxEntry, OutboxState, SalesforceConnection, SalesforceLink, SyncRun
from sync.salesforce import bulk, push
from sync.salesforce.external_ids import company_external_id, contact_external_id
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory
from tests.sync.emulator_fixtures import bulk_poll_until_done, emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]

UPSERT = "PATCH composite/sobjects/{Object}/{Field}"


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return emulator_connection(world.org, emulator)


def upserts(emulator) -> int:
    return emulator.state.counters.requests[UPSERT]


def records(emulator, sobject):
    return [r for r in emulator.state.records[sobject].values() if not r["IsDeleted"]]


def push_all(org, **kwargs):
    return push.run_push(organization_id=org.pk, **kwargs)


def test_companies_contacts_and_calls_reach_salesforce_parents_first(world, connected, emulator):
    company = CompanyFactory(organization=world.org, name="Initech")
    contact = ContactFactory(organization=world.org, company=company, email="jane@initech.example")
    InteractionFactory(organization=world.org, kind="email", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    result = push_all(world.org)
    assert result.run.counts["created"] == 3, (
        result.run.counts,
        list(OutboxEntry.objects.values("object_kind", "state", "last_error_code", "last_error_message")),
    )
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    account = records(emulator, "Account")[0]
    sf_contact = records(emulator, "Contact")[0]
    task = records(emulator, "Task")[0]
    assert sf_contact["AccountId"] == account["Id"]
    assert task["WhoId"] == sf_contact["Id"]
    link = SalesforceLink.objects.get(local_kind="contact", local_id=contact.pk)
    assert link.salesforce_id == sf_contact["Id"]
    assert link.events.get().message.startswith(f"Pushed as Contact {sf_contact['Id']} at ")
    run = SyncRun.objects.get()
    assert run.api_calls >= 3
    assert run.finished_at is not None


def test_450_companies_take_three_collection_calls(world, connected, emulator):
    companies = CompanyFactory.create_batch(450, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])
    push_all(world.org)
    assert upserts(emulator) == 3
    assert len(records(emulator, "Account")) == 450


def test_an_unchanged_payload_costs_no_call(world, connected, emulator):
    company = CompanyFactory(organization=world.org, name="Initech")
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    push_all(world.org)
    calls = upserts(emulator)
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    result = push_all(world.org)
    assert upserts(emulator) == calls
    assert result.run.counts["unchanged"] == 1


def test_first_sync_into_a_populated_org_creates_no_duplicates(world, connected, emulator):
    emulator.state.seed("Account", [{"Name": "Initech, Inc.", "Website": "https://www.initech.example"}])
    emulator.state.seed("Contact", [{"LastName": "Doe", "Email": "jane@initech.example"}])
    emulator.state.seed("Lead", [{"LastName": "Roe", "Company": "Solo", "Email": "rick@solo.example"}])
    company = CompanyFactory(organization=world.org, name="Initech", website="https://initech.example")
    ContactFactory(organization=world.org, company=company, email="jane@initech.example")
    lead = ContactFactory(organization=world.org, email="rick@solo.example")
    ContactFactory(organization=world.org, email="new@elsewhere.example")
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push_all(world.org)
    assert len(records(emulator, "Account")) == 1
    assert len(records(emulator, "Contact")) == 1
    assert len(records(emulator, "Lead")) == 2  # the matched one, and the new contact without a company
    assert records(emulator, "Account")[0]["Relintel_Id__c"] == company_external_id(
        organization_id=world.org.pk, company_id=company.pk
    )
    matched_lead = next(r for r in records(emulator, "Lead") if r["Email"] == "rick@solo.example")
    assert matched_lead["Relintel_Id__c"] == contact_external_id(organization_id=world.org.pk, contact_id=lead.pk)
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()


def test_a_locked_row_is_retried_later_and_then_succeeds(world, connected, emulator):
    company = CompanyFactory(organization=world.org)
    ext = company_external_id(organization_id=world.org.pk, company_id=company.pk)
    emulator.state.faults.configure(lock_row_external_ids=[ext], lock_row_times=1)
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    push_all(world.org)
    entry = OutboxEntry.objects.get()
    assert entry.state == OutboxState.PENDING
    assert entry.attempts == 1
    assert entry.last_error_code == "UNABLE_TO_LOCK_ROW"
    assert entry.next_attempt_at is not None
    assert entry.next_attempt_at > timezone.now()
    assert push_all(world.org).run is None  # not due yet
    OutboxEntry.objects.update(next_attempt_at=timezone.now())
    push_all(world.org)
    assert OutboxEntry.objects.get().state == OutboxState.SYNCED
    assert emulator.state.counters.external_id_creations("Account") == {ext: 1}


def test_a_burst_of_503_puts_rows_back_for_later(world, connected, emulator):
    company = CompanyFactory(organization=world.org)
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    emulator.state.faults.configure(unavailable_remaining=5)
    push_all(world.org)
    entry = OutboxEntry.objects.get()
    assert (entry.state, entry.attempts) == (OutboxState.PENDING, 1)


def test_a_permanent_failure_shows_the_code_and_a_hint_and_retries_after_a_fix(world, connected, emulator):
    emulator.state.make_field_unwritable("Account", "Industry")
    company = CompanyFactory(organization=world.org, industry="Software")
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    push_all(world.org)
    entry = OutboxEntry.objects.get()
    assert entry.state == OutboxState.FAILED
    assert entry.last_error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert entry.last_error_hint.startswith("The integration user cannot write Industry")
    assert "Hint:" not in entry.last_error_message
    emulator.state.restore_schema()
    assert services.outbox_retry_failed(organization=world.org, code=entry.last_error_code) == 1
    push_all(world.org)
    entry.refresh_from_db()
    assert (entry.state, entry.last_error_code, entry.last_error_hint) == (OutboxState.SYNCED, "", "")
    assert len(records(emulator, "Account")) == 1


def test_request_limit_exceeded_pauses_and_nothing_is_claimed_while_paused(world, connected, emulator):
    company = CompanyFactory(organization=world.org)
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    emulator.state.faults.configure(request_limit_exceeded=True)
    result = push_all(world.org)
    assert result.stopped
    connected.refresh_from_db()
    assert connected.paused_until > timezone.now()
    entry = OutboxEntry.objects.get()
    assert (entry.state, entry.attempts) == (OutboxState.PENDING, 0)
    emulator.state.faults.reset()
    assert push_all(world.org).run is None
    assert OutboxEntry.objects.get().state == OutboxState.PENDING
    assert services.sync_organizations_due() == []


def test_an_expired_lease_is_claimed_again(world, connected, emulator):
    company = CompanyFactory(organization=world.org)
    services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=company.pk)
    assert push.claim(organization_id=world.org.pk, worker="killed")  # then SIGKILLed
    assert push_all(world.org).run is None
    OutboxEntry.objects.update(claimed_until=timezone.now() - timezone.timedelta(seconds=1))
    push_all(world.org)
    assert OutboxEntry.objects.get().state == OutboxState.SYNCED
    assert len(records(emulator, "Account")) == 1


def test_activities_wait_while_their_contacts_are_in_flight(world, connected):
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    InteractionFactory(organization=world.org, kind="call", contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    first = push.claim(organization_id=world.org.pk, worker="a")
    assert [c.kind for c in first] == ["contact"]
    assert push.claim(organization_id=world.org.pk, worker="b") == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_push_the_same_row(world, connected, emulator):
    companies = CompanyFactory.create_batch(300, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])
    barrier = threading.Barrier(2)
    errors = []

    def work():
        try:
            barrier.wait()
            push_all(world.org, claim_size=50)
        except Exception as error:
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    creations = emulator.state.counters.external_id_creations("Account")
    assert len(creations) == 300
    assert set(creations.values()) == {1}
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    assert SyncRun.objects.count() == 2


def test_a_backfill_above_the_threshold_goes_through_bulk_api(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 20
    companies = CompanyFactory.create_batch(30, organization=world.org)
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=[c.pk for c in companies])
    assert bulk.bulk_start_due(organization_id=world.org.pk)
    run = SyncRun.objects.get(kind="backfill")
    bulk_poll_until_done(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.counts["created"] == 30
    assert upserts(emulator) == 0
    assert len(records(emulator, "Account")) == 30
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    assert SalesforceLink.objects.exclude(salesforce_id="").count() == 30


def test_a_task_salesforce_created_before_its_worker_died_is_updated_not_refused(world, connected, emulator):
    """The worker died after Salesforce created the Task and before the push was recorded: the
    retried upsert meets an existing Task, whose TaskSubtype can't be updated."""
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    call = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push_all(world.org)
    SalesforceLink.objects.filter(local_kind="call").delete()  # what the dead worker never wrote
    services.outbox_enqueue(organization_id=world.org.pk, kind="call", local_id=call.pk)
    calls = upserts(emulator)

    result = push_all(world.org)

    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    assert result.run.counts["created"] == 1
    assert upserts(emulator) == calls + 2  # refused as a create, found by its external id, sent as an update
    assert len(records(emulator, "Task")) == 1
    assert set(emulator.state.counters.external_id_creations("Task").values()) == {1}
    assert SalesforceLink.objects.get(local_kind="call").salesforce_id == records(emulator, "Task")[0]["Id"]


def test_a_task_subtype_the_integration_user_cannot_write_still_fails_with_a_hint(world, connected, emulator):
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    emulator.make_field_unwritable("Task", "TaskSubtype")

    push_all(world.org)

    entry = OutboxEntry.objects.get(object_kind="call")
    assert entry.state == OutboxState.FAILED
    assert entry.last_error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert records(emulator, "Task") == []
