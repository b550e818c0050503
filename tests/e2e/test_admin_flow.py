"""An admin invites a user and puts them in a team, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from relintel.accounts.models import Membership, Role
from tests.e2e.conftest import login, screenshot
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganizationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_invites_a_user_and_assigns_a_team(page):
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-admin")
    TeamFactory(organization=org, name="East")
    TeamFactory(organization=org, name="West")
    admin = MembershipFactory(
        organization=org, role=Role.ADMIN, user=UserFactory(email="ada@northwind.example", full_name="Ada Admin")
    )
    login(page, admin.user.email, TEST_PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name=re.compile("Invite", re.I)).first.click()
    page.get_by_label("Email").fill("newbie@northwind.example")
    page.get_by_label("Name").fill("Nora Newbie")
    page.get_by_label("Role", exact=True).select_option("rep")
    page.get_by_label(re.compile(r"^Team")).select_option(label="West")
    page.get_by_role("button", name=re.compile("invit", re.I)).click()
    expect(page.get_by_text("newbie@northwind.example").first).to_be_visible()
    screenshot(page, "members")

    # The invitation email carries a link; following it creates the account in team West.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invite/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    invite_path = "/invite/" + link.group(0).split("/invite/", 1)[1]
    page.get_by_role("button", name="Log out").click()
    page.goto(invite_path)
    page.get_by_label("Your full name").fill("Nora Newbie")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
    page.get_by_label("Password (again)").fill("a long enough passphrase 42")
    page.get_by_role("button", name=re.compile("join|accept|create", re.I)).click()
    page.wait_for_url(lambda url: "/invite/" not in url)
    membership = Membership.objects.select_related("team").get(user__email="newbie@northwind.example")
    assert membership.team is not None
    assert membership.team.name == "West"
    assert membership.role == Role.REP

    # Back as the admin: move Nora to East and make her a manager.
    page.get_by_role("button", name="Log out").click()
    login(page, admin.user.email, TEST_PASSWORD)
    page.goto("/manage/members/")
    page.get_by_role("link", name="Nora Newbie").click()
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_label(re.compile(r"^Team")).select_option(label="East")
    page.get_by_role("button", name=re.compile("save", re.I)).click()
    expect(page.get_by_text("Nora Newbie").first).to_be_visible()
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER
    assert membership.team is not None
    assert membership.team.name == "East"
    page.goto("/manage/teams/")
    screenshot(page, "teams")
