"""/api/v1/companies/: list, search, create, read, change, delete — inside one organization."""

from __future__ import annotations

import pytest

from contacts.models import Company, CompanyDomain, Contact
from tests.factories import CompanyDomainFactory, CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/companies/"


def detail(company_id: int) -> str:
    return f"{URL}{company_id}/"


def test_rep_creates_a_company_with_domains(world, api):
    response = api(world.rep).post(
        URL,
        {"name": "Acme Corp", "domains": ["https://www.Acme.com/about", "acme.io"], "website": "https://acme.com"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"]
    assert body["domains"] == ["acme.com", "acme.io"]
    assert body["contact_count"] == 0
    assert body["url"].endswith(detail(body["id"]))
    assert body["salesforce_id"] == ""
    assert Company.objects.get(pk=body["id"]).organization == world.org


def test_the_minimal_create_returns_201_with_an_id(world, api):
    response = api(world.rep).post(URL, {"name": "Acme", "domains": ["acme.com"]})
    assert response.status_code == 201
    assert isinstance(response.json()["id"], int)


def test_a_company_needs_a_name(world, api):
    response = api(world.rep).post(URL, {"domains": ["acme.com"]})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert Company.objects.count() == 0


def test_a_malformed_domain_is_a_400_naming_domains(world, api):
    response = api(world.rep).post(URL, {"name": "Acme", "domains": ["not a domain"]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["domains"]
    assert Company.objects.count() == 0


def test_domains_must_be_a_list(world, api):
    response = api(world.rep).post(URL, {"name": "Acme", "domains": "acme.com"})
    assert response.status_code == 400
    assert "domains" in response.json()["errors"]


def test_a_domain_another_company_has_is_refused_and_nothing_is_saved(world, api):
    CompanyDomainFactory(company=CompanyFactory(organization=world.org, name="First"), domain="acme.com")
    before = Company.objects.count()
    response = api(world.rep).post(URL, {"name": "Second", "domains": ["acme.com"]})
    assert response.status_code == 400
    assert "First" in response.json()["errors"]["domains"][0]
    assert Company.objects.count() == before


def test_the_same_domain_may_belong_to_a_company_of_another_organization(world, api):
    CompanyDomainFactory(company=CompanyFactory(organization=world.other_org), domain="acme.com")
    assert api(world.rep).post(URL, {"name": "Acme", "domains": ["acme.com"]}).status_code == 201


def test_the_list_searches_by_name_and_domain_and_counts_contacts(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    CompanyDomainFactory(company=acme, domain="acme.com")
    CompanyFactory(organization=world.org, name="Initech")
    ContactFactory(organization=world.org, company=acme)
    client = api(world.rep)
    by_name = client.get(URL, {"q": "acm"}).json()
    assert [c["name"] for c in by_name["results"]] == ["Acme"]
    assert by_name["results"][0]["contact_count"] == 1
    assert [c["name"] for c in client.get(URL, {"q": "acme.com"}).json()["results"]] == ["Acme"]
    assert client.get(URL).json()["count"] == 2


def test_the_list_is_paginated(world, api):
    for n in range(5):
        CompanyFactory(organization=world.org, name=f"Company {n}")
    page = api(world.rep).get(URL, {"page_size": 2, "page": 2}).json()
    assert page["count"] == 5
    assert [c["name"] for c in page["results"]] == ["Company 2", "Company 3"]
    assert page["next"] and page["previous"]


def test_a_page_past_the_end_is_a_404(world, api):
    assert api(world.rep).get(URL, {"page": 9}).status_code == 404


def test_rep_reads_a_company(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    ContactFactory(organization=world.org, company=acme)
    body = api(world.rep).get(detail(acme.pk)).json()
    assert body["name"] == "Acme"
    assert body["contact_count"] == 1


def test_patch_changes_only_what_is_given(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme", industry="Widgets")
    CompanyDomainFactory(company=acme, domain="acme.com")
    response = api(world.rep).patch(detail(acme.pk), {"name": "Acme Inc"})
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Inc"
    assert response.json()["industry"] == "Widgets"
    assert response.json()["domains"] == ["acme.com"]


def test_put_replaces_the_company(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme", industry="Widgets")
    CompanyDomainFactory(company=acme, domain="acme.com")
    response = api(world.rep).put(detail(acme.pk), {"name": "Acme", "domains": ["acme.io"]})
    assert response.status_code == 200
    assert response.json()["domains"] == ["acme.io"]
    assert response.json()["industry"] == ""


def test_a_bad_update_changes_nothing(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    response = api(world.rep).patch(detail(acme.pk), {"name": "Renamed", "domains": ["bad domain"]})
    assert response.status_code == 400
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_an_owner_must_be_a_member_of_the_organization(world, api):
    response = api(world.rep).post(URL, {"name": "Acme", "owner": world.outsider.user_id})
    assert response.status_code == 400
    assert response.json()["errors"]["owner"] == ["No such member."]


def test_an_owner_from_the_organization_is_kept(world, api):
    response = api(world.rep).post(URL, {"name": "Acme", "owner": world.teammate.user_id})
    assert response.json()["owner"] == world.teammate.user_id


def test_deleting_a_company_keeps_its_contacts(world, api):
    acme = CompanyFactory(organization=world.org)
    person = ContactFactory(organization=world.org, company=acme)
    assert api(world.rep).delete(detail(acme.pk)).status_code == 204
    assert not Company.objects.filter(pk=acme.pk).exists()
    person.refresh_from_db()
    assert person.company is None


def test_outsider_gets_404_on_every_company_route(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    client = api(world.outsider)
    assert client.get(detail(acme.pk)).status_code == 404
    assert client.patch(detail(acme.pk), {"name": "Mine"}).status_code == 404
    assert client.put(detail(acme.pk), {"name": "Mine"}).status_code == 404
    assert client.delete(detail(acme.pk)).status_code == 404
    acme.refresh_from_db()
    assert acme.name == "Acme"


def test_outsider_never_sees_our_companies_in_the_list(world, api):
    CompanyFactory(organization=world.org, name="Acme")
    assert api(world.outsider).get(URL).json()["count"] == 0
    assert api(world.outsider).get(URL, {"q": "acme"}).json()["count"] == 0


def test_an_id_that_is_not_a_number_is_a_404(world, api):
    assert api(world.rep).get(f"{URL}abc/").status_code == 404


def test_company_domains_are_stored_in_the_organization(world, api):
    api(world.rep).post(URL, {"name": "Acme", "domains": ["acme.com"]})
    assert CompanyDomain.objects.get().organization_id == world.org.pk
    assert Contact.objects.count() == 0
