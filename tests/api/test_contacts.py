"""/api/v1/contacts/: filters, writes through the services, duplicate emails and bad payloads."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contacts.models import Contact, ContactEmail, ContactPhone
from tests.factories import CompanyDomainFactory, CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def detail(contact_id: int) -> str:
    return f"{URL}{contact_id}/"


def row_counts() -> tuple[int, int, int]:
    return Contact.objects.count(), ContactEmail.objects.count(), ContactPhone.objects.count()


def test_rep_creates_a_contact_with_everything(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    response = api(world.rep).post(
        URL,
        {
            "full_name": "Dr. Grace Brewster Hopper",
            "emails": ["Grace@Acme.com", "grace@navy.mil"],
            "phones": [{"number": "(415) 555-0123", "kind": "mobile"}, {"number": "+44 20 7946 0958"}],
            "title": "Rear Admiral",
            "company": acme.pk,
            "linkedin_url": "https://www.linkedin.com/in/grace",
            "needs": "A COBOL compiler",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["first_name"] == "Grace"
    assert body["last_name"] == "Hopper"
    assert body["emails"] == ["grace@acme.com", "grace@navy.mil"]
    assert body["phones"] == [{"number": "+14155550123", "kind": "mobile"}, {"number": "+442079460958", "kind": "work"}]
    assert body["company"] == acme.pk
    assert body["owner"] == world.rep.user_id
    assert body["source"] == "api"
    assert body["last_interaction_at"] is None
    assert body["url"].endswith(detail(body["id"]))
    assert Contact.objects.get(pk=body["id"]).emails.get(is_primary=True).email == "grace@acme.com"


def test_a_new_contact_joins_the_company_of_its_email_domain_afterwards(world, api, django_capture_on_commit_callbacks):
    client = api(world.rep)
    company_id = client.post("/api/v1/companies/", {"name": "Acme", "domains": ["acme.com"]}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"full_name": "Wile E. Coyote", "emails": ["wile@acme.com"]})
    assert response.status_code == 201
    assert response.json()["company"] is None
    assert client.get(detail(response.json()["id"])).json()["company"] == company_id


def test_source_and_derived_names_cannot_be_written(world, api):
    response = api(world.rep).post(
        URL, {"full_name": "Ada Lovelace", "source": "salesforce", "first_name": "X", "last_interaction_at": None}
    )
    assert response.status_code == 201
    assert response.json()["source"] == "api"
    assert response.json()["first_name"] == "Ada"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": 42, "emails": "a@b.com"}, "emails"),
        ({"full_name": "Ada", "emails": ["not-an-email"]}, "emails"),
        ({"full_name": "Ada", "phones": [{"number": "12"}]}, "phones"),
        ({"full_name": "Ada", "phones": [{"number": "+14155550123", "kind": "pager"}]}, "phones"),
        ({"full_name": "Ada", "phones": ["+14155550123"]}, "phones"),
        ({"full_name": "Ada", "company": "acme"}, "company"),
        ({"full_name": "Ada", "company": 999999}, "company"),
        ({"full_name": "Ada", "owner": 999999}, "owner"),
        ({"full_name": "Ada", "linkedin_url": "not a url"}, "linkedin_url"),
        ({"full_name": ["Ada"]}, "full_name"),
    ],
)
def test_a_malformed_payload_is_a_400_naming_the_field_and_saves_nothing(world, api, payload, field):
    before = row_counts()
    response = api(world.rep).post(URL, payload)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"], body
    assert field in body["detail"]
    assert row_counts() == before


def test_a_body_that_is_not_json_is_a_400(world, api):
    response = api(world.rep).generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_duplicate_email_is_refused_with_the_existing_contact(world, api):
    existing = ContactFactory(organization=world.org, full_name="Grace Hopper", email="grace@acme.com")
    before = row_counts()
    response = api(world.teammate).post(
        URL,
        {
            "full_name": "G. Hopper",
            "emails": ["new@acme.com", " GRACE@acme.com "],
            "phones": [{"number": "+14155550123"}],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert "grace@acme.com" in body["errors"]["emails"][0]
    assert body["existing_contact"]["id"] == existing.pk
    assert body["existing_contact"]["full_name"] == "Grace Hopper"
    assert body["existing_contact"]["url"].endswith(detail(existing.pk))
    assert row_counts() == before


def test_the_existing_contact_link_leads_to_it(world, api):
    existing = ContactFactory(organization=world.org, email="grace@acme.com")
    client = api(world.rep)
    url = client.post(URL, {"full_name": "Grace", "emails": ["grace@acme.com"]}).json()["existing_contact"]["url"]
    assert client.get(url).json()["id"] == existing.pk


def test_an_email_of_another_organizations_contact_is_no_duplicate(world, api):
    ContactFactory(organization=world.other_org, email="grace@acme.com")
    assert api(world.rep).post(URL, {"full_name": "Grace", "emails": ["grace@acme.com"]}).status_code == 201


def test_changing_to_another_contacts_email_is_refused_and_nothing_changes(world, api):
    ContactFactory(organization=world.org, full_name="Grace Hopper", email="grace@acme.com")
    mine = ContactFactory(organization=world.org, full_name="Ada Lovelace", email="ada@acme.com")
    response = api(world.rep).patch(detail(mine.pk), {"full_name": "Ada King", "emails": ["grace@acme.com"]})
    assert response.status_code == 400
    assert response.json()["existing_contact"]["full_name"] == "Grace Hopper"
    mine.refresh_from_db()
    assert mine.full_name == "Ada Lovelace"
    assert [e.email for e in mine.emails.all()] == ["ada@acme.com"]


def test_a_company_of_another_organization_is_no_such_company(world, api):
    theirs = CompanyFactory(organization=world.other_org)
    response = api(world.rep).post(URL, {"full_name": "Ada", "company": theirs.pk})
    assert response.status_code == 400
    assert response.json()["errors"]["company"] == ["No such company."]
    assert Contact.objects.count() == 0


def test_patch_changes_only_what_is_given(world, api):
    person = ContactFactory(organization=world.org, full_name="Ada Lovelace", email="ada@acme.com", title="Countess")
    response = api(world.rep).patch(detail(person.pk), {"needs": "An engine", "phones": [{"number": "+14155550123"}]})
    assert response.status_code == 200
    body = response.json()
    assert body["needs"] == "An engine"
    assert body["title"] == "Countess"
    assert body["emails"] == ["ada@acme.com"]
    assert body["phones"] == [{"number": "+14155550123", "kind": "work"}]


def test_put_replaces_the_contact(world, api):
    acme = CompanyFactory(organization=world.org)
    person = ContactFactory(organization=world.org, full_name="Ada Lovelace", title="Countess", company=acme)
    response = api(world.rep).put(detail(person.pk), {"full_name": "Ada King", "emails": ["ada@king.org"]})
    assert response.status_code == 200
    body = response.json()
    assert (body["full_name"], body["last_name"], body["title"], body["company"]) == ("Ada King", "King", "", None)


def test_the_primary_email_moves_to_the_first_of_the_list(world, api):
    person = ContactFactory(organization=world.org, email="old@acme.com")
    body = api(world.rep).patch(detail(person.pk), {"emails": ["new@acme.com", "old@acme.com"]}).json()
    assert body["emails"] == ["new@acme.com", "old@acme.com"]
    assert person.emails.get(is_primary=True).email == "new@acme.com"


def test_a_contact_can_lose_its_company(world, api):
    person = ContactFactory(organization=world.org, company=CompanyFactory(organization=world.org))
    assert api(world.rep).patch(detail(person.pk), {"company": None}).json()["company"] is None


def test_a_bad_update_changes_nothing(world, api):
    person = ContactFactory(organization=world.org, full_name="Ada Lovelace")
    response = api(world.rep).patch(detail(person.pk), {"full_name": "Ada King", "phones": [{"number": "nope"}]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phones"]
    person.refresh_from_db()
    assert person.full_name == "Ada Lovelace"


def test_rep_deletes_a_contact(world, api):
    person = ContactFactory(organization=world.org, email="ada@acme.com")
    assert api(world.rep).delete(detail(person.pk)).status_code == 204
    assert row_counts() == (0, 0, 0)


def test_the_list_searches_names_emails_and_companies(world, api):
    acme = CompanyFactory(organization=world.org, name="Acme")
    ada = ContactFactory(organization=world.org, full_name="Ada Lovelace", email="ada@engine.org")
    ada.search_text = "ada lovelace ada@engine.org acme"
    ada.company = acme
    ada.save()
    ContactFactory(organization=world.org, full_name="Grace Hopper")
    client = api(world.rep)
    for q in ("lovelace", "engine.org", "acme", "ADA acme"):
        assert [c["full_name"] for c in client.get(URL, {"q": q}).json()["results"]] == ["Ada Lovelace"], q
    assert client.get(URL, {"q": "nobody"}).json()["count"] == 0


def test_the_list_filters_by_company_owner_and_mine(world, api):
    acme = CompanyFactory(organization=world.org)
    ContactFactory(organization=world.org, full_name="At Acme", company=acme, owner=world.teammate.user)
    ContactFactory(organization=world.org, full_name="Mine", owner=world.rep.user)
    client = api(world.rep)

    def names(**params):
        return [c["full_name"] for c in client.get(URL, params).json()["results"]]

    assert names(company=acme.pk) == ["At Acme"]
    assert names(owner=world.teammate.user_id) == ["At Acme"]
    assert names(mine="true") == ["Mine"]
    assert sorted(names()) == ["At Acme", "Mine"]


def test_the_list_sorts(world, api):
    now = timezone.now()
    ContactFactory(organization=world.org, first_name="Ada", last_name="Byron", full_name="Ada Byron")
    ContactFactory(
        organization=world.org,
        first_name="Zed",
        last_name="Adams",
        full_name="Zed Adams",
        last_interaction_at=now - datetime.timedelta(days=1),
    )
    ContactFactory(
        organization=world.org, first_name="Cy", last_name="Cole", full_name="Cy Cole", last_interaction_at=now
    )
    client = api(world.rep)

    def order(sort):
        return [c["last_name"] for c in client.get(URL, {"sort": sort}).json()["results"]]

    assert order("name") == ["Adams", "Byron", "Cole"]
    assert order("-name") == ["Cole", "Byron", "Adams"]
    assert order("recent") == ["Cole", "Adams", "Byron"]
    assert order("created") == ["Cole", "Adams", "Byron"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "shoe-size"}, "sort"),
        ({"company": "acme"}, "company"),
        ({"owner": "-3"}, "owner"),
        ({"mine": "maybe"}, "mine"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(world, api, params, field):
    response = api(world.rep).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_list_is_paginated(world, api):
    for _ in range(3):
        ContactFactory(organization=world.org)
    page = api(world.rep).get(URL, {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert "page=2" in page["next"]


def test_merged_contacts_are_not_listed(world, api):
    survivor = ContactFactory(organization=world.org)
    ContactFactory(organization=world.org, merged_into=survivor)
    assert api(world.rep).get(URL).json()["count"] == 1


def test_outsider_gets_404_on_every_contact_route(world, api):
    person = ContactFactory(organization=world.org, full_name="Ada Lovelace")
    client = api(world.outsider)
    assert client.get(detail(person.pk)).status_code == 404
    assert client.patch(detail(person.pk), {"full_name": "Mine"}).status_code == 404
    assert client.put(detail(person.pk), {"full_name": "Mine"}).status_code == 404
    assert client.delete(detail(person.pk)).status_code == 404
    person.refresh_from_db()
    assert person.full_name == "Ada Lovelace"


def test_outsider_never_sees_our_contacts_in_the_list(world, api):
    acme = CompanyFactory(organization=world.org)
    ContactFactory(organization=world.org, company=acme, owner=world.rep.user)
    client = api(world.outsider)
    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"company": acme.pk}).json()["count"] == 0
    assert client.get(URL, {"owner": world.rep.user_id}).json()["count"] == 0


def test_company_domain_matching_ignores_other_organizations(world, api, django_capture_on_commit_callbacks):
    CompanyDomainFactory(company=CompanyFactory(organization=world.other_org), domain="acme.com")
    client = api(world.rep)
    with django_capture_on_commit_callbacks(execute=True):
        contact_id = client.post(URL, {"full_name": "Wile", "emails": ["wile@acme.com"]}).json()["id"]
    assert client.get(detail(contact_id)).json()["company"] is None
