"""Contacts and companies pages: list, search, filters, forms, deletes, isolation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, HelpStatus
from tests.conftest import World, client_for
from tests.contacts.makers import make_company, make_contact, make_offer
from tests.factories import CompanyDomainFactory

pytestmark = pytest.mark.django_db

LIST = reverse("contacts:list")


def _names(response: Any) -> list[str]:
    return [c.full_name for c in response.context["page"].object_list]


def _contact_form(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Grace Hopper",
        "emails": "grace@navy.example\ng.hopper@gmail.com",
        "phones": "+1 415 555 0123\nmobile: +44 20 7946 0018",
        "title": "Rear Admiral",
        "company": "",
        "location": "Arlington",
        "linkedin_url": "",
        "interests": "compilers",
        "needs": "a COBOL team",
        "expertise": "debugging",
        "notes": "Met at the conference.",
        "owner": "",
    }
    data.update(overrides)
    return data


# --- list ----------------------------------------------------------------------


def test_list_shows_our_contacts_with_company_email_and_owner(world: World, rep_client: Client) -> None:
    company = make_company(organization=world.org, name="Initech")
    contact = make_contact(
        organization=world.org,
        first_name="Peter",
        last_name="Gibbons",
        full_name="Peter Gibbons",
        title="Engineer",
        company=company,
        owner=world.rep.user,
        email="peter@initech.example",
        last_interaction_at=timezone.now() - datetime.timedelta(days=3),
    )
    response = rep_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("activities:contact_page", args=[contact.pk]) in html
    assert reverse("activities:company_page", args=[company.pk]) in html
    assert "peter@initech.example" in html
    assert "Rita Rep" in html
    assert "3\xa0days ago" in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html


def test_search_matches_name_email_and_company(world: World, rep_client: Client) -> None:
    acme = make_company(organization=world.org, name="Acme Rockets")
    make_contact(organization=world.org, full_name="Ada Lovelace", search_text="ada lovelace")
    make_contact(organization=world.org, full_name="Alan Turing", search_text="alan turing alan@bletchley.example")
    make_contact(organization=world.org, full_name="Wile Coyote", search_text="wile coyote acme rockets", company=acme)

    assert _names(rep_client.get(LIST, {"q": "lovelace"})) == ["Ada Lovelace"]
    assert _names(rep_client.get(LIST, {"q": "bletchley"})) == ["Alan Turing"]
    assert _names(rep_client.get(LIST, {"q": "ACME"})) == ["Wile Coyote"]
    assert _names(rep_client.get(LIST, {"q": "nobody-like-this"})) == []


def test_htmx_search_returns_only_the_results_partial(world: World, rep_client: Client) -> None:
    make_contact(organization=world.org, full_name="Ada Lovelace", search_text="ada lovelace")
    response = rep_client.get(LIST, {"q": "ada"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Ada Lovelace" in html
    assert "<html" not in html
    assert 'id="contact-q"' not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(world: World, rep_client: Client) -> None:
    response = rep_client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_filters_by_company_owner_mine_and_open_help(world: World, rep_client: Client) -> None:
    initech = make_company(organization=world.org, name="Initech")
    mine = make_contact(organization=world.org, full_name="Mine Contact", owner=world.rep.user)
    theirs = make_contact(organization=world.org, full_name="Their Contact", owner=world.teammate.user, company=initech)
    helped = make_contact(organization=world.org, full_name="Helped Contact")
    make_offer(contact=helped, user=world.rep.user)
    closed = make_contact(organization=world.org, full_name="Closed Help")
    make_offer(contact=closed, user=world.rep.user, status=HelpStatus.WITHDRAWN)

    assert _names(rep_client.get(LIST, {"company": initech.pk})) == [theirs.full_name]
    assert _names(rep_client.get(LIST, {"mine": "1"})) == [mine.full_name]
    assert _names(rep_client.get(LIST, {"owner": world.teammate.user_id})) == [theirs.full_name]
    assert _names(rep_client.get(LIST, {"open_help": "1"})) == [helped.full_name]


def test_garbage_filters_are_ignored_not_an_error(world: World, rep_client: Client) -> None:
    make_contact(organization=world.org)
    response = rep_client.get(LIST, {"company": "x", "owner": "-3", "sort": "evil", "page": "zz"})
    assert response.status_code == 200
    assert len(_names(response)) == 1


def test_sorts_by_name_both_ways_recent_created_and_company(world: World, rep_client: Client) -> None:
    now = timezone.now()
    zed = make_company(organization=world.org, name="Zed Corp")
    alpha = make_company(organization=world.org, name="Alpha Inc")
    make_contact(
        organization=world.org, first_name="Bob", last_name="Baker", full_name="Bob Baker",
        last_interaction_at=now - datetime.timedelta(days=1), company=zed,
    )  # fmt: skip
    make_contact(
        organization=world.org, first_name="Al", last_name="Adams", full_name="Al Adams",
        last_interaction_at=now - datetime.timedelta(days=9), company=alpha,
    )  # fmt: skip
    make_contact(organization=world.org, first_name="Cy", last_name="Cole", full_name="Cy Cole")

    assert _names(rep_client.get(LIST, {"sort": "name"})) == ["Al Adams", "Bob Baker", "Cy Cole"]
    assert _names(rep_client.get(LIST, {"sort": "-name"})) == ["Cy Cole", "Bob Baker", "Al Adams"]
    assert _names(rep_client.get(LIST, {"sort": "recent"})) == ["Bob Baker", "Al Adams", "Cy Cole"]
    assert _names(rep_client.get(LIST, {"sort": "created"})) == ["Cy Cole", "Al Adams", "Bob Baker"]
    assert _names(rep_client.get(LIST, {"sort": "company"})) == ["Al Adams", "Bob Baker", "Cy Cole"]


def test_name_header_toggles_direction_and_keeps_the_search(world: World, rep_client: Client) -> None:
    make_contact(organization=world.org, full_name="Ada Lovelace", search_text="ada lovelace")
    html = rep_client.get(LIST, {"q": "ada", "sort": "name"}).content.decode()
    assert "?q=ada&amp;sort=-name" in html
    assert 'aria-sort="ascending"' in html


def test_pagination_is_fifty_a_page_and_keeps_the_query_string(world: World, rep_client: Client) -> None:
    for n in range(51):
        make_contact(organization=world.org, full_name=f"Pat {n:02}", last_name=f"Pat{n:02}", search_text=f"pat {n}")
    first = rep_client.get(LIST, {"q": "pat", "sort": "name"})
    assert len(_names(first)) == 50
    html = first.content.decode()
    assert "?q=pat&amp;sort=name&amp;page=2" in html
    second = rep_client.get(LIST, {"q": "pat", "sort": "name", "page": "2"})
    assert _names(second) == ["Pat 50"]


def test_list_query_count_does_not_grow_with_the_number_of_contacts(
    world: World,
    rep_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            company = make_company(organization=world.org)
            make_contact(organization=world.org, company=company, owner=world.teammate.user, email=None)
            contact = Contact.objects.latest("id")
            ContactEmail.objects.create(
                organization=world.org, contact=contact, email=f"c{contact.pk}@x.example", is_primary=True
            )

    add(3)
    rep_client.get(LIST)  # warm the session
    with django_assert_max_num_queries(12) as few:
        rep_client.get(LIST)
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = rep_client.get(LIST)
    assert len(_names(response)) == 43


def test_empty_list_offers_a_new_contact_button(world: World, rep_client: Client) -> None:
    html = rep_client.get(LIST).content.decode()
    assert "No contacts yet" in html
    assert reverse("contacts:create") in html


def test_outsider_never_sees_our_contacts_or_companies(world: World, outsider_client: Client) -> None:
    company = make_company(organization=world.org, name="Ours Inc")
    make_contact(organization=world.org, full_name="Our Secret", search_text="our secret", company=company)
    make_contact(organization=world.other_org, full_name="Their Own", search_text="their own")
    assert _names(outsider_client.get(LIST)) == ["Their Own"]
    assert _names(outsider_client.get(LIST, {"company": company.pk})) == []
    html = outsider_client.get(LIST).content.decode()
    assert "Ours Inc" not in html
    companies = outsider_client.get(reverse("contacts:company_list"))
    assert list(companies.context["page"].object_list) == []


def test_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- create and edit -------------------------------------------------------------


def test_create_saves_every_field_and_redirects_to_the_contact_page(world: World, rep_client: Client) -> None:
    company = make_company(organization=world.org, name="Navy")
    response = rep_client.post(
        reverse("contacts:create"), _contact_form(company=str(company.pk), owner=str(world.teammate.user_id))
    )
    contact = Contact.objects.get(full_name="Grace Hopper")
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:contact_page", args=[contact.pk])
    assert contact.organization == world.org
    assert contact.company == company
    assert contact.owner == world.teammate.user
    assert contact.needs == "a COBOL team"
    assert contact.primary_email == "grace@navy.example"
    assert [e.email for e in contact.emails.all()] == ["grace@navy.example", "g.hopper@gmail.com"]
    phones = {p.number: p.kind for p in ContactPhone.objects.filter(contact=contact)}
    assert phones == {"+14155550123": "work", "+442079460018": "mobile"}


def test_create_shows_field_errors_and_saves_nothing(world: World, rep_client: Client) -> None:
    response = rep_client.post(
        reverse("contacts:create"),
        _contact_form(full_name="", emails="not-an-email", phones="fax: 123\n12", linkedin_url="not a url"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "full_name" in form.errors
    assert "phones" in form.errors
    assert "linkedin_url" in form.errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_full_name_error"' in html
    assert html.count("autofocus") == 1
    full_name_input = html.split('name="full_name"')[1].split(">")[0]
    assert "autofocus" in full_name_input
    assert Contact.objects.count() == 0


def test_create_reports_bad_emails_and_phones_from_the_service(world: World, rep_client: Client) -> None:
    response = rep_client.post(reverse("contacts:create"), _contact_form(emails="nope@", phones="12"))
    form = response.context["form"]
    assert "is not an email address" in str(form.errors["emails"])
    assert "phones" in form.errors
    assert Contact.objects.count() == 0


def test_duplicate_email_is_refused_with_a_link_to_the_existing_contact(world: World, rep_client: Client) -> None:
    existing = make_contact(organization=world.org, full_name="Grace Original", email="grace@navy.example")
    response = rep_client.post(reverse("contacts:create"), _contact_form(emails="new@navy.example\nGRACE@navy.example"))
    assert response.status_code == 200
    html = response.content.decode()
    link = reverse("activities:contact_page", args=[existing.pk])
    assert f'<a href="{link}">Grace Original</a>' in html
    assert "emails" in response.context["form"].errors
    assert Contact.objects.count() == 1
    assert not ContactEmail.objects.filter(email="new@navy.example").exists()


def test_same_email_in_another_organization_is_fine(world: World, rep_client: Client) -> None:
    make_contact(organization=world.other_org, email="grace@navy.example")
    response = rep_client.post(reverse("contacts:create"), _contact_form())
    assert response.status_code == 302


def test_company_and_owner_from_another_organization_are_refused(world: World, rep_client: Client) -> None:
    foreign = make_company(organization=world.other_org)
    response = rep_client.post(
        reverse("contacts:create"), _contact_form(company=str(foreign.pk), owner=str(world.outsider.user_id))
    )
    form = response.context["form"]
    assert "company" in form.errors
    assert "owner" in form.errors
    assert Contact.objects.count() == 0
    options = [value for value, _ in form.fields["company"].choices]
    assert str(foreign.pk) not in options


def test_edit_form_is_prefilled_and_saves_changes(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org, full_name="Ada Lovelace", email="ada@old.example", title="Countess")
    ContactPhone.objects.create(contact=contact, number="+442079460018", kind="mobile", is_primary=True)
    url = reverse("contacts:edit", args=[contact.pk])
    page = rep_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "ada@old.example" in html
    assert "mobile: +442079460018" in html
    assert reverse("contacts:delete", args=[contact.pk]) in html
    assert "data-confirm" in html

    response = rep_client.post(
        url, _contact_form(full_name="Ada King", emails="ada@new.example\nada@old.example", phones="", title="")
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.full_name == "Ada King"
    assert contact.title == ""
    assert contact.primary_email == "ada@new.example"
    assert not contact.phones.exists()


def test_edit_refuses_another_contacts_email_and_changes_nothing(world: World, rep_client: Client) -> None:
    other = make_contact(organization=world.org, full_name="Other Person", email="taken@x.example")
    contact = make_contact(organization=world.org, full_name="Ada Lovelace", email="ada@x.example")
    response = rep_client.post(
        reverse("contacts:edit", args=[contact.pk]), _contact_form(full_name="Renamed", emails="taken@x.example")
    )
    assert response.status_code == 200
    assert reverse("activities:contact_page", args=[other.pk]) in response.content.decode()
    assert "Edit Ada Lovelace" in response.content.decode()
    contact.refresh_from_db()
    assert contact.full_name == "Ada Lovelace"
    assert contact.primary_email == "ada@x.example"


def test_delete_needs_post_then_removes_the_contact(world: World, rep_client: Client) -> None:
    contact = make_contact(organization=world.org, full_name="Gone Soon")
    url = reverse("contacts:delete", args=[contact.pk])
    assert rep_client.get(url).status_code == 405
    response = rep_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "Gone Soon was deleted." in response.content.decode()
    assert not Contact.objects.filter(pk=contact.pk).exists()


# --- companies -----------------------------------------------------------------


def test_company_list_searches_and_counts_contacts(world: World, rep_client: Client) -> None:
    initech = make_company(organization=world.org, name="Initech")
    CompanyDomainFactory(company=initech, domain="initech.example")
    make_company(organization=world.org, name="Globochem")
    make_contact(organization=world.org, company=initech)
    make_contact(organization=world.org, company=initech)
    response = rep_client.get(reverse("contacts:company_list"), {"q": "initech"})
    companies = list(response.context["page"].object_list)
    assert [c.name for c in companies] == ["Initech"]
    assert companies[0].contact_count == 2
    html = response.content.decode()
    assert "initech.example" in html
    assert reverse("activities:company_page", args=[initech.pk]) in html
    partial = rep_client.get(reverse("contacts:company_list"), {"q": "glob"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Globochem" in partial.content.decode()


def test_company_create_with_domains(world: World, rep_client: Client) -> None:
    response = rep_client.post(
        reverse("contacts:company_create"),
        {"name": "Initech", "domains": "initech.example\nhttps://www.initech.io/", "website": "", "industry": "Software",
         "description": "", "owner": str(world.rep.user_id)},
    )  # fmt: skip
    company = Company.objects.get(name="Initech")
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:company_page", args=[company.pk])
    assert sorted(company.domains.values_list("domain", flat=True)) == ["initech.example", "initech.io"]
    assert company.owner == world.rep.user
    assert company.organization == world.org


def test_company_create_refuses_a_taken_domain_and_saves_nothing(world: World, rep_client: Client) -> None:
    CompanyDomainFactory(company=make_company(organization=world.org, name="First"), domain="taken.example")
    response = rep_client.post(
        reverse("contacts:company_create"),
        {"name": "Second", "domains": "taken.example", "website": "", "industry": "", "description": "", "owner": ""},
    )
    assert response.status_code == 200
    assert "already belongs to First" in str(response.context["form"].errors["domains"])
    assert not Company.objects.filter(name="Second").exists()


def test_company_edit_and_delete_keeps_its_contacts(world: World, rep_client: Client) -> None:
    company = make_company(organization=world.org, name="Initech")
    CompanyDomainFactory(company=company, domain="initech.example")
    contact = make_contact(organization=world.org, company=company)
    url = reverse("contacts:company_edit", args=[company.pk])
    assert "initech.example" in rep_client.get(url).content.decode()
    response = rep_client.post(
        url,
        {"name": "Initrode", "domains": "initrode.example", "website": "https://initrode.example", "industry": "",
         "description": "TPS reports", "owner": ""},
    )  # fmt: skip
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "Initrode"
    assert list(company.domains.values_list("domain", flat=True)) == ["initrode.example"]

    delete = reverse("contacts:company_delete", args=[company.pk])
    assert rep_client.get(delete).status_code == 405
    assert rep_client.post(delete)["Location"] == reverse("contacts:company_list")
    assert not Company.objects.filter(pk=company.pk).exists()
    contact.refresh_from_db()
    assert contact.company is None
    assert CompanyDomain.objects.count() == 0


# --- isolation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("contacts:edit", "get"),
        ("contacts:edit", "post"),
        ("contacts:delete", "get"),
        ("contacts:delete", "post"),
        ("contacts:help_create", "get"),
        ("contacts:help_create", "post"),
    ],
)
def test_outsider_gets_404_on_every_contact_route(
    world: World, outsider_client: Client, name: str, method: str
) -> None:
    contact = make_contact(organization=world.org, full_name="Ours")
    response = getattr(outsider_client, method)(reverse(name, args=[contact.pk]), {"full_name": "Hacked"})
    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.full_name == "Ours"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("contacts:company_edit", "get"),
        ("contacts:company_edit", "post"),
        ("contacts:company_delete", "get"),
        ("contacts:company_delete", "post"),
    ],
)
def test_outsider_gets_404_on_every_company_route(
    world: World, outsider_client: Client, name: str, method: str
) -> None:
    company = make_company(organization=world.org, name="Ours")
    response = getattr(outsider_client, method)(reverse(name, args=[company.pk]), {"name": "Hacked"})
    assert response.status_code == 404
    assert Company.objects.get(pk=company.pk).name == "Ours"


def test_unknown_ids_are_404(world: World, rep_client: Client) -> None:
    for name in ("contacts:edit", "contacts:help_create", "contacts:company_edit", "contacts:help_edit"):
        assert rep_client.get(reverse(name, args=[999999])).status_code == 404


def test_teammate_can_edit_a_shared_contact(world: World) -> None:
    contact = make_contact(organization=world.org, full_name="Shared", owner=world.rep.user)
    response = client_for(world.teammate).get(reverse("contacts:edit", args=[contact.pk]))
    assert response.status_code == 200
