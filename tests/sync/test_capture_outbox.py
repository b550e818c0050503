"""Captured activity is owed to Salesforce from the moment it is stored: the capture batch writes
its outbox rows in its own transaction (one INSERT … SELECT per kind and batch), only for an
organization with a Salesforce connection, and never for private interactions."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from activities.capture.ingest import capture_ingest
from activities.models import Interaction
from sync import services
from sync.models import ConnectionStatus, OutboxEntry, OutboxState, SalesforceConnection
from sync.salesforce import push
from tests.capture.ingest_helpers import email, meeting
from tests.factories import ContactFactory
from tests.sync.emulator_fixtures import emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return emulator_connection(world.org, emulator)


def capture(membership, items, *, visibility="team"):
    return capture_ingest(
        organization=membership.organization,
        user=membership.user,
        source="imap",
        items=items,
        privacy_level="full",
        visibility=visibility,
    )


def live(emulator, sobject: str) -> list[dict]:
    return [r for r in emulator.state.records[sobject].values() if not r["IsDeleted"]]


def test_a_captured_email_is_owed_to_salesforce_and_reaches_it_as_a_task(world, connected, emulator):
    ContactFactory(organization=world.org, email="jane.doe@customer.example", last_name="Doe")
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)  # Jane is in Salesforce already

    result = capture(world.rep, [email("<pricing@customer.example>", subject="Pricing question")])

    interaction_id = result.interaction_ids[0]
    entry = OutboxEntry.objects.get(state=OutboxState.PENDING)
    assert (entry.local_id, entry.state, entry.operation) == (interaction_id, OutboxState.PENDING, "upsert")
    push.run_push(organization_id=world.org.pk)
    tasks = live(emulator, "Task")
    assert [(t["Subject"], t["TaskSubtype"]) for t in tasks] == [("Pricing question", "Email")]
    assert entry.object_kind == "email"
    assert tasks[0]["WhoId"] == live(emulator, "Lead")[0]["Id"]  # Jane has no company: a Lead
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()


def test_a_contact_created_by_capture_is_owed_too_so_its_task_can_name_it(world, connected, emulator):
    from activities.models import CapturePolicy

    CapturePolicy.objects.create(organization=world.org, contact_creation="any")

    capture(world.rep, [email("<hello@newco.example>", sender="sam@newco.example", sender_name="Sam Stone")])

    # Capture made a company of sam's domain too: it goes first, the Contact names it.
    assert sorted(OutboxEntry.objects.values_list("object_kind", flat=True)) == ["company", "contact", "email"]
    push.run_push(organization_id=world.org.pk)
    assert not OutboxEntry.objects.exclude(state=OutboxState.SYNCED).exists()
    assert [r["Email"] for r in live(emulator, "Contact")] == ["sam@newco.example"]
    assert live(emulator, "Task")[0]["WhoId"] == live(emulator, "Contact")[0]["Id"]
    assert live(emulator, "Contact")[0]["AccountId"] == live(emulator, "Account")[0]["Id"]


def test_a_private_capture_is_never_owed_to_salesforce(world, connected):
    capture(world.rep, [email("<secret@customer.example>")], visibility="private")

    assert Interaction.objects.count() == 1
    assert not OutboxEntry.objects.exists()


def test_without_a_connection_capture_owes_salesforce_nothing(world):
    capture(world.rep, [email("<pricing@customer.example>")])

    assert Interaction.objects.count() == 1
    assert not OutboxEntry.objects.exists()


def test_another_organizations_connection_makes_our_capture_owe_nothing(world, emulator):
    SalesforceConnection.objects.create(
        organization=world.other_org, status=ConnectionStatus.CONNECTED, instance_url=emulator.url
    )

    capture(world.rep, [email("<pricing@customer.example>")])

    assert not OutboxEntry.objects.exists()


def test_a_newer_meeting_version_is_owed_again_and_a_cancellation_owes_a_delete(world, connected, emulator):
    capture(world.rep, [meeting(version="0|20250101T000000Z")])
    push.run_push(organization_id=world.org.pk)
    assert len(live(emulator, "Event")) == 1

    capture(world.rep, [meeting(subject="Kick-off (moved)", version="1|20250102T000000Z")])
    push.run_push(organization_id=world.org.pk)
    assert live(emulator, "Event")[0]["Subject"] == "Kick-off (moved)"

    capture(world.rep, [meeting(version="2|20250103T000000Z", status="cancelled")])
    assert OutboxEntry.objects.get(state=OutboxState.PENDING).operation == "delete"
    push.run_push(organization_id=world.org.pk)
    assert live(emulator, "Event") == []


@pytest.mark.django_db(transaction=True)  # each batch commits, as in a worker: no connection check is reused
@pytest.mark.parametrize("size", [20, 200])
def test_the_outbox_costs_a_capture_batch_a_constant_handful_of_queries(world, connected, size):
    def queries(membership, start: int) -> int:
        items = [email(f"<m{start + i}@customer.example>") for i in range(size)]
        with CaptureQueriesContext(db_connection) as captured:
            capture(membership, items)
        return len(captured)

    queries(world.rep, 50_000)  # warm: the capture policy and context, the first contact match
    OutboxEntry.objects.all().delete()
    SalesforceConnection.objects.filter(pk=connected.pk).update(status=ConnectionStatus.DISCONNECTED)
    without = queries(world.rep, 0)
    SalesforceConnection.objects.filter(pk=connected.pk).update(status=ConnectionStatus.CONNECTED)
    with_sync = queries(world.rep, 10_000)

    assert with_sync - without == 1  # the INSERT … SELECT; the connection check is made either way
    assert OutboxEntry.objects.count() == size
