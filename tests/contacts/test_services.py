"""Contact, company and help-offer services against the real database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contacts import services
from contacts.errors import DuplicateEmailError
from contacts.models import Contact, ContactEmail, HelpDirection, HelpKind, HelpOffer, HelpStatus
from contacts.services import PhoneInput
from tests.factories import CompanyDomainFactory, CompanyFactory, ContactFactory


def test_a_contact_is_created_with_normalized_emails_phones_and_split_name(world):
    contact = services.contact_create(
        membership=world.rep,
        full_name="  Dr. Grace  Hopper ",
        emails=["Grace@Navy.example", "grace@navy.example", "g.hopper@gmail.com"],
        phones=[PhoneInput("(415) 555-2671", "mobile")],
        title="Rear Admiral",
    )
    assert contact.full_name == "Dr. Grace Hopper"
    assert (contact.first_name, contact.last_name) == ("Grace", "Hopper")
    assert [e.email for e in contact.emails.all()] == ["grace@navy.example", "g.hopper@gmail.com"]
    assert contact.primary_email == "grace@navy.example"
    assert [(p.number, p.kind) for p in contact.phones.all()] == [("+14155552671", "mobile")]
    assert contact.owner == world.rep.user
    assert "grace@navy.example" in contact.search_text and "hopper" in contact.search_text


def test_bad_emails_and_phones_are_reported_per_field_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(membership=world.rep, full_name="", emails=["nope"], phones=[PhoneInput("12")])
    assert set(excinfo.value.message_dict) == {"full_name", "emails", "phones"}
    assert "nope" in excinfo.value.message_dict["emails"][0]
    assert not Contact.objects.exists()


def test_a_second_contact_with_a_known_email_is_refused_naming_the_existing_one(world):
    first = services.contact_create(membership=world.rep, full_name="Ada Lovelace", emails=["ada@engine.example"])
    with pytest.raises(DuplicateEmailError) as excinfo:
        services.contact_create(membership=world.teammate, full_name="A. Lovelace", emails=["ADA@engine.example"])
    assert excinfo.value.existing == first
    assert "ada@engine.example" in excinfo.value.message_dict["emails"][0]
    assert Contact.objects.count() == 1


def test_the_same_email_may_exist_in_another_organization(world):
    services.contact_create(membership=world.rep, full_name="Ada", emails=["ada@engine.example"])
    services.contact_create(membership=world.outsider, full_name="Ada", emails=["ada@engine.example"])
    assert ContactEmail.objects.filter(email="ada@engine.example").count() == 2


def test_the_database_refuses_a_duplicate_email_even_past_the_service(world):
    contact = ContactFactory(organization=world.org, email="x@y.example")
    other = ContactFactory(organization=world.org)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactEmail.objects.create(organization=world.org, contact=other, email="x@y.example")
    assert contact.emails.count() == 1


def test_update_changes_only_given_fields_and_moves_the_primary_email(world):
    contact = services.contact_create(
        membership=world.rep, full_name="Ada Lovelace", emails=["a@x.example", "b@x.example"], title="Countess"
    )
    services.contact_update(membership=world.rep, contact=contact, emails=["b@x.example", "c@x.example"])
    contact.refresh_from_db()
    assert contact.title == "Countess"
    assert contact.primary_email == "b@x.example"
    assert sorted(e.email for e in contact.emails.all()) == ["b@x.example", "c@x.example"]


def test_update_refuses_an_email_of_another_contact_and_keeps_the_old_ones(world):
    ContactFactory(organization=world.org, email="taken@x.example")
    contact = services.contact_create(membership=world.rep, full_name="Ada", emails=["a@x.example"])
    with pytest.raises(DuplicateEmailError):
        services.contact_update(membership=world.rep, contact=contact, full_name="Changed", emails=["taken@x.example"])
    contact.refresh_from_db()
    assert contact.full_name == "Ada"
    assert contact.primary_email == "a@x.example"


def test_a_company_of_another_organization_cannot_be_assigned(world):
    foreign = CompanyFactory(organization=world.other_org)
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(membership=world.rep, full_name="Ada", company=foreign)
    assert "company" in excinfo.value.message_dict


def test_an_owner_outside_the_organization_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_create(membership=world.rep, full_name="Ada", owner=world.outsider.user)
    assert "owner" in excinfo.value.message_dict


def test_a_new_contact_gets_the_company_owning_its_email_domain(world, django_capture_on_commit_callbacks):
    domain = CompanyDomainFactory(
        company=CompanyFactory(organization=world.org, name="Initech"), domain="initech.example"
    )
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(
            membership=world.rep, full_name="Peter Gibbons", emails=["peter@initech.example"]
        )
    contact.refresh_from_db()
    assert contact.company == domain.company
    assert "initech" in contact.search_text


def test_free_mail_domains_never_decide_a_company(world, django_capture_on_commit_callbacks):
    CompanyDomainFactory(company=CompanyFactory(organization=world.org), domain="gmail.com")
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(membership=world.rep, full_name="Sam", emails=["sam@gmail.com"])
    contact.refresh_from_db()
    assert contact.company is None


def test_company_domains_are_normalized_and_unique_per_organization(world):
    company = services.company_create(membership=world.rep, name="Acme", domains=["https://www.Acme.example/x"])
    assert [d.domain for d in company.domains.all()] == ["acme.example"]
    with pytest.raises(ValidationError) as excinfo:
        services.company_create(membership=world.rep, name="Acme 2", domains=["acme.example"])
    assert "Acme" in excinfo.value.message_dict["domains"][0]


def test_renaming_a_company_refreshes_its_contacts_search(world, django_capture_on_commit_callbacks):
    company = services.company_create(membership=world.rep, name="Acme")
    contact = services.contact_create(membership=world.rep, full_name="Ada", company=company)
    with django_capture_on_commit_callbacks(execute=True):
        services.company_update(company=company, name="Initrode")
    contact.refresh_from_db()
    assert "initrode" in contact.search_text and "acme" not in contact.search_text


def test_deleting_a_company_keeps_its_contacts(world):
    company = services.company_create(membership=world.rep, name="Acme")
    contact = services.contact_create(membership=world.rep, full_name="Ada", company=company)
    services.company_delete(company=company)
    contact.refresh_from_db()
    assert contact.company is None
    assert "acme" not in contact.search_text


# --- help offers ----------------------------------------------------------------


def test_help_offer_lifecycle_offered_accepted_delivered(world):
    contact = ContactFactory(organization=world.org)
    offer = services.help_offer_create(
        membership=world.rep, contact=contact, kind=HelpKind.ADVICE, description="Pricing review"
    )
    assert offer.status == HelpStatus.OFFERED
    offer = services.help_offer_transition(offer=offer, status=HelpStatus.ACCEPTED)
    assert offer.accepted_at is not None
    offer = services.help_offer_transition(offer=offer, status=HelpStatus.DELIVERED)
    assert offer.delivered_at is not None


@pytest.mark.parametrize("final", [HelpStatus.DECLINED, HelpStatus.WITHDRAWN, HelpStatus.DELIVERED])
def test_a_closed_help_offer_cannot_move_again(world, final):
    offer = services.help_offer_create(
        membership=world.rep, contact=ContactFactory(organization=world.org), kind="advice", description="x"
    )
    offer = services.help_offer_transition(offer=offer, status=final)
    with pytest.raises(ValidationError) as excinfo:
        services.help_offer_transition(offer=offer, status=HelpStatus.ACCEPTED)
    assert "status" in excinfo.value.message_dict
    offer.refresh_from_db()
    assert offer.status == final


def test_an_intro_connects_two_different_contacts_of_the_organization(world):
    a = ContactFactory(organization=world.org)
    b = ContactFactory(organization=world.org)
    offer = services.help_offer_create(
        membership=world.rep, contact=a, kind=HelpKind.INTRO, description="Meet B", intro_contact=b
    )
    assert offer.intro_contact == b
    with pytest.raises(ValidationError):
        services.help_offer_create(
            membership=world.rep, contact=a, kind=HelpKind.INTRO, description="x", intro_contact=a
        )
    with pytest.raises(ValidationError):
        services.help_offer_create(
            membership=world.rep,
            contact=a,
            kind=HelpKind.INTRO,
            description="x",
            intro_contact=ContactFactory(organization=world.other_org),
        )


def test_help_received_from_a_contact_is_recorded(world):
    contact = ContactFactory(organization=world.org)
    offer = services.help_offer_create(
        membership=world.rep,
        contact=contact,
        kind=HelpKind.REFERRAL,
        description="Referred us to their CFO",
        direction=HelpDirection.RECEIVED,
        status=HelpStatus.DELIVERED,
    )
    assert offer.direction == HelpDirection.RECEIVED and offer.delivered_at is not None


def test_unknown_kinds_are_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        services.help_offer_create(
            membership=world.rep, contact=ContactFactory(organization=world.org), kind="bribe", description="x"
        )
    assert "kind" in excinfo.value.message_dict
    assert not HelpOffer.objects.exists()


def test_due_dates_are_kept(world):
    due = datetime.date(2030, 1, 31)
    offer = services.help_offer_create(
        membership=world.rep,
        contact=ContactFactory(organization=world.org),
        kind="resource",
        description="x",
        due_date=due,
    )
    offer = services.help_offer_update(offer=offer, due_date=None)
    assert offer.due_date is None
