"""Domain adapters: model rows become the mapping layer's plain data, and then payloads."""

from __future__ import annotations

import datetime

import pytest

from activities.models import (
    CaptureAccount,
    CaptureKind,
    CapturePolicy,
    CaptureSighting,
    InteractionKind,
    InteractionSource,
    Participant,
    ParticipantRole,
    Visibility,
)
from contacts.models import ContactEmail, ContactPhone, HelpDirection, HelpStatus
from sync.models import LocalKind, ObjectMapping, SalesforceConnection
from sync.salesforce.domain import (
    COMPANY_PREFETCH,
    CONTACT_PREFETCH,
    INTERACTION_PREFETCH,
    captured_privacy,
    from_company,
    from_contact,
    from_help_offer,
    from_interaction,
    options_from,
)
from sync.salesforce.external_ids import email_external_id
from sync.salesforce.mapping import NotPushable, build_account, build_contact, build_help_offer_task, build_task
from sync.salesforce.payloads import MappingOptions
from tests.factories import (
    CompanyDomainFactory,
    CompanyFactory,
    ContactFactory,
    HelpOfferFactory,
    InteractionFactory,
)

pytestmark = pytest.mark.django_db
OPTIONS = MappingOptions()


def test_a_company_with_its_domains_becomes_an_account(world):
    company = CompanyFactory(organization=world.org, name="Acme Corp", website="", industry="Technology")
    CompanyDomainFactory(company=company, domain="acme.com")
    company = type(company).objects.prefetch_related(*COMPANY_PREFETCH).get(pk=company.pk)
    data = from_company(company)
    assert data.domains == ("acme.com",)
    assert build_account(data, options=OPTIONS).fields == {
        "Name": "Acme Corp",
        "Website": "https://acme.com",
        "Industry": "Technology",
    }


def test_a_contact_brings_its_primary_email_first_its_phones_and_its_company(world):
    company = CompanyFactory(organization=world.org, name="Acme", salesforce_id="001000000000001AAA")
    contact = ContactFactory(organization=world.org, first_name="Jane", last_name="Doe", company=company)
    ContactEmail.objects.create(organization=world.org, contact=contact, email="jane.doe@gmail.com")
    ContactEmail.objects.create(organization=world.org, contact=contact, email="jane@acme.com", is_primary=True)
    ContactPhone.objects.create(contact=contact, number="+14155550199", kind="mobile")
    contact = type(contact).objects.select_related("company").prefetch_related(*CONTACT_PREFETCH).get(pk=contact.pk)
    data = from_contact(contact)
    assert data.emails == ("jane@acme.com", "jane.doe@gmail.com")
    fields = build_contact(data, options=OPTIONS).fields
    assert fields["Email"] == "jane@acme.com"
    assert fields["MobilePhone"] == "+14155550199"
    assert fields["AccountId"] == "001000000000001AAA"


def test_an_email_seen_in_two_mailboxes_is_pushed_once_at_the_strictest_privacy(world):
    jane = ContactFactory(organization=world.org, full_name="Jane Doe", email="jane@acme.com")
    interaction = InteractionFactory(
        organization=world.org,
        kind=InteractionKind.EMAIL,
        source=InteractionSource.IMAP,
        owner=world.rep.user,
        subject="Pricing",
        external_id="<m1@acme.com>",
        contacts=[jane],
    )
    for membership, level in ((world.rep, "subject"), (world.teammate, "metadata")):
        account = CaptureAccount.objects.create(
            organization=world.org, user=membership.user, kind=CaptureKind.IMAP, name="Work", privacy_level=level
        )
        CaptureSighting.objects.create(
            interaction=interaction, user=membership.user, account=account, source=InteractionSource.IMAP
        )
    interaction = type(interaction).objects.prefetch_related(*INTERACTION_PREFETCH).get(pk=interaction.pk)
    data = from_interaction(interaction, options=OPTIONS)
    assert data.privacy_level == "metadata"
    payload = build_task(data, options=OPTIONS)
    assert payload.external_id == email_external_id(organization_id=world.org.pk, message_id="<m1@acme.com>")
    assert payload.fields["Subject"] == "Email with Jane Doe"
    assert payload.fields["Who"]["attributes"] == {"type": "Lead"}  # no company: a Lead by default


def test_a_bcc_capture_follows_the_organizations_default_privacy(world):
    CapturePolicy.objects.update_or_create(organization=world.org, defaults={"default_privacy_level": "full"})
    interaction = InteractionFactory(
        organization=world.org, kind=InteractionKind.EMAIL, source=InteractionSource.BCC, owner=world.rep.user
    )
    CaptureSighting.objects.create(interaction=interaction, user=world.rep.user, source=InteractionSource.BCC)
    assert captured_privacy(interaction) == "full"


def test_a_call_logged_by_hand_is_pushed_in_full(world):
    jane = ContactFactory(organization=world.org, email="jane@acme.com")
    call = InteractionFactory(
        organization=world.org, kind=InteractionKind.CALL, owner=world.rep.user, body="Talked budget", contacts=[jane]
    )
    data = from_interaction(call, options=OPTIONS)
    assert data.privacy_level == "full"
    assert data.participants[0].is_user is True
    assert build_task(data, options=OPTIONS).fields["Description"] == "Talked budget"


def test_a_private_interaction_from_the_database_is_never_mapped(world):
    private = InteractionFactory(organization=world.org, owner=world.rep.user, visibility=Visibility.PRIVATE)
    with pytest.raises(NotPushable):
        build_task(from_interaction(private, options=OPTIONS), options=OPTIONS)


def test_a_meeting_attendee_who_is_one_of_ours_is_a_user_not_a_contact(world):
    meeting = InteractionFactory(organization=world.org, kind=InteractionKind.MEETING, owner=None)
    Participant.objects.create(interaction=meeting, user=world.rep.user, role=ParticipantRole.ORGANIZER)
    data = from_interaction(meeting, options=OPTIONS, privacy_level="subject")
    assert data.participants[0].is_user and data.participants[0].display_name == "Rita Rep"


def test_a_help_offer_becomes_a_give_first_task_for_its_contact(world):
    company = CompanyFactory(organization=world.org, name="Acme")
    jane = ContactFactory(organization=world.org, full_name="Jane Doe", company=company)
    max_ = ContactFactory(organization=world.org, full_name="Max Roe")
    offer = HelpOfferFactory(
        contact=jane,
        user=world.rep.user,
        kind="intro",
        intro_contact=max_,
        status=HelpStatus.ACCEPTED,
        due_date=datetime.date(2024, 6, 1),
    )
    payload = build_help_offer_task(from_help_offer(offer, options=OPTIONS), options=OPTIONS)
    assert payload.fields["Subject"] == "Give-first: intro to Max Roe"
    assert payload.fields["Status"] == "In Progress"
    assert payload.fields["Who"]["attributes"] == {"type": "Contact"}
    assert "What" in payload.fields
    assert "Given by: Rita Rep" in payload.fields["Description"]


def test_help_received_reads_as_received(world):
    offer = HelpOfferFactory(
        contact=ContactFactory(organization=world.org, full_name="Jane Doe"),
        user=world.rep.user,
        kind="referral",
        description="",
        direction=HelpDirection.RECEIVED,
    )
    data = from_help_offer(offer, options=OPTIONS)
    assert build_help_offer_task(data, options=OPTIONS).fields["Subject"] == "Received: referral from Jane Doe"


def test_options_come_from_the_connection_and_enabled_mappings(world):
    connection = SalesforceConnection.objects.create(organization=world.org, contact_without_company_as="contact")
    ObjectMapping.objects.create(
        organization=world.org,
        local_kind=LocalKind.CONTACT,
        sobject="Contact",
        external_id_field="Relintel_Key__c",
        field_map={"Department": "title"},
    )
    ObjectMapping.objects.create(
        organization=world.org, local_kind=LocalKind.COMPANY, sobject="Account", enabled=False, field_map={"X": "y"}
    )
    options = options_from(connection, ObjectMapping.objects.filter(organization=world.org))
    assert options.contact_without_company_as == "contact"
    assert options.external_id_field("Contact") == "Relintel_Key__c"
    assert options.external_id_field("Account") == "Relintel_Id__c"
    assert options.field_map("contact", "Contact") == {"Department": "title"}
    assert options.field_map("company", "Account") == {}
