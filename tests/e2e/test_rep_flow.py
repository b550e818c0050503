"""A rep's day in a real browser: find a contact, log a call and a help offer, see both."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from relintel.accounts.models import Role
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    TEST_PASSWORD,
    CompanyDomainFactory,
    CompanyFactory,
    ContactFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team_with_contacts():
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-e2e")
    team = TeamFactory(organization=org, name="East")
    rep = MembershipFactory(
        organization=org,
        team=team,
        role=Role.REP,
        user=UserFactory(email="riley@northwind.example", full_name="Riley Rep"),
    )
    admin = MembershipFactory(
        organization=org, role=Role.ADMIN, user=UserFactory(email="ada@northwind.example", full_name="Ada Admin")
    )
    company = CompanyFactory(organization=org, name="Initech", industry="Software")
    CompanyDomainFactory(company=company, domain="initech.example")
    ContactFactory(
        organization=org,
        first_name="Peter",
        last_name="Gibbons",
        full_name="Peter Gibbons",
        company=company,
        title="Software Engineer",
        needs="A new job with fewer TPS reports",
        email="peter@initech.example",
    )
    for first, last in [("Samir", "Nagheenanajar"), ("Michael", "Bolton"), ("Milton", "Waddams")]:
        ContactFactory(
            organization=org,
            first_name=first,
            last_name=last,
            full_name=f"{first} {last}",
            company=company,
            email=f"{first.lower()}@initech.example",
        )
    return rep, admin


def test_a_rep_finds_a_contact_logs_a_call_and_a_help_offer_and_sees_them(page, team_with_contacts):
    rep, _ = team_with_contacts
    login(page, rep.user.email, TEST_PASSWORD)
    screenshot(page, "home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_label("Search").fill("gibbons")
    results = page.locator("table")
    expect(results.get_by_role("link", name="Peter Gibbons")).to_be_visible()
    expect(results.get_by_role("link", name="Michael Bolton")).to_have_count(0)
    page.get_by_label("Search").fill("")
    expect(results.get_by_role("link", name="Michael Bolton")).to_be_visible()
    screenshot(page, "contacts")
    page.get_by_label("Search").fill("peter@initech")
    results.get_by_role("link", name="Peter Gibbons").click()
    expect(page.get_by_role("heading", name="Peter Gibbons", level=1)).to_be_visible()

    # Log a call.
    page.get_by_role("link", name="Log interaction").first.click()
    page.get_by_label("What happened").select_option("call")
    page.get_by_label("Subject").fill("Catch-up on the migration project")
    page.get_by_label("Notes").fill("Peter is unhappy with the TPS reports.")
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_role("heading", name="Peter Gibbons", level=1)).to_be_visible()
    expect(page.get_by_text("Catch-up on the migration project")).to_be_visible()

    # Offer help.
    page.get_by_role("link", name="Offer help").first.click()
    page.get_by_label("Kind of help").select_option("advice")
    page.get_by_label("What").fill("Review his CV before the interview")
    page.get_by_role("button", name="Record help").click()
    expect(page.get_by_role("heading", name="Peter Gibbons", level=1)).to_be_visible()
    expect(page.get_by_text("Review his CV before the interview")).to_be_visible()
    expect(page.get_by_text("Catch-up on the migration project")).to_be_visible()
    screenshot(page, "contact")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My help offers").click()
    expect(page.get_by_text("Review his CV before the interview")).to_be_visible()
    screenshot(page, "help-offers")

    page.get_by_role("link", name="Initech").first.click() if page.get_by_role("link", name="Initech").count() else None
    page.goto("/companies/")
    page.get_by_role("link", name="Initech").first.click()
    expect(page.get_by_role("heading", name="Initech", level=1)).to_be_visible()
    screenshot(page, "company")


def test_the_contacts_page_is_usable_on_a_phone(browser, live_server, team_with_contacts):
    rep, _ = team_with_contacts
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        login(page, rep.user.email, TEST_PASSWORD)
        page.goto("/contacts/")
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts")).to_be_visible()
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_label("Search")).to_be_visible()
        screenshot(page, "contacts-phone")
    finally:
        context.close()
