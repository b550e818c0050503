"""The push under Salesforce's bad days, against the emulator over HTTPS: every record arrives once,
or waits visibly, and nothing is pushed half-way."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from sync import services
from sync.models import ConnectionStatus, OutboxEntry, OutboxState, SalesforceConnection
from sync.salesforce import push
from sync.salesforce.client import salesforce_for
from sync.salesforce.errors import PermanentSalesforceError
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory
from tests.sync.emulator_fixtures import bulk_poll_until_done
from tests.sync.test_connect_emulator import connect_through_the_page

pytest_plugins = ["tests.sync.emulator_fixtures"]


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    """Connected through the admin page (web-server flow): a refresh token is stored."""
    return connect_through_the_page(world, emulator)


def companies(world, n: int) -> list[int]:
    ids = [c.pk for c in CompanyFactory.create_batch(n, organization=world.org)]
    services.outbox_enqueue_many(organization_id=world.org.pk, kind="company", local_ids=ids)
    return ids


def live(emulator, sobject: str) -> list[dict]:
    return [r for r in emulator.state.records[sobject].values() if not r["IsDeleted"]]


def states() -> dict[str, int]:
    found: dict[str, int] = {}
    for state in OutboxEntry.objects.values_list("state", flat=True):
        found[state] = found.get(state, 0) + 1
    return found


def push_until_drained(org, rounds: int = 10) -> None:
    """What the beat does over time: push, and let back-off delays pass at once."""
    for _ in range(rounds):
        OutboxEntry.objects.filter(state=OutboxState.PENDING).update(next_attempt_at=None)
        push.run_push(organization_id=org.pk)
        if not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists():
            return


def created_once(emulator, sobject: str, n: int) -> None:
    creations = emulator.state.counters.external_id_creations(sobject)
    assert len(creations) == n
    assert set(creations.values()) == {1}


def test_a_session_expiring_mid_run_is_refreshed_once_and_the_run_completes(world, connected, emulator):
    companies(world, 600)
    writes = {"n": 0}

    def expire_after_250_writes(_object: str, _values: object) -> bool:
        writes["n"] += 1
        if writes["n"] == 250:
            emulator.state.expire_sessions()
        return False

    emulator.state.faults.configure(lock_row_predicate=expire_after_250_writes)
    tokens_before = emulator.state.counters.requests["POST oauth2/token"]
    result = push.run_push(organization_id=world.org.pk)
    assert result.run.status == "succeeded"
    assert emulator.state.counters.requests["POST oauth2/token"] == tokens_before + 1
    assert states() == {OutboxState.SYNCED: 600}
    created_once(emulator, "Account", 600)


def test_a_burst_of_503_delays_the_rows_and_each_is_created_once(world, connected, emulator):
    companies(world, 450)
    emulator.fail_next(2)
    push.run_push(organization_id=world.org.pk)
    waiting = OutboxEntry.objects.filter(state=OutboxState.PENDING)
    # The burst hits the match-before-create queries first: the whole batch waits, nothing fails.
    assert waiting.count() >= 400
    assert not OutboxEntry.objects.filter(state__in=[OutboxState.FAILED, OutboxState.DEAD]).exists()
    assert set(waiting.values_list("last_error_code", flat=True)) == {"SERVER_UNAVAILABLE"}
    assert all(e.next_attempt_at and e.next_attempt_at > timezone.now() for e in waiting)
    push_until_drained(world.org)
    assert states() == {OutboxState.SYNCED: 450}
    created_once(emulator, "Account", 450)


def test_locked_rows_are_retried_and_each_external_id_is_created_once(world, connected, emulator):
    companies(world, 300)
    emulator.lock_rows(fraction=0.2, times=2, seed=7)
    push.run_push(organization_id=world.org.pk)
    locked = OutboxEntry.objects.filter(state=OutboxState.PENDING)
    assert 20 < locked.count() < 120
    assert set(locked.values_list("last_error_code", flat=True)) == {"UNABLE_TO_LOCK_ROW"}
    push_until_drained(world.org)
    assert states() == {OutboxState.SYNCED: 300}
    created_once(emulator, "Account", 300)


def test_request_limit_exceeded_pauses_visibly_and_resumes_after_the_window(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_LIMIT_PAUSE_SECONDS = 1
    companies(world, 10)
    emulator.exceed_request_limit()
    result = push.run_push(organization_id=world.org.pk)
    assert result.stopped
    connected.refresh_from_db()
    assert connected.paused_until > timezone.now()
    assert "API request limit" in connected.paused_reason
    assert states() == {OutboxState.PENDING: 10}
    assert OutboxEntry.objects.filter(attempts=0).count() == 10
    emulator.exceed_request_limit(False)
    assert push.run_push(organization_id=world.org.pk).run is None  # still paused
    time.sleep(1.2)
    assert services.sync_organizations_due() == [world.org.pk]
    push.run_push(organization_id=world.org.pk)
    assert states() == {OutboxState.SYNCED: 10}
    created_once(emulator, "Account", 10)


def test_a_refused_refresh_needs_reauthorization_and_loses_nothing(world, connected, emulator):
    companies(world, 5)
    emulator.expire_sessions()
    emulator.refuse_refresh()
    result = push.run_push(organization_id=world.org.pk)
    assert result.stopped
    connected.refresh_from_db()
    assert connected.status == ConnectionStatus.NEEDS_REAUTH
    assert states() == {OutboxState.PENDING: 5}
    assert OutboxEntry.objects.filter(attempts=0, claimed_by="").count() == 5
    assert live(emulator, "Account") == []
    assert push.run_push(organization_id=world.org.pk).run is None  # nothing is claimed meanwhile
    emulator.refuse_refresh(False)
    connect_through_the_page(world, emulator)  # the admin connects again
    push.run_push(organization_id=world.org.pk)
    assert states() == {OutboxState.SYNCED: 5}
    created_once(emulator, "Account", 5)


# --- bad configuration: a clear message, nothing pushed half-way -----------------------------


def a_small_world(world) -> None:
    company = CompanyFactory(organization=world.org, name="Initech")
    contact = ContactFactory(organization=world.org, company=company, email="jane@initech.example", title="CFO")
    InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)


def test_a_missing_external_id_field_fails_with_the_field_to_create_and_pushes_nothing(world, connected, emulator):
    emulator.drop_external_id_field("Account")
    a_small_world(world)
    push_until_drained(world.org, rounds=3)
    account = OutboxEntry.objects.get(object_kind="company")
    assert account.state == OutboxState.FAILED
    assert "Relintel_Id__c" in account.last_error_message
    assert account.last_error_hint.startswith("The field Relintel_Id__c does not exist")
    assert OutboxEntry.objects.filter(state=OutboxState.SYNCED).count() == 0
    assert (live(emulator, "Account"), live(emulator, "Contact"), live(emulator, "Task")) == ([], [], [])


def test_an_unwritable_mapped_field_names_the_field_and_the_record_is_not_pushed(world, connected, emulator):
    emulator.make_field_unwritable("Contact", "Title")
    a_small_world(world)
    push_until_drained(world.org, rounds=3)
    contact = OutboxEntry.objects.get(object_kind="contact")
    assert contact.state == OutboxState.FAILED
    assert "Title" in contact.last_error_message
    assert (
        contact.last_error_hint
        == "The integration user cannot write Title: grant edit access to the field or remove it from the mapping."
    )
    assert live(emulator, "Contact") == []
    # The call cannot name a contact that is not there: it waits on it, it is not pushed without it.
    assert live(emulator, "Task") == []
    assert OutboxEntry.objects.get(object_kind="call").state != OutboxState.SYNCED


def test_a_wrong_login_url_says_so_and_nothing_is_pushed(world, connected, emulator):
    from sync.emulator.server import free_port

    SalesforceConnection.objects.filter(pk=connected.pk).update(login_url=f"https://127.0.0.1:{free_port()}")
    companies(world, 3)
    emulator.expire_sessions()  # the next call needs a refresh, from the wrong place
    push.run_push(organization_id=world.org.pk)
    connected.refresh_from_db()
    assert "127.0.0.1" in connected.last_error
    assert states() == {OutboxState.PENDING: 3}
    assert live(emulator, "Account") == []


def test_a_wrong_login_url_is_refused_when_testing_the_connection(world, connected, emulator):
    from sync.emulator.server import free_port

    wrong = SalesforceConnection.objects.get(pk=connected.pk)
    wrong.login_url = f"https://127.0.0.1:{free_port()}"
    wrong.access_token = ""
    with pytest.raises(PermanentSalesforceError) as caught:
        salesforce_for(wrong).restful("limits/")
    assert caught.value.code == "not_connected"


def test_bulk_csv_calls_refresh_an_expired_session_once(world, connected, emulator):
    client = salesforce_for(connected)
    job = client.restful(
        "jobs/ingest/",
        method="POST",
        json={"object": "Account", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"},
    )
    emulator.expire_sessions()
    tokens_before = emulator.state.counters.requests["POST oauth2/token"]
    client.request_text(
        f"jobs/ingest/{job['id']}/batches/", method="PUT", data=b"Name\nInitech\n", headers={"Content-Type": "text/csv"}
    )
    # Refused once (401), refreshed once, sent again.
    assert emulator.state.counters.requests["PUT jobs/ingest/{id}/batches"] == 2
    assert emulator.state.counters.requests["POST oauth2/token"] == tokens_before + 1
    assert client.connection.status == ConnectionStatus.CONNECTED
    client.close()


# --- the backfill goes through Bulk API 2.0 even behind a few parents ------------------------


def test_activities_behind_a_few_companies_are_backfilled_by_bulk_api_not_collections(
    world, connected, emulator, settings
):
    from sync.models import SyncRun

    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 20
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    for kind in ["email", "call"] * 15:  # 15 of each: together above the threshold, both become Tasks
        InteractionFactory(organization=world.org, kind=kind, owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    assert services.sync_push_organization(organization_id=world.org.pk)  # the contact, then it stops
    assert services.sync_push_organization(organization_id=world.org.pk)  # starts one job for the Tasks
    job = SyncRun.objects.get(kind="backfill")
    bulk_poll_until_done(job.pk)
    assert emulator.state.counters.requests["PATCH composite/sobjects/{Object}/{Field}"] == 1  # the contact
    assert emulator.state.counters.requests["POST jobs/ingest"] == 1
    assert states() == {OutboxState.SYNCED: 31}
    created_once(emulator, "Task", 30)
