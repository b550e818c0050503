"""A mapping checked against the org's describe: every problem names the field and the fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sync.salesforce.describe import ERROR, WARNING, PlannedField, validate_mapping, writable_fields
from sync.salesforce.mapping import MappingOptions, check_mapping

DATA = Path(__file__).parent / "data"
OPTIONS = MappingOptions()


def describe(name: str) -> dict:
    return json.loads((DATA / f"describe_{name.lower()}.json").read_text())


def field(d: dict, name: str) -> dict:
    return next(f for f in d["fields"] if f["name"] == name)


def without(d: dict, name: str) -> dict:
    d = copy.deepcopy(d)
    d["fields"] = [f for f in d["fields"] if f["name"] != name]
    return d


@pytest.mark.parametrize(
    ("local_kind", "sobject"),
    [
        ("company", "Account"),
        ("contact", "Contact"),
        ("contact", "Lead"),
        ("email", "Task"),
        ("call", "Task"),
        ("meeting", "Event"),
        ("help_offer", "Task"),
        ("meeting", "EventRelation"),
    ],
)
def test_the_default_mappings_fit_a_standard_org_with_the_external_id_field(local_kind, sobject):
    assert check_mapping(local_kind, sobject, describe(sobject), OPTIONS) == []


def test_a_missing_external_id_field_says_exactly_which_field_to_create():
    problems = check_mapping("contact", "Contact", without(describe("Contact"), "Relintel_Id__c"), OPTIONS)
    assert len(problems) == 1
    assert problems[0].code == "external_id_missing"
    assert problems[0].message == "Contact has no field Relintel_Id__c to hold Relintel's ids"
    assert problems[0].remedy.startswith(
        "Create a custom field on Contact: Text(255), External ID, Unique, Field Name Relintel_Id, "
        "API name Relintel_Id__c"
    )


def test_a_custom_external_id_field_name_is_checked_instead():
    options = MappingOptions(external_id_fields={"Account": "Legacy_Key__c"})
    [problem] = check_mapping("company", "Account", describe("Account"), options)
    assert "API name Legacy_Key__c" in problem.remedy


def test_an_external_id_field_not_marked_external_id_must_be_ticked():
    d = describe("Account")
    field(d, "Relintel_Id__c").update(externalId=False, unique=False)
    [problem] = check_mapping("company", "Account", d, OPTIONS)
    assert problem.code == "external_id_not_marked"
    assert problem.remedy == "In Setup, edit the field Account.Relintel_Id__c and tick External ID and Unique"


def test_an_external_id_that_is_not_unique_is_a_warning():
    d = describe("Account")
    field(d, "Relintel_Id__c")["unique"] = False
    [problem] = check_mapping("company", "Account", d, OPTIONS)
    assert (problem.code, problem.severity) == ("external_id_not_unique", WARNING)
    assert "View All Data" in problem.message


def test_an_external_id_field_too_short_or_of_the_wrong_type_is_reported():
    d = describe("Account")
    field(d, "Relintel_Id__c")["length"] = 20
    assert [p.code for p in check_mapping("company", "Account", d, OPTIONS)] == ["external_id_too_short"]
    field(d, "Relintel_Id__c").update(type="double", length=0, idLookup=False)
    assert [p.code for p in check_mapping("company", "Account", d, OPTIONS)] == ["external_id_wrong_type"]


def test_a_mapped_field_that_does_not_exist_is_named():
    options = MappingOptions(field_maps={("contact", "Contact"): {"Foo__c": "interests"}})
    [problem] = check_mapping("contact", "Contact", describe("Contact"), options)
    assert problem.code == "field_missing"
    assert problem.message == "Field Contact.Foo__c does not exist (mapped from interests)"
    assert "field-level security" in problem.remedy


def test_a_field_hidden_or_read_only_for_the_integration_user_points_to_field_level_security():
    d = describe("Task")
    field(d, "Description")["updateable"] = False
    [problem] = check_mapping("email", "Task", d, OPTIONS)
    assert problem.message == "Task.Description is not writable for the integration user (it can't be updated)"
    assert problem.remedy.startswith("Check field-level security")


def test_task_subtype_only_needs_to_be_createable():
    d = describe("Task")
    assert field(d, "TaskSubtype")["updateable"] is False
    assert check_mapping("email", "Task", d, OPTIONS) == []
    field(d, "TaskSubtype")["createable"] = False
    assert [p.code for p in check_mapping("email", "Task", d, OPTIONS)] == ["field_not_writable"]


def test_a_formula_field_cannot_be_mapped():
    options = MappingOptions(field_maps={("company", "Account"): {"Total_Revenue__c": "name"}})
    [problem] = check_mapping("company", "Account", describe("Account"), options)
    assert problem.code == "field_computed"
    assert problem.remedy == "Remove Account.Total_Revenue__c from the Account mapping"


def test_a_value_of_the_wrong_type_is_reported_with_both_types():
    options = MappingOptions(field_maps={("contact", "Contact"): {"Birthdate": "notes"}})
    [problem] = check_mapping("contact", "Contact", describe("Contact"), options)
    assert problem.code == "type_mismatch"
    assert problem.message == "Contact.Birthdate is a date field but notes is long text"


def test_a_missing_picklist_value_says_which_value_to_add():
    d = describe("Task")
    field(d, "Status")["picklistValues"] = [
        v for v in field(d, "Status")["picklistValues"] if v["value"] != "Completed"
    ]
    [problem] = check_mapping("email", "Task", d, OPTIONS)
    assert problem.code == "picklist_value_missing"
    assert problem.message == "Task.Status has no active value “Completed”"
    assert problem.remedy.startswith("In Setup, add “Completed” to the Task.Status picklist")


def test_a_custom_help_status_must_exist_in_the_org():
    options = MappingOptions(help_statuses={**MappingOptions().help_statuses, "declined": "Cancelled"})
    problems = check_mapping("help_offer", "Task", describe("Task"), options)
    assert [p.message for p in problems] == ["Task.Status has no active value “Cancelled”"]


def test_a_required_custom_field_without_a_value_is_reported():
    d = describe("Contact")
    d["fields"].append(
        {
            **field(d, "Department"),
            "name": "Region__c",
            "custom": True,
            "nillable": False,
            "defaultedOnCreate": False,
        }
    )
    [problem] = check_mapping("contact", "Contact", d, OPTIONS)
    assert problem.code == "required_not_mapped"
    assert problem.message == "Contact.Region__c is required and the mapping gives it no value"
    assert problem.remedy.startswith("Map a local field to Contact.Region__c")


def test_required_fields_with_defaults_and_checkboxes_need_no_mapping():
    # Lead.Status and Task.Priority are defaulted on create; HasOptedOutOfEmail is a checkbox.
    assert check_mapping("contact", "Lead", describe("Lead"), OPTIONS) == []


def test_an_object_the_user_cannot_create_is_reported_first():
    d = describe("Event")
    d["createable"] = False
    problems = check_mapping("meeting", "Event", d, OPTIONS)
    assert problems[0].code == "object_not_writable"
    assert problems[0].remedy == "Give the integration user's profile or permission set Create and Edit on Event"


def test_errors_come_before_warnings():
    d = describe("Contact")
    field(d, "Relintel_Id__c")["unique"] = False
    options = MappingOptions(field_maps={("contact", "Contact"): {"Foo__c": "notes"}})
    assert [p.severity for p in check_mapping("contact", "Contact", d, options)] == [ERROR, WARNING]


def test_a_reference_field_must_point_where_we_link():
    d = describe("Task")
    field(d, "WhoId")["referenceTo"] = ["Contact"]
    [problem] = check_mapping("email", "Task", d, OPTIONS)
    assert problem.code == "reference_mismatch" and "Lead" in problem.message


def test_validate_mapping_without_external_id_is_for_created_objects():
    planned = [PlannedField("EventId", create_only=True, reference_to=("Event",))]
    problems = validate_mapping(describe("EventRelation"), planned, external_id_field=None)
    assert [p.code for p in problems] == ["required_not_mapped"]  # RelationId
    assert problems[0].field == "RelationId"


def test_writable_fields_offer_only_fields_that_exist_and_can_be_written():
    names = [f.name for f in writable_fields(describe("Contact"))]
    assert "Email" in names and "Relintel_Id__c" in names
    assert "Name" not in names and "Id" not in names and "CreatedDate" not in names
    assert names == [f.name for f in sorted(writable_fields(describe("Contact")), key=lambda f: f.label.lower())]


def test_create_only_fields_are_offered_when_not_upserting():
    upsert = {f.name for f in writable_fields(describe("Task"))}
    create = {f.name: f for f in writable_fields(describe("Task"), for_upsert=False)}
    assert "TaskSubtype" not in upsert
    assert create["TaskSubtype"].create_only is True
    assert "Email" in create["TaskSubtype"].picklist_values


def test_writable_fields_flag_required_ones():
    required = {f.name for f in writable_fields(describe("Lead")) if f.required}
    assert required == {"LastName", "Company"}


def test_field_names_are_matched_case_insensitively_like_salesforce():
    options = MappingOptions(field_maps={("contact", "Contact"): {"department": "title"}})
    assert check_mapping("contact", "Contact", describe("Contact"), options) == []
