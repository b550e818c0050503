"""An admin reads, on the Salesforce mapping page, which Salesforce user owns each rep's activity."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from relintel.accounts.models import Role
from sync.salesforce import pull
from tests.e2e.conftest import login, screenshot
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.sync.emulator_fixtures import emulator_connection

pytest_plugins = ["tests.sync.emulator_fixtures"]
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_sees_who_owns_each_reps_activity_in_salesforce(page, emulator):
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-owners")
    admin = MembershipFactory(
        organization=org, role=Role.ADMIN, user=UserFactory(email="ada@northwind.example", full_name="Ada Admin")
    )
    MembershipFactory(
        organization=org, role=Role.REP, user=UserFactory(email="riley@northwind.example", full_name="Riley Rep")
    )
    MembershipFactory(
        organization=org, role=Role.REP, user=UserFactory(email="sam@northwind.example", full_name="Sam Seller")
    )
    riley_in_salesforce = emulator.state.add_user("riley@northwind.example.sf", email="Riley@Northwind.example")
    connection = emulator_connection(org, emulator)
    try:
        pull.pull_organization(connection=connection)  # the daily lookup runs with the first pull

        login(page, admin.user.email, TEST_PASSWORD)
        page.goto("/manage/salesforce/mapping/")
        owners = page.locator("#activity-owners")
        expect(owners.get_by_role("heading", name="Who owns each rep's activity in Salesforce")).to_be_visible()
        expect(owners.get_by_role("row", name="Riley Rep")).to_contain_text(riley_in_salesforce)
        expect(owners.get_by_role("row", name="Sam Seller")).to_contain_text("No active user with this email")
        owners.scroll_into_view_if_needed()
        screenshot(page, "salesforce-owners")
    finally:
        with emulator.state.lock:
            emulator.state.records["User"].pop(emulator.state.users.pop("riley@northwind.example.sf"), None)
            emulator.state.user_profiles.pop("riley@northwind.example.sf", None)
