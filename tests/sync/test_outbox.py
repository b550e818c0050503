"""The outbox: written in the caller's transaction, deduplicated, never for private activity."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from activities import services as activities_services
from contacts import services as contacts_services
from sync import services
from sync.models import ConnectionStatus, OutboxEntry, OutboxState, SalesforceConnection
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory


@pytest.fixture
def connected(world):
    return SalesforceConnection.objects.create(
        organization=world.org, status=ConnectionStatus.CONNECTED, instance_url="https://sf.invalid"
    )


def open_entries(org, kind=None):
    entries = OutboxEntry.objects.filter(organization=org, state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT])
    return entries.filter(object_kind=kind) if kind else entries


def test_creating_a_contact_queues_it_in_the_same_transaction(world, connected):
    contact = contacts_services.contact_create(
        membership=world.rep, full_name="Jane Doe", emails=["jane@initech.example"]
    )
    entry = open_entries(world.org, "contact").get()
    assert entry.local_id == contact.pk
    assert entry.operation == "upsert"


def test_a_rolled_back_change_leaves_no_entry(world, connected):
    def change_then_fail():
        with transaction.atomic():
            contacts_services.company_create(membership=world.rep, name="Initech")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not OutboxEntry.objects.exists()


def test_two_changes_to_one_contact_make_one_entry(world, connected):
    contact = contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    contacts_services.contact_update(membership=world.rep, contact=contact, title="CTO")
    contacts_services.contact_update(membership=world.rep, contact=contact, title="CEO")
    assert open_entries(world.org, "contact").count() == 1


def test_a_change_after_a_sync_makes_a_new_entry(world, connected):
    contact = contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    OutboxEntry.objects.update(state=OutboxState.SYNCED)
    contacts_services.contact_update(membership=world.rep, contact=contact, title="CTO")
    assert OutboxEntry.objects.filter(local_id=contact.pk).count() == 2


def test_a_change_while_in_flight_folds_into_the_row_and_moves_its_version(world, connected):
    contact = contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    entry = OutboxEntry.objects.get()
    OutboxEntry.objects.filter(pk=entry.pk).update(state=OutboxState.IN_FLIGHT)
    before = OutboxEntry.objects.get().updated_at
    contacts_services.contact_update(membership=world.rep, contact=contact, title="CTO")
    after = OutboxEntry.objects.get()
    assert after.pk == entry.pk
    assert after.updated_at > before


def test_deleting_a_contact_turns_its_pending_upsert_into_a_delete(world, connected):
    contact = contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    contacts_services.contact_delete(contact=contact)
    assert open_entries(world.org, "contact").get().operation == "delete"


def test_without_a_connection_nothing_is_queued(world):
    contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    contacts_services.company_create(membership=world.rep, name="Initech")
    assert not OutboxEntry.objects.exists()


def test_a_disconnected_organization_queues_nothing(world, connected):
    connected.status = ConnectionStatus.DISCONNECTED
    connected.save()
    contacts_services.contact_create(membership=world.rep, full_name="Jane Doe")
    assert not OutboxEntry.objects.exists()


def test_the_connection_is_looked_up_once_per_transaction(world, connected, django_assert_max_num_queries):
    with transaction.atomic():
        services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=1)
        with django_assert_max_num_queries(2):
            services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=2)
            services.outbox_enqueue(organization_id=world.org.pk, kind="company", local_id=3)


def test_another_organizations_changes_are_not_queued_for_ours(world, connected):
    contacts_services.contact_create(membership=world.outsider, full_name="Otto's friend")
    assert not OutboxEntry.objects.exists()


def test_private_interactions_are_never_queued(world, connected):
    contact = ContactFactory(organization=world.org)
    activities_services.interaction_log(membership=world.rep, kind="call", contacts=[contact], visibility="private")
    activities_services.interaction_log(membership=world.rep, kind="note", contacts=[contact])
    assert not open_entries(world.org).exclude(object_kind="contact").exists()


def test_logging_updating_and_deleting_a_call_is_queued(world, connected):
    contact = ContactFactory(organization=world.org)
    call = activities_services.interaction_log(membership=world.rep, kind="call", contacts=[contact])
    assert open_entries(world.org, "call").get().local_id == call.pk
    activities_services.interaction_update(interaction=call, subject="Pricing")
    activities_services.interaction_delete(interaction=call)
    assert open_entries(world.org, "call").get().operation == "delete"


def test_help_offers_are_queued_on_create_transition_and_delete(world, connected):
    contact = ContactFactory(organization=world.org)
    offer = contacts_services.help_offer_create(
        membership=world.rep, contact=contact, kind="advice", description="Hiring"
    )
    OutboxEntry.objects.update(state=OutboxState.SYNCED)
    contacts_services.help_offer_transition(offer=offer, status="accepted")
    assert open_entries(world.org, "help_offer").count() == 1
    contacts_services.help_offer_delete(offer=offer)
    assert open_entries(world.org, "help_offer").get().operation == "delete"


def test_enqueue_many_leaves_out_private_interactions_and_notes(world, connected):
    public = InteractionFactory(organization=world.org, kind="email")
    private = InteractionFactory(organization=world.org, kind="email", visibility="private")
    note = InteractionFactory(organization=world.org, kind="note")
    foreign = InteractionFactory(organization=world.other_org, kind="email")
    written = services.outbox_enqueue_many(
        organization_id=world.org.pk, kind="interaction", local_ids=[public.pk, private.pk, note.pk, foreign.pk]
    )
    assert written == 1
    assert open_entries(world.org).get().object_kind == "email"


def test_initial_sync_queues_everything_mappable_once(world, connected):
    company = CompanyFactory(organization=world.org)
    ContactFactory.create_batch(3, organization=world.org, company=company)
    HelpOfferFactory(organization=world.org, contact=ContactFactory(organization=world.org), user=world.rep.user)
    InteractionFactory(organization=world.org, kind="meeting")
    InteractionFactory(organization=world.org, kind="call", visibility="private")
    CompanyFactory(organization=world.other_org)
    counts = services.salesforce_initial_sync_enqueue(organization=world.org)
    assert counts == {"company": 1, "contact": 4, "interaction": 1, "help_offer": 1}
    services.salesforce_initial_sync_enqueue(organization=world.org)
    assert open_entries(world.org).count() == 7


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_of_one_row_make_one_entry(world, connected):
    barrier = threading.Barrier(4)
    errors = []

    def enqueue():
        try:
            barrier.wait()
            with transaction.atomic():
                services.outbox_enqueue(organization_id=world.org.pk, kind="contact", local_id=42)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert OutboxEntry.objects.filter(dedupe_key="contact:42").count() == 1


def test_retry_failed_puts_failed_rows_back_once(world, connected):
    for n in range(3):
        OutboxEntry.objects.create(
            organization=world.org, object_kind="contact", local_id=n, dedupe_key=f"contact:{n}",
            state=OutboxState.FAILED, last_error_code="REQUIRED_FIELD_MISSING" if n else "INVALID_FIELD", attempts=1,
        )  # fmt: skip
    assert services.outbox_retry_failed(organization=world.org, code="REQUIRED_FIELD_MISSING") == 2
    assert services.outbox_retry_failed(organization=world.outsider.organization) == 0
    entry = OutboxEntry.objects.get(local_id=0)
    assert services.outbox_retry(entry=entry)
    assert not OutboxEntry.objects.filter(state=OutboxState.FAILED).exists()
