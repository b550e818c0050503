"""Describe, sObject rows, upsert by external id and sObject Collections, with Salesforce's shapes."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceMoreThanOneRecord

from sync.emulator.ids import IdFactory, case_safe_suffix, normalize_id, to_18

pytest_plugins = ["tests.sync.emulator_fixtures"]

UPSERT = "composite/sobjects/Contact/Relintel_Id__c"


def contact(ext: str, **fields) -> dict:
    return {"attributes": {"type": "Contact"}, "LastName": f"Person {ext}", "Relintel_Id__c": ext, **fields}


# --- ids -------------------------------------------------------------------------------------
def test_the_case_safe_suffix_matches_salesforce():
    assert to_18("001D000000IqhSL") == "001D000000IqhSLIAZ"
    assert case_safe_suffix("003000000000000") == "AAA"


def test_ids_have_the_key_prefix_of_their_object_and_a_valid_suffix():
    factory = IdFactory()
    for name, prefix in [
        ("Account", "001"),
        ("Contact", "003"),
        ("Lead", "00Q"),
        ("Task", "00T"),
        ("Event", "00U"),
        ("EventRelation", "0RE"),
    ]:
        record_id = factory.new(name)
        assert record_id.startswith(prefix) and len(record_id) == 18
        assert normalize_id(record_id) == record_id
        assert normalize_id(record_id[:15]) == record_id


def test_malformed_ids_are_recognised():
    assert normalize_id("001D000000IqhSLAAA") is None
    assert normalize_id("not-an-id") is None
    assert normalize_id(12) is None


# --- versions and describe -------------------------------------------------------------------
def test_versions_are_listed_without_a_session(emulator):
    import requests

    versions = requests.get(f"{emulator.url}/services/data/").json()
    assert {"label": "v59.0", "url": "/services/data/v59.0", "version": "59.0"} in versions
    assert min(float(v["version"]) for v in versions) == 50.0


def test_an_old_api_version_is_not_found(api):
    response = api("GET", "../v49.0/limits")
    assert response.status_code == 404


def test_global_describe_lists_the_objects_the_sync_uses(sf):
    described = sf.describe()
    names = {o["name"]: o for o in described["sobjects"]}
    assert set(names) >= {"Account", "Contact", "Lead", "Task", "Event", "EventRelation"}
    assert names["Lead"]["keyPrefix"] == "00Q"
    assert described["maxBatchSize"] == 200


def fields_of(sf, name: str) -> dict:
    return {f["name"]: f for f in sf.restful(f"sobjects/{name}/describe/")["fields"]}


def test_contact_describe_has_realistic_fields(sf):
    fields = fields_of(sf, "Contact")
    assert fields["LastName"]["nillable"] is False and fields["LastName"]["length"] == 80
    assert fields["AccountId"]["type"] == "reference" and fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["Id"]["createable"] is False and fields["Id"]["idLookup"] is True
    assert fields["SystemModstamp"]["updateable"] is False
    ext = fields["Relintel_Id__c"]
    assert (ext["externalId"], ext["unique"], ext["idLookup"], ext["type"], ext["length"], ext["custom"]) == (
        True,
        True,
        True,
        "string",
        255,
        True,
    )
    for name in ("FirstName", "Email", "Phone", "Title", "MailingCity", "CreatedDate", "LastModifiedDate", "IsDeleted"):
        assert name in fields


def test_lead_status_and_task_picklists_carry_defaults(sf):
    status = fields_of(sf, "Lead")["Status"]
    assert status["defaultedOnCreate"] is True and status["restrictedPicklist"] is True
    assert [p["value"] for p in status["picklistValues"] if p["defaultValue"]] == ["Open - Not Contacted"]
    task = fields_of(sf, "Task")
    assert {p["value"] for p in task["TaskSubtype"]["picklistValues"]} >= {"Email", "Call", "Task"}
    assert task["WhoId"]["referenceTo"] == ["Contact", "Lead"]
    event = fields_of(sf, "Event")
    for name in ("StartDateTime", "EndDateTime", "DurationInMinutes", "ActivityDateTime", "WhatId"):
        assert name in event
    relation = fields_of(sf, "EventRelation")
    assert relation["EventId"]["updateable"] is False and "Relintel_Id__c" not in relation


def test_describe_of_an_unknown_object_is_404(api):
    response = api("GET", "sobjects/Nope__c/describe/")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


# --- single-record CRUD ----------------------------------------------------------------------
def test_create_read_update_delete_a_contact(sf, api, emulator):
    account_id = sf.restful("sobjects/Account/", method="POST", json={"Name": "Acme"})["id"]
    created = api(
        "POST", "sobjects/Contact/", json={"FirstName": "Ada", "LastName": "Lovelace", "AccountId": account_id}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["success"] is True and body["errors"] == [] and body["id"].startswith("003")
    record = sf.restful(f"sobjects/Contact/{body['id']}")
    assert record["Name"] == "Ada Lovelace" and record["AccountId"] == account_id
    assert record["attributes"] == {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{body['id']}"}
    updated = api("PATCH", f"sobjects/Contact/{body['id']}", json={"Title": "Countess"})
    assert updated.status_code == 204 and updated.content == b""
    assert sf.restful(f"sobjects/Contact/{body['id']}", params={"fields": "Title"})["Title"] == "Countess"
    assert api("DELETE", f"sobjects/Contact/{body['id']}").status_code == 204
    gone = api("GET", f"sobjects/Contact/{body['id']}")
    assert gone.status_code == 404
    assert gone.json() == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]


def test_a_lead_gets_its_default_status(sf):
    lead_id = sf.restful("sobjects/Lead/", method="POST", json={"LastName": "Ripley", "Company": "Weyland"})["id"]
    assert sf.restful(f"sobjects/Lead/{lead_id}")["Status"] == "Open - Not Contacted"


def test_an_event_derives_its_end_from_the_duration(sf):
    event_id = sf.restful(
        "sobjects/Event/",
        method="POST",
        json={"Subject": "Intro", "StartDateTime": "2026-03-01T10:00:00Z", "DurationInMinutes": 30},
    )["id"]
    event = sf.restful(f"sobjects/Event/{event_id}")
    assert event["EndDateTime"] == "2026-03-01T10:30:00.000+0000"
    assert event["ActivityDate"] == "2026-03-01"


def test_an_event_relation_links_an_event_and_a_contact(sf):
    event_id = sf.restful(
        "sobjects/Event/",
        method="POST",
        json={"Subject": "Intro", "StartDateTime": "2026-03-01T10:00:00Z", "EndDateTime": "2026-03-01T11:00:00Z"},
    )["id"]
    contact_id = sf.restful("sobjects/Contact/", method="POST", json={"LastName": "Hopper"})["id"]
    relation = sf.restful(
        "sobjects/EventRelation/", method="POST", json={"EventId": event_id, "RelationId": contact_id}
    )
    assert relation["id"].startswith("0RE")


def test_an_unknown_id_is_404_not_found(api):
    response = api("GET", "sobjects/Contact/0035g0000000000AAA")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


# --- validation (single record: 400 [{"message", "errorCode", "fields"}]) ---------------------
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"FirstName": "Ada"},
            {
                "message": "Required fields are missing: [LastName]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": ["LastName"],
            },
        ),
        (
            {"LastName": "X", "Shoe_Size__c": 9},
            {
                "message": "No such column 'Shoe_Size__c' on sobject of type Contact",
                "errorCode": "INVALID_FIELD",
                "fields": ["Shoe_Size__c"],
            },
        ),
        (
            {"LastName": "X" * 81},
            {
                "message": "Last Name: data value too large: XXXXXXXXXXXXXXXXXXXX(...) (max length=80)",
                "errorCode": "STRING_TOO_LONG",
                "fields": ["LastName"],
            },
        ),
        (
            {"LastName": "X", "Name": "Y"},
            {
                "message": "Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                "fields": ["Name"],
            },
        ),
        (
            {"LastName": "X", "AccountId": "garbage"},
            {
                "message": "Account ID: id value of incorrect type: garbage",
                "errorCode": "MALFORMED_ID",
                "fields": ["AccountId"],
            },
        ),
        (
            {"LastName": "X", "AccountId": "0015g0000000000AAA"},
            {
                "message": "invalid cross reference id: 0015g0000000000AAA",
                "errorCode": "INVALID_CROSS_REFERENCE_KEY",
                "fields": ["AccountId"],
            },
        ),
        (
            {"LastName": "X", "AccountId": "0035g0000000000AAA"},
            {
                "message": "Account ID: id value of incorrect type: 0035g0000000000AAA",
                "errorCode": "FIELD_INTEGRITY_EXCEPTION",
                "fields": ["AccountId"],
            },
        ),
    ],
)
def test_invalid_contacts_get_salesforce_errors(api, payload, expected):
    response = api("POST", "sobjects/Contact/", json=payload)
    assert response.status_code == 400
    assert response.json() == [expected]


def test_a_restricted_picklist_refuses_unknown_values(api):
    response = api("POST", "sobjects/Task/", json={"Subject": "Call", "Status": "Pondering"})
    assert response.json() == [
        {
            "message": "Status: bad value for restricted picklist field: Pondering",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "fields": ["Status"],
        }
    ]


def test_a_bad_datetime_is_a_json_parser_error(api):
    response = api("POST", "sobjects/Event/", json={"StartDateTime": "yesterday", "DurationInMinutes": 5})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_a_second_record_with_the_same_external_id_is_a_duplicate_value(api):
    first = api("POST", "sobjects/Contact/", json={"LastName": "A", "Relintel_Id__c": "ext-1"}).json()["id"]
    response = api("POST", "sobjects/Contact/", json={"LastName": "B", "Relintel_Id__c": "EXT-1"})
    assert response.json() == [
        {
            "message": f"duplicate value found: Relintel_Id__c duplicates value on record with id: {first}",
            "errorCode": "DUPLICATE_VALUE",
            "fields": [],
        }
    ]


def test_duplicate_rules_can_be_switched_on(api, emulator):
    api("POST", "sobjects/Contact/", json={"LastName": "A", "Email": "a@x.example"})
    assert api("POST", "sobjects/Contact/", json={"LastName": "B", "Email": "A@x.example"}).status_code == 201
    emulator.state.faults.configure(duplicate_rules=True)
    response = api("POST", "sobjects/Contact/", json={"LastName": "C", "Email": "a@x.example"})
    assert response.json()[0]["errorCode"] == "DUPLICATES_DETECTED"


# --- upsert by external id -------------------------------------------------------------------
def test_upsert_creates_then_updates_by_external_id(api, emulator):
    created = api("PATCH", "sobjects/Contact/Relintel_Id__c/rel-1", json={"LastName": "Hopper"})
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "success": True, "errors": [], "created": True}
    updated = api("PATCH", "sobjects/Contact/Relintel_Id__c/rel-1", json={"Title": "Rear Admiral"})
    assert updated.status_code == 200
    assert updated.json() == {"id": body["id"], "success": True, "errors": [], "created": False}
    assert emulator.state.counters.external_id_creations("Contact") == {"rel-1": 1}
    assert api("GET", "sobjects/Contact/Relintel_Id__c/rel-1").json()["Title"] == "Rear Admiral"


def test_upsert_through_simple_salesforce_reports_the_status(sf):
    assert sf.Contact.upsert("Relintel_Id__c/rel-2", {"LastName": "Liskov"}) == 201
    assert sf.Contact.upsert("Relintel_Id__c/rel-2", {"Title": "Professor"}) == 200


def test_upsert_matching_two_records_answers_300_with_their_urls(sf, emulator):
    ids = emulator.state.seed(
        "Contact", [{"LastName": "A", "Relintel_Id__c": "twin"}, {"LastName": "B", "Relintel_Id__c": "twin"}]
    )
    with pytest.raises(SalesforceMoreThanOneRecord) as raised:
        sf.restful("sobjects/Contact/Relintel_Id__c/twin", method="PATCH", json={"Title": "x"})
    assert raised.value.content == [f"/services/data/v59.0/sobjects/Contact/{i}" for i in sorted(ids)]


def test_upsert_by_a_field_that_is_not_an_external_id_is_404(api):
    response = api("PATCH", "sobjects/Contact/Shoe__c/9", json={"LastName": "X"})
    assert response.status_code == 404
    assert response.json() == [
        {"message": "Provided external ID field does not exist or is not accessible: Shoe__c", "errorCode": "NOT_FOUND"}
    ]


# --- sObject Collections ---------------------------------------------------------------------
def test_collections_upsert_reports_each_record_in_order(sf, emulator):
    emulator.state.seed("Contact", [{"LastName": "Existing", "Relintel_Id__c": "c-2"}])
    results = sf.restful(
        UPSERT,
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                contact("c-1"),
                contact("c-2", Title="Updated"),
                {"attributes": {"type": "Contact"}, "FirstName": "NoLast", "Relintel_Id__c": "c-3"},
                contact("c-4", AccountId="001garbage"),
            ],
        },
    )
    assert [r["success"] for r in results] == [True, True, False, False]
    assert results[0]["created"] is True and results[1]["created"] is False
    assert results[2] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [LastName]",
                "fields": ["LastName"],
            }
        ],
    }
    assert results[3]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert emulator.state.counters.external_id_creations("Contact") == {"c-1": 1}


def test_collections_upsert_all_or_none_rolls_everything_back(sf, emulator):
    results = sf.restful(
        UPSERT,
        method="PATCH",
        json={
            "allOrNone": True,
            "records": [contact("a-1"), {"attributes": {"type": "Contact"}, "Relintel_Id__c": "a-2"}],
        },
    )
    assert results[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    assert emulator.state.counters.created["Contact"] == 0


def test_collections_upsert_twice_creates_each_external_id_once(sf, emulator):
    records = [contact(f"x-{i}") for i in range(200)]
    first = sf.restful(UPSERT, method="PATCH", json={"records": records})
    second = sf.restful(UPSERT, method="PATCH", json={"records": records})
    assert all(r["created"] for r in first) and not any(r["created"] for r in second)
    assert set(emulator.state.counters.external_id_creations("Contact").values()) == {1}


def test_the_same_external_id_twice_in_one_request_fails_both(sf):
    results = sf.restful(UPSERT, method="PATCH", json={"records": [contact("d-1"), contact("D-1"), contact("d-2")]})
    assert [r["success"] for r in results] == [False, False, True]
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"


def test_more_than_200_records_is_refused(api):
    response = api("PATCH", UPSERT, json={"records": [contact(f"y-{i}") for i in range(201)]})
    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]


def test_an_unknown_field_fails_the_whole_collection_and_writes_nothing(sf):
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful(UPSERT, method="PATCH", json={"records": [contact("z-1"), contact("z-2", Shoe__c=1)]})
    content: Any = raised.value.content
    assert content[0]["errorCode"] == "INVALID_FIELD"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0


def test_collections_upsert_requires_the_type_attribute(sf):
    results = sf.restful(UPSERT, method="PATCH", json={"records": [{"LastName": "X", "Relintel_Id__c": "t-1"}]})
    assert results[0]["errors"][0] == {
        "statusCode": "INVALID_TYPE",
        "message": "Must send a concrete entity type.",
        "fields": [],
    }


def test_a_contact_can_reference_its_account_by_external_id(sf):
    account = sf.restful("sobjects/Account/", method="POST", json={"Name": "Acme", "Relintel_Id__c": "acc-1"})
    results = sf.restful(
        UPSERT,
        method="PATCH",
        json={
            "records": [
                contact("r-1", Account={"Relintel_Id__c": "acc-1"}),
                contact("r-2", Account={"Relintel_Id__c": "acc-404"}),
            ]
        },
    )
    assert results[0]["success"] is True
    assert sf.restful(f"sobjects/Contact/{results[0]['id']}")["AccountId"] == account["id"]
    assert (
        results[1]["errors"][0]["message"]
        == "Foreign key external ID: acc-404 not found for field Relintel_Id__c in entity Account"
    )


def test_collections_create_update_and_delete(sf):
    created = sf.restful(
        "composite/sobjects",
        method="POST",
        json={
            "records": [
                {"attributes": {"type": "Account"}, "Name": "One"},
                {"attributes": {"type": "Lead"}, "LastName": "Two", "Company": "Co"},
            ]
        },
    )
    assert [r["success"] for r in created] == [True, True]
    account_id, lead_id = created[0]["id"], created[1]["id"]
    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "records": [
                {"attributes": {"type": "Account"}, "id": account_id, "Industry": "Banking"},
                {"attributes": {"type": "Lead"}, "LastName": "No id"},
            ]
        },
    )
    assert updated[0] == {"id": account_id, "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": f"{account_id},{lead_id}"})
    assert deleted == [
        {"id": account_id, "success": True, "errors": []},
        {"id": lead_id, "success": True, "errors": []},
    ]
    again = sf.restful("composite/sobjects", method="DELETE", params={"ids": account_id})
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_collections_retrieve_returns_null_for_missing_ids(sf):
    account_id = sf.restful("sobjects/Account/", method="POST", json={"Name": "One"})["id"]
    rows = sf.restful(
        "composite/sobjects/Account", params={"ids": f"{account_id},0015g0000000000AAA", "fields": "Name"}
    )
    assert rows[0]["Name"] == "One" and rows[1] is None
