"""The manager's team dashboard in a real browser: figures, a chosen period, a CSV download."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Direction, InteractionKind
from activities.rollups import activity_rollups_rebuild
from activities.services import relationships_rebuild
from relintel.accounts.models import Role
from tests.e2e.conftest import login, screenshot
from tests.factories import (
    TEST_PASSWORD,
    CompanyFactory,
    ContactFactory,
    InteractionFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team_with_activity():
    org = OrganizationFactory(name="Northwind Partners", slug="northwind-team")
    team = TeamFactory(organization=org, name="East")

    def member(email: str, name: str, role: str):
        return MembershipFactory(organization=org, team=team, role=role, user=UserFactory(email=email, full_name=name))

    manager = member("maya@northwind.example", "Maya Manager", Role.MANAGER)
    riley = member("riley@northwind.example", "Riley Rep", Role.REP)
    sam = member("sam@northwind.example", "Sam Seller", Role.REP)
    initech = CompanyFactory(organization=org, name="Initech")
    now = timezone.now()
    for n, rep in enumerate([riley, riley, riley, sam]):
        contact = ContactFactory(organization=org, first_name=f"Pat{n}", last_name="Jones", company=initech)
        for days, kind, direction in [
            (3, InteractionKind.MEETING, Direction.OUTBOUND),
            (9, InteractionKind.CALL, Direction.INBOUND),
            (16, InteractionKind.EMAIL, Direction.OUTBOUND),
            (17, InteractionKind.EMAIL, Direction.INBOUND),
        ]:
            InteractionFactory(
                organization=org,
                owner=rep.user,
                team=team,
                kind=kind,
                direction=direction,
                occurred_at=now - datetime.timedelta(days=days),
                contacts=[contact],
            )
    relationships_rebuild(organization_id=org.pk)
    activity_rollups_rebuild(organization_id=org.pk)
    return manager


def test_a_manager_reads_the_team_dashboard_and_downloads_a_csv(page, team_with_activity):
    login(page, team_with_activity.user.email, TEST_PASSWORD)
    page.goto("/team/")

    expect(page.get_by_role("heading", name="Team dashboard: East")).to_be_visible()
    expect(page.get_by_role("heading", name="Interactions by kind per week")).to_be_visible()
    activity = page.locator("section", has=page.get_by_role("heading", name="Interactions by kind per week"))
    expect(activity.get_by_role("row", name="Riley Rep Rep 6 3 3 0 12")).to_be_visible()
    expect(activity.get_by_role("row", name="Sam Seller Rep 2 1 1 0 4")).to_be_visible()
    screenshot(page, "team-dashboard")

    page.get_by_label("Last 4 weeks").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Last 4 weeks").first).to_be_visible()

    with page.expect_download() as info:
        activity.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    assert "east" in download.suggested_filename.lower()
    content = download.path().read_bytes().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    header, body = table[0], table[1:]
    assert len(header) > 2
    flat = "\n".join(",".join(row) for row in body)
    assert "Riley Rep" in flat
    assert "Sam Seller" in flat
