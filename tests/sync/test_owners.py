"""Each rep's activity is owned in Salesforce by the rep's own active Salesforce user."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from sync import services
from sync.emulator import DEMO_USERNAME
from sync.models import (
    OutboxEntry,
    OutboxState,
    SalesforceConnection,
    SalesforceLink,
    SalesforceUserLink,
    SyncRun,
)
from sync.salesforce import bulk, pull, push
from sync.salesforce.users import user_email_queries
from tests.conftest import client_for
from tests.factories import ContactFactory, HelpOfferFactory, InteractionFactory
from tests.sync.emulator_fixtures import Api, bulk_poll_until_done, emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]


@pytest.fixture
def connected(world, emulator) -> SalesforceConnection:
    return emulator_connection(world.org, emulator)


@pytest.fixture(autouse=True)
def _forget_added_users(emulator):
    """The emulator keeps its users across tests (sessions need them): drop the ones a test added."""
    state = emulator.state
    before = set(state.users)
    yield
    with state.lock:
        for username in set(state.users) - before:
            state.records["User"].pop(state.users.pop(username), None)
            state.user_profiles.pop(username, None)


def salesforce_user(emulator, email: str, *, active: bool = True) -> str:
    """A user of the emulated org with this email (a unique username, as Salesforce requires)."""
    return emulator.state.add_user(f"{uuid.uuid4().hex[:8]}.{email}", email=email, active=active)


def pull_now(connection):
    connection.refresh_from_db()
    return pull.pull_organization(connection=connection)


def owner_in_salesforce(emulator, kind: str, local_id: int) -> str:
    link = SalesforceLink.objects.get(local_kind=kind, local_id=local_id)
    return emulator.state.get(link.sobject, link.salesforce_id)["OwnerId"]


def test_each_reps_tasks_are_owned_by_their_active_salesforce_user(world, connected, emulator):
    rep_user = salesforce_user(emulator, world.rep.user.email.upper())  # emails compare case-insensitively
    salesforce_user(emulator, world.teammate.user.email, active=False)  # left the company in Salesforce

    result = pull_now(connected)

    assert result.counts["users_linked"] == 1
    links = dict(SalesforceUserLink.objects.filter(organization=world.org).values_list("user_id", "salesforce_id"))
    assert links[world.rep.user_id] == rep_user
    assert links[world.teammate.user_id] == ""  # only active users
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    mine = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    theirs = InteractionFactory(organization=world.org, kind="call", owner=world.teammate.user, contacts=[contact])
    offer = HelpOfferFactory(organization=world.org, contact=contact, user=world.rep.user)
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)

    assert owner_in_salesforce(emulator, "call", mine.pk) == rep_user
    assert owner_in_salesforce(emulator, "help_offer", offer.pk) == rep_user
    # No active Salesforce user: Salesforce's default, the connected integration user.
    assert owner_in_salesforce(emulator, "call", theirs.pk) == emulator.state.users[DEMO_USERNAME]


def test_members_are_looked_up_once_a_day_in_one_query(world, connected, emulator):
    salesforce_user(emulator, world.rep.user.email)
    pull_now(connected)
    first = SyncRun.objects.filter(kind="pull").latest("id")
    pull_now(connected)
    second = SyncRun.objects.filter(kind="pull").latest("id")

    assert "users_linked" in first.counts
    assert "users_linked" not in second.counts
    assert second.api_calls == first.api_calls - 1  # the users' query, and nothing else, was saved
    # Two hundred members still fit one query.
    assert len(user_email_queries([f"member{i}@northwind.example" for i in range(200)])) == 1


def test_an_org_that_refuses_the_users_query_still_pulls_and_pushes(world, connected, emulator):
    emulator.state.schema.pop("User")  # the API user may not read users (INVALID_TYPE)
    result = pull_now(connected)
    connected.refresh_from_db()

    assert result.run is not None and result.run.status == "succeeded"
    assert connected.users_check_error.startswith("INVALID_TYPE")
    assert not SalesforceUserLink.objects.exists()
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    call = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)
    assert owner_in_salesforce(emulator, "call", call.pk) == emulator.state.users[DEMO_USERNAME]


def test_the_emulator_refuses_an_unknown_or_inactive_owner_as_salesforce_does(emulator):
    api = Api(emulator)
    gone = salesforce_user(emulator, "gone@northwind.example", active=False)
    unknown = api("POST", "sobjects/Task/", json={"Subject": "Call", "OwnerId": "005000000000999AAA"})
    inactive = api("POST", "sobjects/Task/", json={"Subject": "Call", "OwnerId": gone})

    assert (unknown.status_code, unknown.json()[0]["errorCode"]) == (400, "INVALID_CROSS_REFERENCE_KEY")
    assert (inactive.status_code, inactive.json()[0]["errorCode"]) == (400, "INACTIVE_OWNER_OR_USER")


def test_the_mapping_page_says_who_owns_each_members_activity(world, connected, emulator):
    rep_user = salesforce_user(emulator, world.rep.user.email)
    client = client_for(world.admin)
    before = client.get(reverse("sync:mapping")).content.decode()
    pull_now(connected)
    after = client.get(reverse("sync:mapping")).content.decode()

    assert "Not looked up yet" in before
    assert rep_user in after
    assert "No active user with this email: the integration user" in after  # the teammate, the manager…


def test_a_refused_users_query_is_explained_on_the_mapping_page(world, connected, emulator):
    emulator.state.schema.pop("User")
    pull_now(connected)
    html = client_for(world.admin).get(reverse("sync:mapping")).content.decode()
    assert "Salesforce refused the users query (INVALID_TYPE" in html


def test_a_backfill_through_bulk_api_owns_each_task_too(world, connected, emulator, settings):
    settings.RELINTEL_SALESFORCE_BULK_THRESHOLD = 20
    rep_user = salesforce_user(emulator, world.rep.user.email)
    pull_now(connected)
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    calls = [
        InteractionFactory(organization=world.org, kind="call", owner=member.user, contacts=[contact])
        for member in [world.rep, world.teammate] * 15
    ]
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)  # the contact; the calls' rank goes to Bulk API 2.0
    assert bulk.bulk_start_due(organization_id=world.org.pk)
    run = SyncRun.objects.get(kind="backfill")
    bulk_poll_until_done(run.pk)

    owners = {call.owner_id: owner_in_salesforce(emulator, "call", call.pk) for call in calls}
    # A CSV's empty OwnerId leaves Salesforce's default, as for a collection without the field.
    assert owners == {world.rep.user_id: rep_user, world.teammate.user_id: emulator.state.users[DEMO_USERNAME]}


def test_an_outage_of_the_users_query_is_retried_at_the_next_pull(world, connected, emulator):
    salesforce_user(emulator, world.rep.user.email)
    emulator.state.faults.configure(unavailable_remaining=1)  # the pull's first call: the users query
    first = pull_now(connected)
    connected.refresh_from_db()

    assert first.run is not None and first.run.status == "succeeded"  # the pull itself went on
    assert connected.users_checked_at is None
    assert connected.users_check_error.startswith("SERVER_UNAVAILABLE")
    assert pull_now(connected).counts["users_linked"] == 1


def test_the_demo_org_has_salesforce_users_for_the_demo_rep_and_manager():
    from relintel.demo.constants import DEMO_LOGINS
    from sync.emulator import EmulatorState
    from sync.emulator.demo import seed_demo_org

    state = EmulatorState()
    seed_demo_org(state)
    emails = {record["Email"] for record in state.records["User"].values() if record["IsActive"]}
    assert {DEMO_LOGINS["rep"], DEMO_LOGINS["manager"]} <= emails


def test_connecting_again_looks_the_members_up_again(world, emulator):
    from tests.sync.test_connect_emulator import connect_through_the_page

    connection = connect_through_the_page(world, emulator)
    salesforce_user(emulator, world.rep.user.email)
    assert pull_now(connection).counts["users_linked"] == 1
    connection.refresh_from_db()
    assert connection.users_checked_at is not None

    connection = connect_through_the_page(world, emulator)  # perhaps another org now
    assert connection.users_checked_at is None
    assert "users_linked" in pull_now(connection).counts


def test_a_rep_deactivated_in_salesforce_is_unlinked_and_their_activity_goes_through(world, connected, emulator):
    username = f"{uuid.uuid4().hex[:8]}.{world.rep.user.email}"
    emulator.state.add_user(username, email=world.rep.user.email)
    pull_now(connected)
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    services.salesforce_initial_sync_enqueue(organization=world.org)
    push.run_push(organization_id=world.org.pk)  # the contact
    emulator.state.add_user(username, email=world.rep.user.email, active=False)  # left the company
    call = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.outbox_enqueue(organization_id=world.org.pk, kind="call", local_id=call.pk)

    push.run_push(organization_id=world.org.pk)
    entry = OutboxEntry.objects.get(object_kind="call", local_id=call.pk)
    connected.refresh_from_db()
    assert (entry.state, entry.last_error_code) == (OutboxState.PENDING, "INACTIVE_OWNER_OR_USER")  # retried
    assert connected.users_checked_at is None  # the next pull looks the members up again

    pull_now(connected)
    assert SalesforceUserLink.objects.get(user=world.rep.user).salesforce_id == ""
    OutboxEntry.objects.filter(pk=entry.pk).update(next_attempt_at=timezone.now())
    push.run_push(organization_id=world.org.pk)
    assert owner_in_salesforce(emulator, "call", call.pk) == emulator.state.users[DEMO_USERNAME]


def test_the_first_push_after_connecting_already_sends_each_reps_owner(world, connected, emulator):
    rep_user = salesforce_user(emulator, world.rep.user.email)
    contact = ContactFactory(organization=world.org, email="jane@initech.example")
    call = InteractionFactory(organization=world.org, kind="call", owner=world.rep.user, contacts=[contact])
    services.salesforce_initial_sync_enqueue(organization=world.org)

    push.run_push(organization_id=world.org.pk)  # no pull has run yet

    assert owner_in_salesforce(emulator, "call", call.pk) == rep_user
    connected.refresh_from_db()
    assert connected.users_checked_at is not None  # and the day's lookup is done
