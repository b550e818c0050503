"""The company page: profile, people, visible interactions, and who on the team knows them."""

import pytest
from django.urls import reverse

from activities.models import Visibility
from activities.services import relationships_refresh
from contacts.models import CompanyDomain
from tests.conftest import client_for
from tests.factories import CompanyFactory, ContactFactory, InteractionFactory


@pytest.fixture
def company(world):
    company = CompanyFactory(
        organization=world.org, name="Initech", website="https://initech.example", industry="Software"
    )
    CompanyDomain.objects.create(organization=world.org, company=company, domain="initech.example")
    return company


def _page(member, company):
    return client_for(member).get(reverse("activities:company_page", args=[company.pk]))


def test_the_company_page_shows_profile_people_and_recent_interactions(world, company):
    grace = ContactFactory(organization=world.org, company=company, first_name="Grace", last_name="Hopper")
    ContactFactory(organization=world.org, company=company, first_name="Ken", last_name="Thompson")
    InteractionFactory(
        organization=world.org,
        owner=world.teammate.user,
        team=world.team_a,
        visibility=Visibility.TEAM,
        subject="Initech roadmap",
        contacts=[grace],
    )
    body = _page(world.rep, company).content.decode()
    for text in ("Initech", "initech.example", "Software", "Grace Hopper", "Ken Thompson", "Initech roadmap"):
        assert text in body
    assert reverse("activities:contact_page", args=[grace.pk]) in body
    assert reverse("contacts:company_edit", args=[company.pk]) in body


def test_the_company_page_hides_interactions_the_member_may_not_see(world, company):
    grace = ContactFactory(organization=world.org, company=company)
    InteractionFactory(
        organization=world.org,
        owner=world.teammate.user,
        team=world.team_a,
        visibility=Visibility.PRIVATE,
        subject="Tom's private call",
        contacts=[grace],
    )
    InteractionFactory(
        organization=world.org,
        owner=world.rep.user,
        team=world.team_a,
        visibility=Visibility.TEAM,
        subject="East only",
        contacts=[grace],
    )
    assert "Tom's private call" not in _page(world.rep, company).content.decode()
    assert "Tom's private call" not in _page(world.manager, company).content.decode()
    assert "East only" not in _page(world.other_rep, company).content.decode()
    assert "East only" in _page(world.manager, company).content.decode()


def test_teammates_who_know_people_there_are_aggregated(world, company):
    grace = ContactFactory(organization=world.org, company=company)
    ken = ContactFactory(organization=world.org, company=company)
    for contact in (grace, ken, ken):
        InteractionFactory(organization=world.org, owner=world.teammate.user, team=world.team_a, contacts=[contact])
    relationships_refresh(organization_id=world.org.pk, contact_ids=[grace.pk, ken.pk])
    body = _page(world.rep, company).content.decode()
    assert "Tom Teammate" in body
    assert "2 contacts · 3 interactions" in body


def test_an_outsider_gets_404_for_the_company_page(world, company):
    assert _page(world.outsider, company).status_code == 404


def test_an_unknown_company_is_404(world):
    assert client_for(world.rep).get(reverse("activities:company_page", args=[999999])).status_code == 404
