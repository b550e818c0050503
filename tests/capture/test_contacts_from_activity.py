"""Contacts from captured activity: the creation rules, names, companies, links, duplicates."""

from __future__ import annotations

import pytest
from django.test import TestCase

from activities.capture.ingest import capture_ingest
from activities.models import CapturePolicy, Participant
from contacts.models import Company, CompanyDomain, Contact, ContactEmail, DuplicateCandidate
from contacts.services import company_name_from_domain, name_from_email
from tests.capture.ingest_helpers import email, meeting
from tests.factories import CompanyDomainFactory, CompanyFactory, ContactFactory


def ingest(membership, items, *, source="imap"):
    return capture_ingest(
        organization=membership.organization,
        user=membership.user,
        source=source,
        items=items,
        privacy_level="subject",
        visibility="team",
    )


def policy(world, rule):
    CapturePolicy.objects.create(organization=world.org, contact_creation=rule)


def inbound(mid="<in@x>", sender="jane.doe@customer.example", name="Jane Doe"):
    return email(mid, sender=sender, sender_name=name, to=("rita@acme.example",))


def outbound(mid="<out@x>", to="jane.doe@customer.example"):
    return email(mid, sender="rita@acme.example", sender_name="Rita Rep", to=(to,))


def created(address):
    return Contact.objects.filter(emails__email=address).first()


# --- rules -------------------------------------------------------------------------


def test_an_inbound_email_alone_creates_no_contact_under_the_two_way_rule(world):
    ingest(world.rep, [inbound()])

    assert created("jane.doe@customer.example") is None


def test_an_outbound_email_alone_creates_no_contact_under_the_two_way_rule(world):
    ingest(world.rep, [outbound()])

    assert created("jane.doe@customer.example") is None


def test_a_reply_completes_the_two_way_exchange_and_creates_the_contact(world):
    ingest(world.rep, [inbound()])

    result = ingest(world.rep, [outbound()])

    contact = created("jane.doe@customer.example")
    assert contact is not None
    assert result.contacts_created == 1
    assert (contact.full_name, contact.first_name, contact.last_name) == ("Jane Doe", "Jane", "Doe")
    assert contact.source == "capture"
    assert contact.owner == world.rep.user
    assert contact.emails.get().is_primary


def test_a_two_way_exchange_inside_one_batch_creates_the_contact(world):
    ingest(world.rep, [inbound(), outbound()])

    assert created("jane.doe@customer.example") is not None


def test_a_two_way_exchange_across_two_reps_counts_for_the_organization(world):
    ingest(world.teammate, [email("<in@x>", sender="jane.doe@customer.example", to=("tom@acme.example",))])
    ingest(world.rep, [outbound()])

    assert created("jane.doe@customer.example") is not None


def test_earlier_participant_rows_are_linked_to_the_created_contact(world):
    ingest(world.rep, [inbound("<in1@x>"), inbound("<in2@x>")])
    assert not Participant.objects.filter(contact__isnull=False).exists()

    with TestCase.captureOnCommitCallbacks(execute=True):  # the latest interaction moves after commit
        ingest(world.rep, [outbound()])

    contact = created("jane.doe@customer.example")
    rows = Participant.objects.filter(address="jane.doe@customer.example")
    assert rows.count() == 3
    assert set(rows.values_list("contact_id", flat=True)) == {contact.pk}
    contact.refresh_from_db()
    assert contact.last_interaction_at is not None


def test_a_shared_meeting_creates_the_contact_under_the_two_way_rule(world):
    ingest(world.rep, [meeting()], source="caldav")

    assert created("jane.doe@customer.example") is not None


def test_a_meeting_the_person_declined_is_not_a_shared_meeting(world):
    declined = meeting(attendees=(("rita@acme.example", "accepted"), ("jane.doe@customer.example", "declined")))

    ingest(world.rep, [declined], source="caldav")

    assert created("jane.doe@customer.example") is None


def test_the_any_rule_creates_a_contact_on_first_sight(world):
    policy(world, "any")

    ingest(world.rep, [inbound()])

    assert created("jane.doe@customer.example") is not None


def test_the_never_rule_only_matches_existing_contacts(world):
    policy(world, "never")
    known = ContactFactory(organization=world.org, email="known@customer.example")

    ingest(world.rep, [inbound(), outbound(), outbound("<o2@x>", to="known@customer.example")])

    assert created("jane.doe@customer.example") is None
    assert Participant.objects.get(address="known@customer.example").contact == known


def test_members_and_internal_addresses_never_become_contacts(world):
    policy(world, "any")

    ingest(world.rep, [email(cc=("tom@acme.example", "someone@acme.example"))])

    assert not ContactEmail.objects.filter(email__endswith="@acme.example").exists()


# --- names and companies -----------------------------------------------------------


def test_without_a_display_name_the_name_comes_from_the_address(world):
    policy(world, "any")

    ingest(world.rep, [inbound(sender="jane.doe@customer.example", name="")])

    assert created("jane.doe@customer.example").full_name == "Jane Doe"


@pytest.mark.parametrize(
    ("address", "name"),
    [("jane.doe@x.example", "Jane Doe"), ("j_smith+crm@x.example", "J Smith"), ("bob@x.example", "Bob")],
)
def test_names_from_addresses(address, name):
    assert name_from_email(address) == name


@pytest.mark.parametrize(
    ("domain", "name"),
    [("acme-robotics.com", "Acme Robotics"), ("mail.initech.co.uk", "Initech"), ("globex.io", "Globex")],
)
def test_company_names_from_domains(domain, name):
    assert company_name_from_domain(domain) == name


def test_a_new_domain_becomes_a_company_with_that_domain(world):
    policy(world, "any")

    ingest(world.rep, [inbound(sender="ann@acme-robotics.com", name="Ann Lee")])

    contact = created("ann@acme-robotics.com")
    assert contact.company.name == "Acme Robotics"
    assert CompanyDomain.objects.get(company=contact.company).domain == "acme-robotics.com"
    assert "acme robotics" in contact.search_text
    assert "ann@acme-robotics.com" in contact.search_text


def test_a_known_company_domain_gives_its_company_including_subdomains(world):
    policy(world, "any")
    initech = CompanyFactory(organization=world.org, name="Initech Inc.")
    CompanyDomainFactory(company=initech, domain="initech.example")

    ingest(
        world.rep,
        [inbound("<a@x>", sender="peter@initech.example"), inbound("<b@x>", sender="bill@eu.initech.example")],
    )

    assert created("peter@initech.example").company == initech
    assert created("bill@eu.initech.example").company == initech
    assert Company.objects.filter(organization=world.org).count() == 1


def test_two_people_at_a_new_domain_share_one_new_company(world):
    policy(world, "any")

    ingest(world.rep, [email(sender="ann@newco.example", to=("rita@acme.example", "ben@newco.example"))])

    assert created("ann@newco.example").company == created("ben@newco.example").company
    assert Company.objects.filter(organization=world.org).count() == 1


def test_a_free_mail_address_gets_no_company(world):
    policy(world, "any")

    ingest(world.rep, [inbound(sender="jane.doe@gmail.com")])

    assert created("jane.doe@gmail.com").company is None
    assert not Company.objects.exists()


def test_another_organizations_company_domain_is_not_used(world):
    policy(world, "any")
    theirs = CompanyFactory(organization=world.other_org, name="Theirs")
    CompanyDomainFactory(company=theirs, domain="customer.example")

    ingest(world.rep, [inbound()])

    contact = created("jane.doe@customer.example")
    assert contact.organization == world.org
    assert contact.company.organization == world.org
    assert contact.company != theirs


# --- duplicates --------------------------------------------------------------------


def test_the_same_name_at_the_same_company_domain_is_offered_as_a_duplicate(world):
    policy(world, "any")
    existing = ContactFactory(
        organization=world.org, first_name="Jane", last_name="Doe", full_name="Jane Doe", email="jd@customer.example"
    )

    ingest(world.rep, [inbound()])

    contact = created("jane.doe@customer.example")
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.contact_id, candidate.other_id) == (min(existing.pk, contact.pk), max(existing.pk, contact.pk))
    assert "customer.example" in candidate.reason
    assert Contact.objects.filter(pk=existing.pk, merged_into__isnull=True).exists()  # never merged


def test_the_same_name_and_address_name_at_a_free_mail_provider_is_a_duplicate(world):
    policy(world, "any")
    ContactFactory(
        organization=world.org, first_name="Jane", last_name="Doe", full_name="Jane Doe", email="jane.doe@gmail.com"
    )

    ingest(world.rep, [inbound()])

    assert "jane.doe" in DuplicateCandidate.objects.get().reason


def test_the_same_name_elsewhere_is_not_a_duplicate(world):
    policy(world, "any")
    ContactFactory(
        organization=world.org, first_name="Jane", last_name="Doe", full_name="Jane Doe", email="jane@elsewhere.example"
    )
    ContactFactory(
        organization=world.other_org,
        first_name="Jane",
        last_name="Doe",
        full_name="Jane Doe",
        email="jd@customer.example",
    )

    ingest(world.rep, [inbound()])

    assert not DuplicateCandidate.objects.exists()


def test_two_new_contacts_with_one_name_in_one_batch_are_offered_as_duplicates(world):
    policy(world, "any")

    ingest(
        world.rep, [inbound("<a@x>", sender="jane@customer.example"), inbound("<b@x>", sender="jd@customer.example")]
    )

    assert DuplicateCandidate.objects.count() == 1
