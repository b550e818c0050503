"""Payload builders: what each local row becomes in Salesforce, per object and privacy level."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from pathlib import Path

import pytest

from sync.salesforce.external_ids import company_external_id, contact_external_id, email_external_id
from sync.salesforce.mapping import (
    MappingOptions,
    NotPushable,
    build_account,
    build_activity,
    build_contact,
    build_event,
    build_event_relations,
    build_help_offer_task,
    build_task,
    contact_person,
    diff_event_relations,
)
from sync.salesforce.records import (
    CompanyData,
    CompanyRef,
    ContactData,
    HelpOfferData,
    InteractionData,
    ParticipantData,
    PersonRef,
    PhoneData,
)
from sync.salesforce.values import cut_utf16, utf16_length

DATA = Path(__file__).parent / "data"
OPTIONS = MappingOptions()
WHEN = datetime.datetime(2024, 5, 1, 22, 30, tzinfo=datetime.UTC)
ACME = CompanyRef(id=3, name="Acme Corp")
ACME_LINKED = CompanyRef(id=3, name="Acme Corp", salesforce_id="001000000000003AAA")


def describe(name: str) -> dict:
    return json.loads((DATA / f"describe_{name.lower()}.json").read_text())


def jane(**overrides) -> ContactData:
    values = {
        "id": 7,
        "organization_id": 1,
        "full_name": "Jane Doe",
        "first_name": "Jane",
        "last_name": "Doe",
        "title": "CFO",
        "emails": ("jane@acme.com", "jane.doe@gmail.com"),
        "phones": (PhoneData("+14155550100", "work", True), PhoneData("+14155550199", "mobile")),
        "location": "Lisbon",
        "company": ACME,
    }
    values.update(overrides)
    return ContactData(**values)


def jane_person(**overrides) -> PersonRef:
    return contact_person(jane(**overrides), OPTIONS)


def email(privacy: str = "full", **overrides) -> InteractionData:
    values = {
        "id": 11,
        "organization_id": 1,
        "kind": "email",
        "occurred_at": WHEN,
        "subject": "Pricing for  Q3",
        "body": "Hi Rita, here are the numbers.",
        "direction": "inbound",
        "external_id": "<m1@mail.acme.com>",
        "privacy_level": privacy,
        "participants": (
            ParticipantData(person=jane_person(), role="from", address="jane@acme.com"),
            ParticipantData(person=None, role="to", address="rita@ours.example", is_user=True),
        ),
    }
    values.update(overrides)
    return InteractionData(**values)


# --- companies -------------------------------------------------------------------------------


def test_a_company_becomes_an_account_with_its_external_id():
    company = CompanyData(
        id=3,
        organization_id=1,
        name="Acme Corp",
        website="https://acme.com",
        industry="Technology",
        description="Anvils",
    )
    payload = build_account(company, options=OPTIONS)
    assert payload.record() == {
        "attributes": {"type": "Account"},
        "Relintel_Id__c": company_external_id(organization_id=1, company_id=3),
        "Name": "Acme Corp",
        "Website": "https://acme.com",
        "Industry": "Technology",
        "Description": "Anvils",
    }


def test_a_company_without_a_website_offers_its_domain_and_a_nameless_one_still_has_a_name():
    payload = build_account(CompanyData(id=4, organization_id=1, name="  ", domains=("beta.io",)), options=OPTIONS)
    assert payload.fields["Website"] == "https://beta.io"
    assert payload.fields["Name"] == "(unnamed company)"


def test_the_configured_map_is_laid_over_the_defaults_and_can_remove_one():
    options = MappingOptions(field_maps={("company", "Account"): {"Industry": "", "AccountNumber": "domain"}})
    company = CompanyData(id=3, organization_id=1, name="Acme", industry="Tech", domains=("acme.com",))
    fields = build_account(company, options=options).fields
    assert "Industry" not in fields
    assert fields["AccountNumber"] == "acme.com"
    assert fields["Name"] == "Acme"


def test_an_unknown_local_field_in_the_map_is_left_out_and_recorded():
    options = MappingOptions(field_maps={("company", "Account"): {"Phone": "fax_number"}})
    payload = build_account(CompanyData(id=3, organization_id=1, name="Acme"), options=options)
    assert "Phone" not in payload.fields
    assert payload.notes == ["Phone not sent: unknown local field “fax_number”"]


# --- contacts and leads ----------------------------------------------------------------------


def test_a_contact_with_a_company_becomes_a_contact_linked_to_the_account_by_its_external_id():
    payload = build_contact(jane(), options=OPTIONS)
    assert payload.sobject == "Contact"
    assert payload.record() == {
        "attributes": {"type": "Contact"},
        "Relintel_Id__c": contact_external_id(organization_id=1, contact_id=7),
        "FirstName": "Jane",
        "LastName": "Doe",
        "Email": "jane@acme.com",
        "Phone": "+14155550100",
        "MobilePhone": "+14155550199",
        "Title": "CFO",
        "MailingCity": "Lisbon",
        "Account": {"Relintel_Id__c": company_external_id(organization_id=1, company_id=3)},
    }


def test_a_contact_whose_account_is_known_refers_to_it_by_id():
    fields = build_contact(jane(company=ACME_LINKED), options=OPTIONS).fields
    assert fields["AccountId"] == "001000000000003AAA"
    assert "Account" not in fields


def test_the_description_gathers_notes_interests_needs_and_expertise():
    contact = jane(notes="Met at SaaStr.", interests="sailing", needs="a CFO", expertise="Series A")
    assert build_contact(contact, options=OPTIONS).fields["Description"] == (
        "Met at SaaStr.\n\nInterests: sailing\n\nLooking for: a CFO\n\nExpertise: Series A"
    )


@pytest.mark.parametrize(
    ("full_name", "first", "last", "expected_first", "expected_last"),
    [
        ("Jane Doe", "Jane", "Doe", "Jane", "Doe"),
        ("Madonna", "Madonna", "", "Madonna", "Madonna"),
        ("  Prince  Rogers ", "", "", None, "Prince Rogers"),
        ("", "", "", None, "(unknown)"),
    ],
)
def test_last_name_is_required_so_it_falls_back_to_the_full_name_then_unknown(
    full_name, first, last, expected_first, expected_last
):
    fields = build_contact(jane(full_name=full_name, first_name=first, last_name=last), options=OPTIONS).fields
    assert fields["LastName"] == expected_last
    assert fields.get("FirstName") == expected_first


@pytest.mark.parametrize(
    ("emails", "company"),
    [
        (("max@beta.io",), "beta.io"),
        (("max@gmail.com", "max@gamma.dev"), "gamma.dev"),
        (("max@gmail.com",), "(none)"),
        ((), "(none)"),
    ],
)
def test_a_contact_without_a_company_becomes_a_lead_whose_company_is_the_email_domain_or_none(emails, company):
    payload = build_contact(jane(company=None, emails=emails), options=OPTIONS)
    assert payload.sobject == "Lead"
    assert payload.fields["Company"] == company
    assert "Status" not in payload.fields  # the org's default status
    assert "MailingCity" not in payload.fields and payload.fields["City"] == "Lisbon"


def test_a_lead_status_is_sent_only_when_configured():
    options = MappingOptions(lead_status="Working - Contacted")
    assert build_contact(jane(company=None), options=options).fields["Status"] == "Working - Contacted"


def test_the_organization_can_keep_contacts_without_company_as_contacts():
    payload = build_contact(jane(company=None), options=MappingOptions(contact_without_company_as="contact"))
    assert payload.sobject == "Contact"
    assert "Account" not in payload.fields and "AccountId" not in payload.fields


def test_a_contact_linked_to_a_lead_stays_a_lead_even_with_a_company():
    assert build_contact(jane(salesforce_lead_id="00Q000000000001AAA"), options=OPTIONS).sobject == "Lead"
    assert build_contact(jane(company=None, salesforce_contact_id="003000000000001AAA"), options=OPTIONS).sobject == (
        "Contact"
    )


# --- emails and calls → Task ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("privacy", "subject", "description"),
    [
        ("metadata", "Email with Jane Doe", None),
        ("subject", "Pricing for Q3", None),
        ("full", "Pricing for Q3", "Hi Rita, here are the numbers."),
    ],
)
def test_an_email_task_reveals_what_its_privacy_level_allows(privacy, subject, description):
    payload = build_task(email(privacy), options=OPTIONS)
    assert payload.fields["Subject"] == subject
    assert payload.fields.get("Description") == description


def test_the_organization_can_cap_what_salesforce_sees_below_what_was_captured():
    payload = build_task(email("full"), options=MappingOptions(push_privacy_level="metadata"))
    assert payload.fields["Subject"] == "Email with Jane Doe"
    assert "Description" not in payload.fields


def test_an_email_task_is_completed_dated_and_linked_to_the_contact_and_its_account():
    record = build_task(email(), options=OPTIONS).record()
    assert record["Relintel_Id__c"] == email_external_id(organization_id=1, message_id="<m1@mail.acme.com>")
    assert record["TaskSubtype"] == "Email"
    assert record["Type"] == "Email"
    assert record["Status"] == "Completed"
    assert record["Priority"] == "Normal"
    assert record["ActivityDate"] == "2024-05-01"
    assert record["Who"] == {
        "attributes": {"type": "Contact"},
        "Relintel_Id__c": contact_external_id(organization_id=1, contact_id=7),
    }
    assert record["What"] == {
        "attributes": {"type": "Account"},
        "Relintel_Id__c": company_external_id(organization_id=1, company_id=3),
    }


def test_activity_date_is_the_day_in_the_organizations_time_zone():
    options = MappingOptions(timezone=zoneinfo.ZoneInfo("Europe/Lisbon"))
    assert build_task(email(), options=options).fields["ActivityDate"] == "2024-05-01"
    options = MappingOptions(timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert build_task(email(), options=options).fields["ActivityDate"] == "2024-05-02"


def test_known_salesforce_ids_are_used_directly():
    person = jane_person(salesforce_contact_id="003000000000007AAA", company=ACME_LINKED)
    interaction = email(participants=(ParticipantData(person=person, role="from"),))
    fields = build_task(interaction, options=OPTIONS).fields
    assert fields["WhoId"] == "003000000000007AAA"
    assert fields["WhatId"] == "001000000000003AAA"


def test_a_task_about_a_lead_has_no_related_account():
    lead = jane_person(company=None)
    fields = build_task(email(participants=(ParticipantData(person=lead, role="from"),)), options=OPTIONS).fields
    assert fields["Who"]["attributes"] == {"type": "Lead"}
    assert "What" not in fields and "WhatId" not in fields


def test_an_outbound_email_is_with_its_first_recipient_and_an_inbound_one_with_its_sender():
    max_ = PersonRef(sobject="Contact", name="Max Roe", local_id=8)
    people = (
        ParticipantData(person=jane_person(), role="from"),
        ParticipantData(person=max_, role="to"),
    )
    outbound = build_task(email("metadata", direction="outbound", participants=people), options=OPTIONS)
    inbound = build_task(email("metadata", direction="inbound", participants=people), options=OPTIONS)
    assert outbound.fields["Who"]["Relintel_Id__c"] == contact_external_id(organization_id=1, contact_id=8)
    assert inbound.fields["Who"]["Relintel_Id__c"] == contact_external_id(organization_id=1, contact_id=7)
    assert inbound.fields["Subject"] == "Email with Jane Doe and Max Roe"


def test_an_activity_with_no_known_contact_has_no_who_and_names_the_address():
    interaction = email("metadata", participants=(ParticipantData(person=None, role="from", address="x@y.org"),))
    payload = build_task(interaction, options=OPTIONS)
    assert payload.fields["Subject"] == "Email with x@y.org"
    assert "Who" not in payload.fields and "WhoId" not in payload.fields


def test_a_call_becomes_a_call_task_with_its_direction_and_duration():
    call = email(kind="call", external_id="", direction="outbound", duration_minutes=12, subject="Intro call")
    fields = build_task(call, options=OPTIONS).fields
    assert fields["TaskSubtype"] == "Call"
    assert fields["Type"] == "Call"
    assert fields["CallType"] == "Outbound"
    assert fields["CallDurationInSeconds"] == "720"  # no describe: sent as text; see the describe test


def test_with_a_describe_values_take_the_fields_types():
    call = email(kind="call", external_id="", duration_minutes=12)
    fields = build_task(call, options=OPTIONS, describe=describe("Task")).fields
    assert fields["CallDurationInSeconds"] == 720
    assert fields["CallType"] == "Inbound"


@pytest.mark.parametrize("kind", ["email", "call", "meeting"])
def test_a_private_interaction_is_never_mapped(kind):
    private = email(kind=kind, visibility="private")
    with pytest.raises(NotPushable, match="Private"):
        build_activity(private, options=OPTIONS)
    with pytest.raises(NotPushable):
        build_event_relations(private, event_salesforce_id="00U000000000001AAA", options=OPTIONS)


def test_notes_stay_in_relintel():
    with pytest.raises(NotPushable, match="Notes"):
        build_activity(email(kind="note"), options=OPTIONS)


def test_task_subtype_is_sent_on_create_only():
    payload = build_task(email(), options=OPTIONS)
    assert "TaskSubtype" in payload.record()
    assert "TaskSubtype" not in payload.record(for_update=True)
    assert "Relintel_Id__c" not in payload.body()


def test_the_digest_changes_only_when_what_is_sent_changes():
    assert build_task(email(), options=OPTIONS).digest == build_task(email(), options=OPTIONS).digest
    assert build_task(email(), options=OPTIONS).digest != build_task(email(subject="Other"), options=OPTIONS).digest


# --- meetings → Event + EventRelation -----------------------------------------------------


def meeting(**overrides) -> InteractionData:
    values = {
        "kind": "meeting",
        "external_id": "uid-1@cal.example",
        "duration_minutes": 45,
        "direction": "outbound",
        "subject": "Kick-off",
        "participants": (
            ParticipantData(person=None, role="organizer", address="rita@ours.example", is_user=True),
            ParticipantData(
                person=jane_person(salesforce_contact_id="003000000000007AAA"),
                role="attendee",
                response_status="accepted",
            ),
            ParticipantData(
                person=PersonRef(sobject="Contact", name="Max Roe", local_id=8, salesforce_id="003000000000008AAA"),
                role="attendee",
                response_status="declined",
            ),
            ParticipantData(
                person=PersonRef(sobject="Lead", name="Lee Lead", local_id=9, salesforce_id="00Q000000000009AAA"),
                role="attendee",
            ),
            ParticipantData(person=PersonRef(sobject="Contact", name="New Person", local_id=10), role="attendee"),
        ),
    }
    values.update(overrides)
    return email(**values)


def test_a_meeting_becomes_an_event_with_start_end_and_activity_time():
    payload = build_event(meeting(), options=OPTIONS, describe=describe("Event"))
    assert payload.sobject == "Event"
    assert payload.fields["StartDateTime"] == "2024-05-01T22:30:00.000Z"
    assert payload.fields["ActivityDateTime"] == "2024-05-01T22:30:00.000Z"
    assert payload.fields["EndDateTime"] == "2024-05-01T23:15:00.000Z"
    assert payload.fields["WhoId"] == "003000000000007AAA"
    assert payload.fields["Subject"] == "Kick-off"
    assert payload.truncated == () and payload.dropped == ()


@pytest.mark.parametrize(
    ("minutes", "end"), [(None, "2024-05-01T23:00:00.000Z"), (60 * 24 * 30, "2024-05-15T22:30:00.000Z")]
)
def test_a_meeting_without_a_duration_lasts_the_default_and_none_lasts_beyond_14_days(minutes, end):
    assert build_event(meeting(duration_minutes=minutes), options=OPTIONS).fields["EndDateTime"] == end


def test_a_meeting_subject_follows_its_privacy_level():
    assert build_event(meeting(privacy_level="metadata"), options=OPTIONS).fields["Subject"] == (
        "Meeting with Jane Doe and 3 others"
    )


def test_other_attendees_become_event_relations_with_their_answers():
    rows, skipped = build_event_relations(meeting(), event_salesforce_id="00U000000000001AAA", options=OPTIONS)
    assert rows == [
        {
            "attributes": {"type": "EventRelation"},
            "EventId": "00U000000000001AAA",
            "RelationId": "003000000000008AAA",
            "Status": "Declined",
        },
        {
            "attributes": {"type": "EventRelation"},
            "EventId": "00U000000000001AAA",
            "RelationId": "00Q000000000009AAA",
            "Status": "New",
        },
    ]
    assert [(s.name, s.reason) for s in skipped] == [("New Person", "not in Salesforce yet as a Contact")]


def test_with_shared_activities_attendees_can_be_related_instead_of_invited():
    rows, _ = build_event_relations(
        meeting(), event_salesforce_id="00U000000000001AAA", options=MappingOptions(event_relation_mode="related")
    )
    assert {r["RelationId"] for r in rows} == {"003000000000008AAA", "00Q000000000009AAA"}
    assert all(r["IsParent"] is True and r["IsInvitee"] is False and "Status" not in r for r in rows)


def test_event_relations_are_diffed_against_what_salesforce_has():
    desired, _ = build_event_relations(meeting(), event_salesforce_id="00U1", options=OPTIONS)
    existing = [
        {"Id": "0RE1", "RelationId": "003000000000008AAA", "Status": "New"},  # answer changed
        {"Id": "0RE2", "RelationId": "003000000000099AAA", "Status": "New"},  # left the meeting
        {"Id": "0RE3", "RelationId": "003000000000007AAA", "Status": None},  # the Who's own row
    ]
    create, update, delete = diff_event_relations(desired, existing)
    assert [r["RelationId"] for r in create] == ["00Q000000000009AAA"]
    assert update == [{"attributes": {"type": "EventRelation"}, "Id": "0RE1", "Status": "Declined"}]
    assert delete == ["0RE2"]


# --- help offers → Task ----------------------------------------------------------------------


def help_offer(**overrides) -> HelpOfferData:
    values = {
        "id": 21,
        "organization_id": 1,
        "contact": jane_person(),
        "kind": "advice",
        "description": "How we priced our Series A\nmore detail",
        "status": "offered",
        "due_date": datetime.date(2024, 6, 1),
        "giver_name": "Rita Rep",
    }
    values.update(overrides)
    return HelpOfferData(**values)


@pytest.mark.parametrize(
    ("overrides", "subject"),
    [
        ({"kind": "intro", "intro_contact_name": "Max Roe"}, "Give-first: intro to Max Roe"),
        ({}, "Give-first: advice — How we priced our Series A"),
        ({"kind": "other", "description": "Lend a booth"}, "Give-first: help — Lend a booth"),
        ({"direction": "received", "kind": "referral", "description": ""}, "Received: referral from Jane Doe"),
        (
            {"direction": "received", "kind": "intro", "intro_contact_name": "Max Roe"},
            "Received: intro to Max Roe from Jane Doe",
        ),
    ],
)
def test_a_help_offer_task_has_a_clear_subject(overrides, subject):
    assert build_help_offer_task(help_offer(**overrides), options=OPTIONS).fields["Subject"] == subject


@pytest.mark.parametrize(
    ("status", "task_status"),
    [
        ("offered", "Not Started"),
        ("accepted", "In Progress"),
        ("delivered", "Completed"),
        ("declined", "Completed"),
        ("withdrawn", "Completed"),
    ],
)
def test_a_help_offer_task_status_follows_its_lifecycle(status, task_status):
    delivered = WHEN if status == "delivered" else None
    payload = build_help_offer_task(help_offer(status=status, delivered_at=delivered), options=OPTIONS)
    assert payload.fields["Status"] == task_status
    assert f"Status: {status.capitalize()}" in payload.fields["Description"]


def test_an_org_with_a_cancelled_status_can_map_declined_help_to_it():
    options = MappingOptions(help_statuses={"declined": "Cancelled"})
    assert build_help_offer_task(help_offer(status="declined"), options=options).fields["Status"] == "Cancelled"


def test_a_help_offer_task_is_due_on_its_due_date_or_dated_when_delivered():
    assert build_help_offer_task(help_offer(), options=OPTIONS).fields["ActivityDate"] == "2024-06-01"
    delivered = help_offer(due_date=None, status="delivered", delivered_at=WHEN)
    assert build_help_offer_task(delivered, options=OPTIONS).fields["ActivityDate"] == "2024-05-01"
    assert "ActivityDate" not in build_help_offer_task(help_offer(due_date=None), options=OPTIONS).fields


# --- fitting to the org's field lengths -----------------------------------------------------


def test_values_are_cut_to_the_describe_lengths_and_the_cuts_recorded():
    long_subject = "Re: " + "budget " * 60
    payload = build_task(email(subject=long_subject, body="x" * 40_000), options=OPTIONS, describe=describe("Task"))
    assert len(payload.fields["Subject"]) == 255 and payload.fields["Subject"].endswith("…")
    assert len(payload.fields["Description"]) == 32_000
    assert [(t.field, t.original_length, t.length) for t in payload.truncated] == [
        ("Subject", len(" ".join(long_subject.split())), 255),
        ("Description", 40_000, 32_000),
    ]


def test_a_shorter_custom_length_in_the_org_is_respected():
    task = describe("Task")
    next(f for f in task["fields"] if f["name"] == "Subject")["length"] = 80
    payload = build_task(email(subject="s" * 100), options=OPTIONS, describe=task)
    assert len(payload.fields["Subject"]) == 80


def test_without_a_describe_the_standard_lengths_apply():
    payload = build_contact(jane(first_name="J" * 50, title="T" * 200), options=OPTIONS)
    assert len(payload.fields["FirstName"]) == 40
    assert len(payload.fields["Title"]) == 128
    assert {t.field for t in payload.truncated} == {"FirstName", "Title"}


def test_an_email_too_long_for_the_field_is_left_out_rather_than_cut():
    address = "a" * 75 + "@acme.com"
    payload = build_contact(jane(emails=(address,)), options=OPTIONS, describe=describe("Contact"))
    assert "Email" not in payload.fields
    assert payload.dropped[0].field == "Email"


def test_a_value_the_field_type_cannot_take_is_left_out_and_recorded():
    options = MappingOptions(field_maps={("contact", "Contact"): {"Birthdate": "location"}})
    payload = build_contact(jane(), options=options, describe=describe("Contact"))
    assert "Birthdate" not in payload.fields
    assert str(payload.dropped[0]) == "Birthdate not sent: “Lisbon” is not a date"


def test_a_field_missing_from_the_describe_is_left_out_and_recorded():
    options = MappingOptions(field_maps={("contact", "Contact"): {"Hobbies__c": "interests"}})
    payload = build_contact(jane(interests="chess"), options=options, describe=describe("Contact"))
    assert "Hobbies__c" not in payload.fields
    assert "Contact has no field Hobbies__c" in payload.notes[0]


def test_cuts_count_utf16_units_and_never_split_an_emoji():
    text = "🙂" * 10
    assert utf16_length(text) == 20
    cut = cut_utf16(text, 7, ellipsis=False)
    assert cut == "🙂" * 3
    assert cut_utf16("abcdef", 4, ellipsis=True) == "abc…"
