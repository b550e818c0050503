"""Bulk API 2.0 ingest: job lifecycle, CSV upload, background processing and result files."""

from __future__ import annotations

import csv
import io
import time

import pytest

pytest_plugins = ["tests.sync.emulator_fixtures"]


def new_job(api, **overrides) -> dict:
    body = {
        "object": "Contact",
        "operation": "upsert",
        "externalIdFieldName": "Relintel_Id__c",
        "contentType": "CSV",
        "lineEnding": "LF",
        **overrides,
    }
    response = api("POST", "jobs/ingest", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def upload_and_close(api, job_id: str, text: str) -> None:
    assert (
        api(
            "PUT", f"jobs/ingest/{job_id}/batches", data=text.encode(), headers={"Content-Type": "text/csv"}
        ).status_code
        == 201
    )
    assert api("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"}).json()["state"] == "UploadComplete"


def wait_done(api, job_id: str) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = api("GET", f"jobs/ingest/{job_id}").json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def contacts_csv(count: int, *, blank_last_name_every: int = 0) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Relintel_Id__c", "FirstName", "LastName", "Email"])
    for i in range(count):
        last = "" if blank_last_name_every and i % blank_last_name_every == 0 else f"Person, {i}"
        writer.writerow([f"bulk-{i}", "Pat", last, f"pat{i}@example.com"])
    return out.getvalue()


def test_a_job_is_created_open_with_the_documented_fields(api, emulator):
    job = new_job(api)
    assert job["state"] == "Open" and job["id"].startswith("750")
    assert job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    assert (job["object"], job["operation"], job["externalIdFieldName"], job["columnDelimiter"], job["lineEnding"]) == (
        "Contact",
        "upsert",
        "Relintel_Id__c",
        "COMMA",
        "LF",
    )


def test_upserting_thousands_of_rows_reports_successes_and_failures(api, emulator):
    emulator.state.seed("Contact", [{"LastName": "Already here", "Relintel_Id__c": "bulk-1"}])
    job = new_job(api)
    upload_and_close(api, job["id"], contacts_csv(3000, blank_last_name_every=500))
    info = wait_done(api, job["id"])
    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3000, 6)
    successes = rows_of(api("GET", f"jobs/ingest/{job['id']}/successfulResults/").text)
    assert len(successes) == 2994
    assert list(successes[0]) == ["sf__Id", "sf__Created", "Relintel_Id__c", "FirstName", "LastName", "Email"]
    by_key = {row["Relintel_Id__c"]: row for row in successes}
    assert by_key["bulk-1"]["sf__Created"] == "false" and by_key["bulk-2"]["sf__Created"] == "true"
    assert by_key["bulk-2"]["LastName"] == "Person, 2" and by_key["bulk-2"]["sf__Id"].startswith("003")
    failures = rows_of(api("GET", f"jobs/ingest/{job['id']}/failedResults/").text)
    assert [row["Relintel_Id__c"] for row in failures] == [f"bulk-{i}" for i in range(0, 3000, 500)]
    assert failures[0]["sf__Error"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    assert failures[0]["sf__Id"] == ""
    creations = emulator.state.counters.external_id_creations("Contact")
    assert len(creations) == 2993 and set(creations.values()) == {1}


def test_simple_salesforce_bulk2_upsert_runs_against_the_emulator(sf, emulator):
    records = [{"Relintel_Id__c": f"s-{i}", "LastName": f"L{i}"} for i in range(50)]
    results = sf.bulk2.Contact.upsert(records=records, external_id_field="Relintel_Id__c", wait=0.05)
    assert results[0]["numberRecordsProcessed"] == 50 and results[0]["numberRecordsFailed"] == 0
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 50


def test_relationship_columns_reference_parents_by_external_id(api, emulator):
    (account_id,) = emulator.state.seed("Account", [{"Name": "Acme", "Relintel_Id__c": "acc-1"}])
    job = new_job(api)
    upload_and_close(api, job["id"], "Relintel_Id__c,LastName,Account.Relintel_Id__c\nc-1,One,acc-1\nc-2,Two,acc-404\n")
    assert wait_done(api, job["id"])["numberRecordsFailed"] == 1
    contact = next(r for r in emulator.state.records["Contact"].values() if r["Relintel_Id__c"] == "c-1")
    assert contact["AccountId"] == account_id


def test_insert_update_and_delete_jobs(api, emulator):
    insert = new_job(api, object="Lead", operation="insert", externalIdFieldName=None)
    upload_and_close(api, insert["id"], "LastName,Company\nA,Co\nB,Co\n")
    assert wait_done(api, insert["id"])["numberRecordsProcessed"] == 2
    ids = [row["sf__Id"] for row in rows_of(api("GET", f"jobs/ingest/{insert['id']}/successfulResults").text)]
    update = new_job(api, object="Lead", operation="update", externalIdFieldName=None)
    upload_and_close(api, update["id"], f"Id,Title\n{ids[0]},Boss\n001nope,Nobody\n")
    assert wait_done(api, update["id"])["numberRecordsFailed"] == 1
    assert emulator.state.records["Lead"][ids[0]]["Title"] == "Boss"
    delete = new_job(api, object="Lead", operation="delete", externalIdFieldName=None)
    upload_and_close(api, delete["id"], "Id\n" + "\n".join(ids) + "\n")
    assert wait_done(api, delete["id"])["numberRecordsFailed"] == 0
    assert all(emulator.state.records["Lead"][i]["IsDeleted"] for i in ids)


def test_an_unknown_column_fails_the_job_with_a_message(api):
    job = new_job(api)
    upload_and_close(api, job["id"], "Relintel_Id__c,LastName,Shoe__c\nx,Y,9\n")
    info = wait_done(api, job["id"])
    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : Shoe__c"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"externalIdFieldName": None},
            "InvalidJob : External ID was blank for Contact. An External ID must be specified for upsert.",
        ),
        ({"object": "Widget__c"}, "InvalidJob : Unable to find object: Widget__c"),
        ({"operation": "merge"}, "InvalidJob : Invalid operation: merge"),
    ],
)
def test_invalid_jobs_are_refused(api, overrides, message):
    body = {"object": "Contact", "operation": "upsert", "externalIdFieldName": "Relintel_Id__c", **overrides}
    response = api("POST", "jobs/ingest", json=body)
    assert response.status_code == 400
    assert response.json() == [{"message": message, "errorCode": "INVALIDJOB"}]


def test_a_job_can_be_aborted_and_deleted(api, emulator):
    job = new_job(api)
    assert api("PATCH", f"jobs/ingest/{job['id']}", json={"state": "Aborted"}).json()["state"] == "Aborted"
    assert api("PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nX\n").status_code == 409
    assert api("DELETE", f"jobs/ingest/{job['id']}").status_code == 204
    assert api("GET", f"jobs/ingest/{job['id']}").status_code == 404


def test_processing_is_asynchronous(api, emulator):
    emulator.state.bulk_processing_delay = 0.3
    job = new_job(api)
    upload_and_close(api, job["id"], contacts_csv(10))
    assert api("GET", f"jobs/ingest/{job['id']}").json()["state"] in ("UploadComplete", "InProgress")
    assert api("GET", f"jobs/ingest/{job['id']}/successfulResults").status_code == 400
    assert wait_done(api, job["id"])["state"] == "JobComplete"


def test_jobs_are_listed(api):
    job = new_job(api)
    listed = api("GET", "jobs/ingest").json()
    assert listed["done"] is True and [j["id"] for j in listed["records"]] == [job["id"]]
