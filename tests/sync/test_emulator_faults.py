"""API usage accounting, every fault switch (Python and HTTP), counters, persistence and the command."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceGeneralError, SalesforceRefusedRequest

from sync.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, EmulatorServer, EmulatorState
from sync.emulator.demo import seed_demo_org

pytest_plugins = ["tests.sync.emulator_fixtures"]

UPSERT = "composite/sobjects/Contact/Relintel_Id__c"


def contacts(*keys: str) -> dict[str, Any]:
    return {"records": [{"attributes": {"type": "Contact"}, "LastName": k, "Relintel_Id__c": k} for k in keys]}


def admin(emulator, **settings) -> dict:
    response = requests.post(f"{emulator.url}/__emulator__/faults", json=settings)
    assert response.status_code == 200
    return response.json()


# --- API usage -----------------------------------------------------------------------------------
def test_every_data_api_response_carries_the_usage_header_and_counts(api, emulator):
    first = api("GET", "limits/")
    second = api("GET", "sobjects/")
    assert first.headers["Sforce-Limit-Info"] == f"api-usage=1/{emulator.state.daily_api_limit}"
    assert second.headers["Sforce-Limit-Info"] == f"api-usage=2/{emulator.state.daily_api_limit}"
    assert api("GET", "limits/").json()["DailyApiRequests"] == {
        "Max": emulator.state.daily_api_limit,
        "Remaining": emulator.state.daily_api_limit - 3,
    }


def test_errors_count_too_but_token_calls_do_not(api, emulator):
    api("GET", "sobjects/Contact/0035g0000000000AAA")
    requests.post(f"{emulator.url}/services/oauth2/token", data={"grant_type": "refresh_token"})
    assert emulator.state.api_usage == 1


def test_simple_salesforce_sees_the_usage(sf):
    sf.query("SELECT Id FROM Contact")
    assert sf.api_usage["api-usage"].used == 1


def test_past_the_daily_limit_requests_are_refused(api, emulator):
    emulator.state.daily_api_limit = 2
    api("GET", "limits/")
    api("GET", "limits/")
    refused = api("GET", "limits/")
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_request_limit_exceeded_can_be_switched_on_now(sf, emulator):
    emulator.exceed_request_limit()
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM Contact")
    emulator.exceed_request_limit(False)
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0


# --- the switches ----------------------------------------------------------------------------
def test_expiring_sessions_gives_401_until_a_refresh(emulator, sf):
    refresh = emulator.state.new_refresh_token(DEMO_CLIENT_ID, DEMO_USERNAME)
    emulator.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Contact")
    renewed = requests.post(
        f"{emulator.url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert renewed.status_code == 200


def test_refused_refresh_is_an_invalid_grant(emulator):
    refresh = emulator.state.new_refresh_token(DEMO_CLIENT_ID, DEMO_USERNAME)
    emulator.refuse_refresh()
    response = requests.post(
        f"{emulator.url}/services/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": DEMO_CLIENT_ID},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}


def test_the_next_n_requests_answer_503(sf, emulator):
    emulator.fail_next(2)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as raised:
            sf.query("SELECT Id FROM Contact")
        assert raised.value.status == 503
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    assert emulator.state.api_usage == 1  # a 503 never reached the org


def test_unable_to_lock_row_for_chosen_external_ids(sf, emulator):
    emulator.lock_rows(external_ids=["k-2"])
    results = sf.restful(UPSERT, method="PATCH", json=contacts("k-1", "k-2", "k-3"))
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"] == [
        {"statusCode": "UNABLE_TO_LOCK_ROW", "message": results[1]["errors"][0]["message"], "fields": []}
    ]
    assert results[1]["errors"][0]["message"].startswith("unable to obtain exclusive access to this record")
    assert emulator.state.counters.external_id_creations("Contact") == {"k-1": 1, "k-3": 1}


def test_unable_to_lock_row_for_records_matching_a_predicate_and_only_so_many_times(sf, emulator):
    emulator.lock_rows(predicate=lambda obj, values: values["LastName"].endswith("2"), times=1)
    first = sf.restful(UPSERT, method="PATCH", json=contacts("p-1", "p-2"))
    assert [r["success"] for r in first] == [True, False]
    retry = sf.restful(UPSERT, method="PATCH", json=contacts("p-1", "p-2"))
    assert [r["success"] for r in retry] == [True, True]
    assert emulator.state.counters.external_id_creations("Contact") == {"p-1": 1, "p-2": 1}


def test_unable_to_lock_row_for_a_fraction_of_records(sf, emulator):
    emulator.lock_rows(fraction=0.3, seed=7)
    results = sf.restful(UPSERT, method="PATCH", json=contacts(*[f"f-{i}" for i in range(200)]))
    failed = sum(not r["success"] for r in results)
    assert 30 <= failed <= 90
    assert {r["errors"][0]["statusCode"] for r in results if not r["success"]} == {"UNABLE_TO_LOCK_ROW"}


def test_latency_slows_every_request(sf, emulator):
    emulator.set_latency(0.15)
    started = time.monotonic()
    sf.query("SELECT Id FROM Contact")
    assert time.monotonic() - started >= 0.15


def test_dropping_the_external_id_field_breaks_upserts_and_describe(sf, api, emulator):
    emulator.drop_external_id_field("Contact")
    fields = {f["name"] for f in sf.restful("sobjects/Contact/describe")["fields"]}
    assert "Relintel_Id__c" not in fields
    response = api("PATCH", UPSERT, json=contacts("e-1"))
    assert response.status_code == 404
    assert response.json() == [
        {
            "message": "Provided external ID field does not exist or is not accessible: Relintel_Id__c",
            "errorCode": "NOT_FOUND",
        }
    ]
    assert "Relintel_Id__c" in {f["name"] for f in sf.restful("sobjects/Account/describe")["fields"]}


def test_an_unwritable_field_is_reported_per_record(sf, emulator):
    emulator.make_field_unwritable("Contact", "Title")
    fields = {f["name"]: f for f in sf.restful("sobjects/Contact/describe")["fields"]}
    assert (fields["Title"]["createable"], fields["Title"]["updateable"]) == (False, False)
    body = contacts("w-1")
    body["records"][0]["Title"] = "CTO"
    result = sf.restful(UPSERT, method="PATCH", json=body)[0]
    assert result["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert result["errors"][0]["fields"] == ["Title"]


def test_faults_switch_over_http_for_another_process(sf, emulator):
    shown = admin(emulator, unavailable=1, latency_seconds=0.0, lock_row_external_ids=["h-1"], refuse_refresh=True)
    assert shown["unavailable_remaining"] == 1 and shown["lock_row_external_ids"] == ["h-1"]
    with pytest.raises(SalesforceGeneralError):
        sf.query("SELECT Id FROM Contact")
    assert sf.restful(UPSERT, method="PATCH", json=contacts("h-1"))[0]["success"] is False
    admin(emulator, drop_external_id_field="Lead", unwritable_fields=[["Account", "Website"]], expire_sessions=True)
    assert "Relintel_Id__c" not in emulator.state.schema["Lead"].fields
    assert emulator.state.schema["Account"].fields["Website"].updateable is False
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Contact")
    admin(emulator, reset=True)
    assert emulator.state.faults.refuse_refresh is False
    assert "Relintel_Id__c" in emulator.state.schema["Lead"].fields


def test_an_unknown_fault_name_is_refused(emulator):
    response = requests.post(f"{emulator.url}/__emulator__/faults", json={"melt_down": True})
    assert response.status_code == 400
    assert response.json() == [{"message": "unknown fault 'melt_down'", "errorCode": "INVALID_EMULATOR_REQUEST"}]


def test_the_admin_endpoint_seeds_and_reports_counters(sf, emulator):
    seeded = requests.post(
        f"{emulator.url}/__emulator__/seed",
        json={"object": "Contact", "records": [{"LastName": "Seeded", "Email": "s@x.example"}]},
    )
    assert seeded.status_code == 201
    sf.restful(UPSERT, method="PATCH", json=contacts("n-1", "n-2"))
    state = requests.get(f"{emulator.url}/__emulator__/state").json()
    assert state["records"]["Contact"] == 3
    assert state["created"] == {"Contact": 2}
    assert state["created_external_ids"]["Contact"] == {"n-1": 1, "n-2": 1}
    assert state["requests"]["PATCH composite/sobjects/{Object}/{Field}"] == 1
    assert next(r["LastName"] for r in requests.get(f"{emulator.url}/__emulator__/records/Contact").json()) == "Seeded"


# --- persistence, demo data, the command -------------------------------------------------------
def test_state_persists_to_a_file_and_comes_back(tmp_path):
    path = tmp_path / "org.json"
    state = EmulatorState(persist_path=path)
    (contact_id,) = state.seed("Contact", [{"LastName": "Kept"}])
    session = state.new_session(DEMO_CLIENT_ID, DEMO_USERNAME)
    state.save()
    again = EmulatorState(persist_path=path)
    assert again.load() is True
    assert again.records["Contact"][contact_id]["LastName"] == "Kept"
    assert again.session_for(session.access_token) is not None
    assert again.ids.new("Contact") != contact_id


def test_a_persisting_server_saves_on_stop(tmp_path):
    path = tmp_path / "org.json"
    server = EmulatorServer(state=EmulatorState(persist_path=path)).start()
    server.state.seed("Account", [{"Name": "Saved"}])
    server.stop()
    assert "Saved" in path.read_text()


def test_the_demo_org_has_accounts_contacts_and_leads():
    state = EmulatorState()
    seed_demo_org(state)
    assert len(state.records["Account"]) == 5 and len(state.records["Contact"]) == 8 and len(state.records["Lead"]) == 3
    assert all(c["AccountId"] in state.records["Account"] for c in state.records["Contact"].values())


def test_the_command_refuses_a_non_loopback_host(capsys):
    from django.core.management import call_command

    call_command("run_salesforce_emulator", host="0.0.0.0", state_file="")
    assert "loopback only" in capsys.readouterr().err
