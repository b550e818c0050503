"""The target-account list: managers manage their team's, admins any list, reps and outsiders nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import TargetAccount
from tests.conftest import client_for
from tests.factories import CompanyFactory

TARGETS = reverse("dashboards:team_targets")


@pytest.fixture
def initech(world):
    return CompanyFactory(organization=world.org, name="Initech")


def remove_url(target):
    return reverse("dashboards:team_target_remove", args=[target.pk])


def test_a_manager_searches_a_company_and_adds_it_to_their_team(world, initech):
    client = client_for(world.manager)
    body = client.get(TARGETS, {"q": "initech"}).content.decode()
    assert "Initech" in body and 'name="company"' in body
    response = client.post(TARGETS, {"company": initech.pk})
    assert response.status_code == 302
    target = TargetAccount.objects.get()
    assert (target.team, target.company, target.added_by) == (world.team_a, initech, world.manager.user)
    page = client.get(TARGETS).content.decode()
    assert "Initech" in page and "Uncovered" in page


def test_adding_twice_or_without_a_company_says_why_and_changes_nothing(world, initech):
    client = client_for(world.manager)
    client.post(TARGETS, {"company": initech.pk})
    body = client.post(TARGETS, {"company": initech.pk}, follow=True).content.decode()
    assert "already on this list" in body
    body = client.post(TARGETS, {"company": ""}, follow=True).content.decode()
    assert "company: choose a company" in body
    assert TargetAccount.objects.count() == 1


def test_a_manager_removes_from_their_list_but_not_from_the_organizations(world, initech):
    mine = TargetAccount.objects.create(organization=world.org, team=world.team_a, company=initech)
    org_wide = TargetAccount.objects.create(
        organization=world.org, team=None, company=CompanyFactory(organization=world.org)
    )
    client = client_for(world.manager)
    assert client.post(remove_url(org_wide)).status_code == 403
    assert client.post(remove_url(mine)).status_code == 302
    assert list(TargetAccount.objects.all()) == [org_wide]


def test_an_admin_manages_the_organization_wide_list(world, initech):
    client = client_for(world.admin)
    assert client.post(TARGETS, {"team": "org", "company": initech.pk}).status_code == 302
    assert TargetAccount.objects.get().team is None
    assert "whole organization" in client.get(TARGETS, {"team": "org"}).content.decode()


def test_reps_get_403_and_managers_404_for_another_team(world, initech):
    assert client_for(world.rep).get(TARGETS).status_code == 403
    assert client_for(world.manager).get(TARGETS, {"team": world.team_b.pk}).status_code == 404
    assert client_for(world.manager).get(TARGETS, {"team": "org"}).status_code == 404
    assert client_for(world.manager).post(TARGETS, {"team": world.team_b.pk, "company": initech.pk}).status_code == 404
    assert not TargetAccount.objects.exists()


def test_an_outsider_gets_404_for_our_targets_and_companies(world, initech):
    target = TargetAccount.objects.create(organization=world.org, team=world.team_a, company=initech)
    client = client_for(world.outsider)
    assert client.post(remove_url(target)).status_code == 404
    assert client.get(TARGETS, {"team": world.team_a.pk}).status_code == 404
    assert client.post(TARGETS, {"team": "org", "company": initech.pk}).status_code == 404
    assert "Initech" not in client.get(TARGETS, {"team": "org", "q": "initech"}).content.decode()
    assert TargetAccount.objects.count() == 1
