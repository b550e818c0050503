"""/api/v1/dashboards/team/ and /api/v1/target-accounts/: the team dashboard over the API."""

from __future__ import annotations

import pytest
from django.utils import timezone

from activities.rollups import activity_rollups_rebuild
from contacts.models import Band, HelpStatus, Relationship, TargetAccount
from tests.factories import CompanyFactory, ContactFactory, HelpOfferFactory, InteractionFactory, TeamFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/api/v1/dashboards/team/"
TARGETS = "/api/v1/target-accounts/"


@pytest.fixture(autouse=True)
def uncached(settings):
    """Figures computed on every request here (caching has its own test)."""
    settings.RELINTEL_TEAM_FIGURES_CACHE_SECONDS = 0


@pytest.fixture
def initech(world):
    return CompanyFactory(organization=world.org, name="Initech")


def test_a_manager_gets_their_teams_figures_for_a_period(world, api, initech):
    contact = ContactFactory(organization=world.org, company=initech)
    InteractionFactory(organization=world.org, owner=world.rep.user, kind="call", contacts=[contact])
    Relationship.objects.create(organization=world.org, user=world.rep.user, contact=contact, band=Band.STRONG)
    HelpOfferFactory(contact=contact, user=world.rep.user, status=HelpStatus.DELIVERED, delivered_at=timezone.now())
    TargetAccount.objects.create(organization=world.org, team=world.team_a, company=initech)
    activity_rollups_rebuild(organization_id=world.org.pk)
    response = api(world.manager).get(DASHBOARD, {"period": "4w"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["team"] == {"id": world.team_a.pk, "name": "East"}
    assert body["period"]["key"] == "4w"
    assert len(body["weeks"]) == 4 and body["weeks"][-1]["call"] == 1
    rita = next(m for m in body["members"] if m["user"] == world.rep.user_id)
    assert rita["interactions"]["call"] == 1
    assert rita["bands"] == {"strong": 1, "medium": 0, "weak": 0, "cold": 0}
    assert rita["give_first"] == {"help_delivered": 1, "intros_made": 0, "asks": 0, "index": 1.0}
    assert "replies_owed" in rita
    assert body["team_totals"]["give_first"]["help_delivered"] == 1
    assert body["accounts_at_risk"]["one_person_total"] == 1
    assert body["accounts_at_risk"]["accounts"][0]["company_name"] == "Initech"
    assert body["target_accounts"][0]["coverage"] == "thin"


def test_a_rep_gets_403_and_a_manager_404_for_another_team(world, api):
    assert api(world.rep).get(DASHBOARD).status_code == 403
    assert api(world.manager).get(DASHBOARD, {"team": world.team_b.pk}).status_code == 404


def test_an_admin_chooses_any_team_and_an_outsider_gets_404_for_ours(world, api):
    body = api(world.admin).get(DASHBOARD, {"team": world.team_b.pk}).json()
    assert [m["name"] for m in body["members"]] == ["Wes West"]
    assert api(world.outsider).get(DASHBOARD, {"team": world.team_a.pk}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "1y"}, "period"), ({"from": "2026-02-01", "to": "2026-01-01"}, "to"), ({"team": "east"}, "team")],
)
def test_a_bad_query_is_a_400_naming_the_field(world, api, params, field):
    response = api(world.manager).get(DASHBOARD, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_manager_adds_lists_and_removes_their_teams_target_accounts(world, api, initech):
    client = api(world.manager)
    response = client.post(TARGETS, {"company": initech.pk, "team": world.team_a.pk})
    assert response.status_code == 201, response.json()
    target_id = response.json()["id"]
    assert response.json()["company_name"] == "Initech"
    assert [t["id"] for t in client.get(TARGETS).json()["results"]] == [target_id]
    again = client.post(TARGETS, {"company": initech.pk, "team": world.team_a.pk})
    assert again.status_code == 400 and "company" in again.json()["errors"]
    assert client.delete(f"{TARGETS}{target_id}/").status_code == 204
    assert not TargetAccount.objects.exists()


def test_only_admins_manage_other_teams_and_the_organization_list(world, api, initech):
    assert api(world.manager).post(TARGETS, {"company": initech.pk, "team": world.team_b.pk}).status_code == 403
    assert api(world.manager).post(TARGETS, {"company": initech.pk, "team": None}).status_code == 403
    assert api(world.rep).post(TARGETS, {"company": initech.pk, "team": world.team_a.pk}).status_code == 403
    response = api(world.admin).post(TARGETS, {"company": initech.pk, "team": None})
    assert response.status_code == 201 and response.json()["team"] is None
    # Everyone sees the organization-wide list; a manager cannot remove from it.
    target_id = response.json()["id"]
    assert api(world.rep).get(f"{TARGETS}{target_id}/").status_code == 200
    assert api(world.manager).delete(f"{TARGETS}{target_id}/").status_code == 403


def test_a_bad_target_account_is_a_400_naming_the_field(world, api, initech):
    foreign = CompanyFactory(organization=world.other_org)
    foreign_team = TeamFactory(organization=world.other_org)
    admin = api(world.admin)
    assert "company" in admin.post(TARGETS, {"company": foreign.pk}).json()["errors"]
    assert "company" in admin.post(TARGETS, {"company": "initech"}).json()["errors"]
    assert "team" in admin.post(TARGETS, {"company": initech.pk, "team": foreign_team.pk}).json()["errors"]


def test_an_outsider_never_sees_or_removes_our_target_accounts(world, api, initech):
    target = TargetAccount.objects.create(organization=world.org, team=world.team_a, company=initech)
    outsider = api(world.outsider)
    assert outsider.get(TARGETS).json()["results"] == []
    assert outsider.get(f"{TARGETS}{target.pk}/").status_code == 404
    assert outsider.delete(f"{TARGETS}{target.pk}/").status_code == 404
    assert api(world.other_rep).get(f"{TARGETS}{target.pk}/").status_code == 404  # team A's list, not West's


def test_the_dashboard_and_target_accounts_are_in_the_schema(world, api):
    schema = api(world.rep).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/dashboards/team/" in schema["paths"]
    assert "/api/v1/target-accounts/{id}/" in schema["paths"]
