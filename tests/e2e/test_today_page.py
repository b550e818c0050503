"""The rep's Today page in a real browser: items by rule, dismiss with undo, snooze, deliver help."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Band, HelpStatus, NudgeAction
from relintel.accounts.models import Role
from tests.dashboards.makers import email, intro_request, relationship, suggestion
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    TEST_PASSWORD,
    CompanyFactory,
    ContactFactory,
    HelpOfferFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def busy_rep():
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-today")
    team = TeamFactory(organization=org, name="East")
    rep = MembershipFactory(
        organization=org,
        team=team,
        role=Role.REP,
        user=UserFactory(email="riley@northwind.example", full_name="Riley Rep"),
    )
    sam = MembershipFactory(
        organization=org,
        team=team,
        role=Role.REP,
        user=UserFactory(email="sam@northwind.example", full_name="Sam Seller"),
    )
    initech = CompanyFactory(organization=org, name="Initech")
    globex = CompanyFactory(organization=org, name="Globex")

    def person(first: str, last: str, company) -> object:
        return ContactFactory(
            organization=org, first_name=first, last_name=last, full_name=f"{first} {last}", company=company
        )

    peter = person("Peter", "Gibbons", initech)
    joanna = person("Joanna", "Martinez", globex)
    bill = person("Bill", "Lumbergh", initech)
    hank = person("Hank", "Scorpio", globex)
    milton = person("Milton", "Waddams", initech)
    email(rep, peter, at=ago(6), subject="Pricing for the 2027 renewal?", thread="<renewal@initech>")
    email(rep, joanna, at=ago(4), subject="Follow-up on the security review")
    today = timezone.localdate()
    HelpOfferFactory(
        contact=bill, user=rep.user, due_date=today - datetime.timedelta(days=2), description="Send our hiring playbook"
    )
    HelpOfferFactory(
        contact=joanna, user=rep.user, due_date=today + datetime.timedelta(days=3), description="Review her pitch deck"
    )
    relationship(
        rep, hank, band=Band.MEDIUM, previous_band=Band.STRONG, band_changed_at=ago(3), last_interaction_at=ago(24)
    )
    relationship(rep, milton, band=Band.STRONG, rhythm_days=6, last_interaction_at=ago(19), strength=72)
    intro_request(sam, rep, hank, message="Globex is hiring a CFO and I know just the person")
    suggestion(rep, joanna, peter, reason="Joanna needs a CFO; Peter knows CFO search", score=0.8)
    return rep


def test_a_rep_sees_today_dismisses_and_undoes_snoozes_and_delivers_help(page, busy_rep):
    login(page, busy_rep.user.email, TEST_PASSWORD)
    page.goto("/")  # without the "signed in" message
    expect(page.get_by_role("heading", name="Replies owed")).to_be_visible()
    screenshot(page, "rep-today")

    replies = page.locator("#group-reply")
    expect(replies.get_by_role("link", name="Peter Gibbons: Pricing for the 2027 renewal?", exact=True)).to_be_visible()
    replies.get_by_role("button", name="Dismiss: Peter Gibbons: Pricing for the 2027 renewal?").click()
    expect(replies.get_by_text("Dismissed.")).to_be_visible()
    assert NudgeAction.objects.filter(user=busy_rep.user, state="dismissed").count() == 1
    replies.get_by_role("button", name="Undo").click()
    expect(replies.get_by_role("button", name="Dismiss: Peter Gibbons: Pricing for the 2027 renewal?")).to_be_visible()
    assert not NudgeAction.objects.exists()

    cold = page.locator("#group-cold")
    cold.get_by_text("Snooze").first.click()
    cold.get_by_role("button", name="Next week").first.click()
    expect(cold.get_by_text("Snoozed until Mon")).to_be_visible()

    help_group = page.locator("#group-help")
    help_group.get_by_role("button", name="Delivered: Advice for Bill Lumbergh").click()
    expect(help_group.get_by_text("Delivered.")).to_be_visible()
    assert busy_rep.user.help_offers.get(contact__full_name="Bill Lumbergh").status == HelpStatus.DELIVERED

    page.reload()
    expect(page.locator("#group-help").get_by_text("Send our hiring playbook")).to_have_count(0)

    # A suggested introduction, offered from Today, becomes help to deliver.
    page.locator("#group-suggestion").get_by_role("button", name="Offer the intro").click()
    expect(page.get_by_text("Offered to introduce Joanna Martinez to Peter Gibbons")).to_be_visible()
    help_group = page.locator("#group-help")
    expect(help_group.get_by_role("link", name="Introduction for Joanna Martinez → Peter Gibbons")).to_be_visible()
    help_group.get_by_role("button", name="Delivered: Introduction for Joanna Martinez → Peter Gibbons").click()
    expect(help_group.get_by_text("Delivered.")).to_be_visible()

    # A teammate's request: accepted from Today, then introduced.
    intro = page.locator("#group-intro")
    intro.get_by_role("button", name="Accept").click()
    expect(page.locator("#group-intro").get_by_role("button", name="Introduced")).to_be_visible()
    page.locator("#group-intro").get_by_role("button", name="Introduced").click()
    expect(page.locator("#group-intro").get_by_text("No teammate is waiting")).to_be_visible()
