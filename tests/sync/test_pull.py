"""Pulling Salesforce's changes to linked Accounts, Contacts and Leads from the emulator over HTTPS."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts import services as contacts_services
from contacts.models import Company, Contact
from sync import selectors, services, tasks
from sync.emulator.values import format_datetime
from sync.models import (
    OutboxEntry,
    OutboxState,
    SalesforceConnection,
    SalesforceLink,
    SyncConflict,
    SyncRun,
)
from sync.salesforce import pull, push
from tests.factories import CompanyFactory, ContactFactory
from tests.sync.emulator_fixtures import emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return emulator_connection(world.org, emulator)


def push_all(org):
    return push.run_push(organization_id=org.pk)


def pull_now(connection):
    connection.refresh_from_db()
    return pull.pull_organization(connection=connection)


def open_entries(org):
    return OutboxEntry.objects.filter(organization=org, state__in=[OutboxState.PENDING, OutboxState.IN_FLIGHT])


def pushed_contact(world, **kwargs):
    company = kwargs.pop("company", None) or CompanyFactory(organization=world.org, name="Initech")
    contact = ContactFactory(organization=world.org, company=company, email="jane@initech.example", **kwargs)
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push_all(world.org)
    assert not open_entries(world.org).exists()
    return contact, SalesforceLink.objects.get(local_kind="contact", local_id=contact.pk)


def test_a_title_changed_in_salesforce_comes_back_and_is_not_pushed_again(world, connected, emulator, sf):
    contact, link = pushed_contact(world, title="CTO")
    sf.Contact.update(link.salesforce_id, {"Title": "CEO", "Phone": "(415) 555-0123"})
    result = pull_now(connected)
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert [p.number for p in contact.phones.all()] == ["+14155550123"]
    assert result.counts["applied"] == 1
    assert not open_entries(world.org).exists()
    run = SyncRun.objects.get(kind="pull")
    assert run.status == "succeeded"
    # A query per object at least; the deleted/ calls depend on how wide their window is yet.
    assert run.api_calls >= 3
    assert link.events.filter(action="pulled").get().message.startswith(f"Pulled from Contact {link.salesforce_id}")
    # Nothing is owed: a push finds the record unchanged.
    services.outbox_enqueue(organization_id=world.org.pk, kind="contact", local_id=contact.pk)
    assert push_all(world.org).run.counts["unchanged"] == 1


def test_the_watermark_advances_and_the_overlap_applies_nothing_twice(world, connected, emulator, sf):
    contact, link = pushed_contact(world, title="CTO")
    sf.Contact.update(link.salesforce_id, {"Title": "CEO"})
    pull_now(connected)
    connected.refresh_from_db()
    first = {k: v for k, v in connected.pull_watermarks.items() if not k.endswith(":deleted")}
    assert set(first) == {"Account", "Contact", "Lead"}
    stamp = pull.parse_stamp(emulator.state.records["Contact"][link.salesforce_id]["SystemModstamp"])
    assert pull.parse_stamp(first["Contact"]) == stamp
    # Re-read within the overlap: skipped, even after a local edit that would be overwritten.
    Contact.objects.filter(pk=contact.pk).update(title="Local")
    second = pull_now(connected)
    assert second.counts.get("applied") == 0
    assert second.counts["already_pulled"] >= 1
    contact.refresh_from_db()
    assert contact.title == "Local"


def test_the_echo_of_our_own_push_changes_nothing_and_logs_no_conflict(world, connected, emulator):
    contact, _ = pushed_contact(world, title="CTO")
    contacts_services.contact_update(membership=world.rep, contact=contact, title="VP Sales")
    push_all(world.org)
    result = pull_now(connected)
    assert result.counts["applied"] == 0
    assert result.counts["unchanged"] >= 2  # the Account and the Contact
    assert not SyncConflict.objects.exists()
    contact.refresh_from_db()
    assert contact.title == "VP Sales"
    assert not open_entries(world.org).exists()


def test_a_deletion_in_salesforce_unlinks_and_flags_but_keeps_the_contact(world, connected, emulator, sf):
    contact, link = pushed_contact(world)
    sf.Contact.delete(link.salesforce_id)
    # Replication covers whole minutes up to the last complete one: let the deletion be a few minutes old.
    emulator.state.deleted_dates["Contact"][link.salesforce_id] = format_datetime(
        timezone.now() - datetime.timedelta(minutes=3)
    )
    connected.pull_watermarks = {"Contact:deleted": (timezone.now() - datetime.timedelta(hours=1)).isoformat()}
    connected.save(update_fields=["pull_watermarks"])
    result = pull_now(connected)
    assert result.counts["deletions"] == 1
    link.refresh_from_db()
    assert link.deleted_in_salesforce_at is not None
    assert link.salesforce_id == ""
    contact.refresh_from_db()
    assert contact.salesforce_contact_id == ""
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert link.events.filter(action="deleted_remotely").get().message.endswith("kept in Relintel and unlinked.")
    # Read again in the next window's overlap: flagged once.
    assert pull_now(connected).counts["deletions"] == 0


def _both_sides_change_title(world, connected, sf, *, policy, local_at=None):
    connected.conflict_policy = policy
    connected.save(update_fields=["conflict_policy"])
    contact, link = pushed_contact(world, title="CTO")
    contacts_services.contact_update(membership=world.rep, contact=contact, title="VP")  # not pushed yet
    OutboxEntry.objects.all().delete()
    if local_at is not None:
        Contact.objects.filter(pk=contact.pk).update(updated_at=local_at)
    sf.Contact.update(link.salesforce_id, {"Title": "CEO"})
    result = pull_now(connected)
    contact.refresh_from_db()
    return contact, link, result


def test_salesforce_wins_takes_salesforces_value_and_logs_the_conflict(world, connected, emulator, sf):
    contact, _, result = _both_sides_change_title(world, connected, sf, policy="salesforce_wins")
    assert contact.title == "CEO"
    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.local_value, conflict.salesforce_value) == ("Title", "VP", "CEO")
    assert conflict.resolution == "salesforce_kept"
    assert result.counts["conflicts"] == 1
    assert SyncRun.objects.get(kind="pull").counts["conflicts"] == 1


def test_relintel_wins_keeps_the_local_value_and_pushes_it_again(world, connected, emulator, sf):
    contact, link, _ = _both_sides_change_title(world, connected, sf, policy="relintel_wins")
    assert contact.title == "VP"
    assert SyncConflict.objects.get().resolution == "relintel_kept"
    assert open_entries(world.org).get().local_id == contact.pk
    push_all(world.org)
    assert emulator.state.records["Contact"][link.salesforce_id]["Title"] == "VP"


def test_newest_wins_compares_the_local_change_with_systemmodstamp(world, connected, emulator, sf):
    future = timezone.now() + datetime.timedelta(hours=1)
    contact, _, _ = _both_sides_change_title(world, connected, sf, policy="newest_wins", local_at=future)
    assert contact.title == "VP"
    assert SyncConflict.objects.get().resolution == "relintel_kept"


def test_newest_wins_takes_salesforce_when_its_change_is_newer(world, connected, emulator, sf):
    past = timezone.now() - datetime.timedelta(hours=1)
    contact, _, _ = _both_sides_change_title(world, connected, sf, policy="newest_wins", local_at=past)
    assert contact.title == "CEO"
    assert SyncConflict.objects.get().resolution == "salesforce_kept"


def test_leads_and_accounts_come_back_too(world, connected, emulator, sf):
    company = CompanyFactory(organization=world.org, name="Initech", industry="Software")
    lead = ContactFactory(organization=world.org, email="rick@solo.example", title="Founder")
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push_all(world.org)
    account_id = SalesforceLink.objects.get(local_kind="company", local_id=company.pk).salesforce_id
    lead_link = SalesforceLink.objects.get(local_kind="contact", local_id=lead.pk)
    assert lead_link.sobject == "Lead"
    sf.Account.update(account_id, {"Name": "Initech Corp", "Industry": "Banking"})
    sf.Lead.update(lead_link.salesforce_id, {"Title": "CEO", "LastName": "Roe-Smith"})
    result = pull_now(connected)
    assert result.counts["applied"] == 2
    company.refresh_from_db()
    lead.refresh_from_db()
    assert (company.name, company.industry) == ("Initech Corp", "Banking")
    assert lead.title == "CEO"
    assert lead.last_name == "Roe-Smith"
    assert not open_entries(world.org).exists()


def test_records_never_linked_are_not_imported(world, connected, emulator):
    emulator.state.seed("Contact", [{"LastName": "Stranger", "Email": "who@else.example"}])
    connected.pull_watermarks = {"Contact": (timezone.now() - datetime.timedelta(hours=1)).isoformat()}
    connected.save(update_fields=["pull_watermarks"])
    count = Contact.objects.count()
    result = pull_now(connected)
    assert result.counts["not_linked"] == 1
    assert Contact.objects.count() == count


def test_a_pull_while_paused_does_nothing(world, connected, emulator, sf):
    contact, link = pushed_contact(world, title="CTO")
    sf.Contact.update(link.salesforce_id, {"Title": "CEO"})
    connected.paused_until = timezone.now() + datetime.timedelta(minutes=10)
    connected.save(update_fields=["paused_until"])
    assert services.sync_pull_organization(organization_id=world.org.pk) is None
    assert services.sync_pull_organizations_due() == []
    assert not SyncRun.objects.filter(kind="pull").exists()
    contact.refresh_from_db()
    assert contact.title == "CTO"


def test_request_limit_exceeded_stops_the_pull_as_paused(world, connected, emulator, sf):
    pushed_contact(world)
    emulator.state.faults.configure(request_limit_exceeded=True)
    result = pull_now(connected)
    assert result.stopped
    assert result.run.status == "paused"


def test_the_beat_task_pulls_each_connected_organization(world, connected, emulator, sf, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    contact, link = pushed_contact(world, title="CTO")
    sf.Contact.update(link.salesforce_id, {"Title": "CEO"})
    assert tasks.sync_pull_due() == 1
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert "sync-pull-due" in settings.CELERY_BEAT_SCHEDULE


def test_the_conflicts_selector_filters_and_keeps_outsiders_out(world, connected, emulator, sf):
    _both_sides_change_title(world, connected, sf, policy="salesforce_wins")
    assert selectors.sync_conflicts(membership=world.admin).count() == 1
    assert selectors.sync_conflicts(membership=world.admin, object_kind="contact").count() == 1
    assert selectors.sync_conflicts(membership=world.admin, object_kind="Contact").count() == 1
    assert selectors.sync_conflicts(membership=world.admin, object_kind="company").count() == 0
    later = timezone.now() + datetime.timedelta(minutes=1)
    assert selectors.sync_conflicts(membership=world.admin, since=later).count() == 0
    assert selectors.sync_conflicts(membership=world.outsider).count() == 0
    assert Company.objects.filter(organization=world.org).exists()


def test_a_contact_deleted_in_salesforce_is_not_recreated_by_the_next_local_edit(world, connected, emulator, sf):
    contact, link = pushed_contact(world)
    sf.Contact.delete(link.salesforce_id)
    emulator.state.deleted_dates["Contact"][link.salesforce_id] = format_datetime(
        timezone.now() - datetime.timedelta(minutes=3)
    )
    connected.pull_watermarks = {"Contact:deleted": (timezone.now() - datetime.timedelta(hours=1)).isoformat()}
    connected.save(update_fields=["pull_watermarks"])
    pull_now(connected)
    contacts_services.contact_update(membership=world.rep, contact=contact, title="Still here")
    result = push_all(world.org)
    assert result.run.counts["skipped"] == 1
    assert not [r for r in emulator.state.records["Contact"].values() if not r["IsDeleted"]]
