"""``make run``'s live sync: the demo organization is connected to the Salesforce emulator through
the same services an admin's clicks call, its first sync is queued, and doing it again changes
nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sync.demo import salesforce_demo_connect
from sync.models import ConnectionStatus, OutboxEntry, SalesforceConnection
from sync.salesforce import push
from tests.factories import CompanyFactory, ContactFactory

pytest_plugins = ["tests.sync.emulator_fixtures"]


def test_the_demo_organization_is_connected_to_the_emulator_and_its_first_sync_queued(world, emulator):
    ContactFactory(organization=world.org, company=CompanyFactory(organization=world.org), email="jane@initech.example")

    done = salesforce_demo_connect(
        organization_slug=world.org.slug, emulator_url=emulator.url, ca_bundle=emulator.ca_bundle
    )

    assert done.connected_now
    assert done.connection.status == ConnectionStatus.CONNECTED
    assert done.connection.organization == world.org
    assert OutboxEntry.objects.filter(organization=world.org).count() == 2
    push.run_push(organization_id=world.org.pk)
    assert len(emulator.state.records["Contact"]) == 1
    assert not SalesforceConnection.objects.filter(organization=world.other_org).exists()


def test_connecting_the_demo_again_changes_nothing(world, emulator):
    salesforce_demo_connect(organization_slug=world.org.slug, emulator_url=emulator.url, ca_bundle=emulator.ca_bundle)
    tokens = emulator.state.counters.requests["POST oauth2/token"]

    again = salesforce_demo_connect(
        organization_slug=world.org.slug, emulator_url=emulator.url, ca_bundle=emulator.ca_bundle
    )

    assert not again.connected_now
    assert emulator.state.counters.requests["POST oauth2/token"] == tokens


def test_the_command_says_when_there_is_no_demo_organization(world, emulator):
    with pytest.raises(CommandError, match=r"run manage\.py seed_demo first"):
        call_command("salesforce_demo_connect", "--url", emulator.url, "--organization", "no-such-org")
