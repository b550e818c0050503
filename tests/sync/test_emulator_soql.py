"""SOQL: the parser on its own, queries over HTTPS with paging, and the updated/deleted resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sync.emulator.soql import BoolOp, Comparison, Not, SoqlError, parse

pytest_plugins = ["tests.sync.emulator_fixtures"]


# --- the parser --------------------------------------------------------------------------------
def test_the_parser_reads_fields_object_conditions_order_and_limit():
    query = parse(
        "select Id, Account.Name from Contact where Email in ('a@x.com', 'b@x.com') order by LastName desc nulls first limit 5 offset 2"
    )
    assert query.fields == ["Id", "Account.Name"] and query.object_name == "Contact"
    assert query.where == Comparison("Email", "IN", ["a@x.com", "b@x.com"])
    assert query.order_by == [("LastName", True, False)]
    assert (query.limit, query.offset) == (5, 2)


def test_parentheses_group_and_or_and_not():
    query = parse("SELECT Id FROM Lead WHERE (Status = 'Open' OR Status = 'Working') AND NOT Email = null")
    assert query.where == BoolOp(
        "AND",
        [
            BoolOp("OR", [Comparison("Status", "=", "Open"), Comparison("Status", "=", "Working")]),
            Not(Comparison("Email", "=", None)),
        ],
    )


def test_string_escapes_and_datetime_literals_are_understood():
    query = parse(r"SELECT Id FROM Contact WHERE LastName = 'O\'Brien\\' AND SystemModstamp >= 2026-01-01T00:00:00Z")
    name, stamp = query.where.children
    assert name.value == "O'Brien\\"
    assert stamp.value == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Contact",
        "SELECT Id Contact",
        "SELECT Id FROM Contact WHERE",
        "SELECT Id FROM Contact WHERE A = 1 AND B = 2 OR C = 3",
        "SELECT Id FROM Contact WHERE LastName = 'unterminated",
        "SELECT Id FROM Contact LIMIT -1",
        "SELECT Id FROM Contact WHERE Id IN (SELECT WhoId FROM Task)",
        "SELECT MAX(CreatedDate) FROM Contact",
        "SELECT Id FROM Contact GROUP BY Id",
        "SELECT Id FROM Contact WHERE Name = 'x' ;",
    ],
)
def test_unsupported_or_broken_syntax_is_a_malformed_query(text):
    with pytest.raises(SoqlError) as raised:
        parse(text)
    assert raised.value.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:" in raised.value.message


# --- queries over HTTPS ------------------------------------------------------------------------
@pytest.fixture
def people(emulator):
    state = emulator.state
    account_ids = state.seed("Account", [{"Name": "Acme", "Website": "https://acme.example"}, {"Name": "Globex"}])
    state.seed(
        "Contact",
        [
            {
                "FirstName": "Ada",
                "LastName": "Lovelace",
                "Email": "ada@acme.example",
                "AccountId": account_ids[0],
                "SystemModstamp": "2026-01-02T10:00:00.000+0000",
            },
            {
                "FirstName": "Grace",
                "LastName": "Hopper",
                "Email": "grace@globex.example",
                "AccountId": account_ids[1],
                "SystemModstamp": "2026-01-03T10:00:00.000+0000",
            },
            {
                "FirstName": "Alan",
                "LastName": "Turing",
                "Email": None,
                "Title": "Researcher",
                "SystemModstamp": "2026-01-04T10:00:00.000+0000",
            },
            {
                "FirstName": "Barbara",
                "LastName": "O'Liskov",
                "Email": "barbara@acme.example",
                "AccountId": account_ids[0],
                "SystemModstamp": "2026-01-05T10:00:00.000+0000",
            },
        ],
    )
    return account_ids


def last_names(sf, where: str, order: str = "ORDER BY LastName") -> list[str]:
    return [r["LastName"] for r in sf.query(f"SELECT LastName FROM Contact {where} {order}")["records"]]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("", ["Hopper", "Lovelace", "O'Liskov", "Turing"]),
        ("WHERE Email = 'ADA@acme.example'", ["Lovelace"]),
        ("WHERE Email != 'ada@acme.example'", ["Hopper", "O'Liskov", "Turing"]),
        ("WHERE Email IN ('grace@globex.example', 'barbara@acme.example')", ["Hopper", "O'Liskov"]),
        ("WHERE Email NOT IN ('grace@globex.example')", ["Lovelace", "O'Liskov", "Turing"]),
        ("WHERE Email = null", ["Turing"]),
        ("WHERE Email != null AND Email LIKE '%@acme.example'", ["Lovelace", "O'Liskov"]),
        ("WHERE LastName LIKE 'o\\'%'", ["O'Liskov"]),
        ("WHERE LastName LIKE '_opper'", ["Hopper"]),
        ("WHERE SystemModstamp > 2026-01-03T10:00:00Z", ["O'Liskov", "Turing"]),
        (
            "WHERE SystemModstamp >= 2026-01-03T10:00:00Z AND SystemModstamp < 2026-01-05T00:00:00Z",
            ["Hopper", "Turing"],
        ),
        ("WHERE SystemModstamp <= 2026-01-02T12:00:00+02:00", ["Lovelace"]),
        ("WHERE (FirstName = 'Ada' OR FirstName = 'Alan') AND Title = null", ["Lovelace"]),
        ("WHERE NOT (FirstName = 'Ada' OR FirstName = 'Alan')", ["Hopper", "O'Liskov"]),
        ("WHERE Account.Name = 'Acme'", ["Lovelace", "O'Liskov"]),
        ("WHERE LastName > 'L'", ["Lovelace", "O'Liskov", "Turing"]),
    ],
)
def test_conditions_select_the_right_contacts(sf, people, where, expected):
    assert last_names(sf, where) == expected


def test_order_by_desc_and_limit(sf, people):
    assert last_names(sf, "", "ORDER BY SystemModstamp DESC LIMIT 2") == ["O'Liskov", "Turing"]
    assert last_names(sf, "", "ORDER BY Email ASC NULLS LAST, LastName") == ["Lovelace", "O'Liskov", "Hopper", "Turing"]


def test_records_carry_attributes_and_relationship_fields(sf, people):
    result = sf.query("SELECT Id, Name, Account.Name FROM Contact WHERE LastName = 'Lovelace'")
    assert result["totalSize"] == 1 and result["done"] is True
    record = result["records"][0]
    assert record["attributes"] == {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{record['Id']}"}
    assert record["Name"] == "Ada Lovelace"
    assert record["Account"]["Name"] == "Acme" and record["Account"]["attributes"]["type"] == "Account"
    orphan = sf.query("SELECT Account.Name FROM Contact WHERE LastName = 'Turing'")["records"][0]
    assert orphan["Account"] is None


def test_count_returns_the_total_and_no_records(sf, people):
    assert sf.query("SELECT COUNT() FROM Contact WHERE AccountId != null") == {
        "totalSize": 3,
        "done": True,
        "records": [],
    }


def test_id_filters_accept_15_and_18_character_ids(sf, people):
    result = sf.query(f"SELECT Name FROM Account WHERE Id IN ('{people[0][:15]}', '{people[1]}') ORDER BY Name")
    assert [r["Name"] for r in result["records"]] == ["Acme", "Globex"]


def test_large_results_page_with_next_records_url(sf, emulator):
    emulator.state.seed("Lead", [{"LastName": f"L{i:05d}", "Company": "Co"} for i in range(4500)])
    first = sf.query("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert (first["totalSize"], first["done"], len(first["records"])) == (4500, False, 2000)
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    everything = sf.query_all("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert [r["LastName"] for r in everything["records"]] == [f"L{i:05d}" for i in range(4500)]


def test_the_batch_size_header_shrinks_pages(sf, emulator):
    emulator.state.seed("Lead", [{"LastName": f"L{i}", "Company": "Co"} for i in range(450)])
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    pages = list(sf.query_all_iter("SELECT Id FROM Lead"))
    assert len(pages) == 450
    first = sf.query("SELECT Id FROM Lead")
    assert len(first["records"]) == 200


def test_query_all_includes_deleted_records(sf, people):
    target = sf.query("SELECT Id FROM Contact WHERE LastName = 'Turing'")["records"][0]["Id"]
    sf.restful(f"sobjects/Contact/{target}", method="DELETE")
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 3
    deleted = sf.query_all_iter("SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true", include_deleted=True)
    assert [r["Id"] for r in deleted] == [target]


def error_of(sf, text: str) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query(text)
    content: Any = raised.value.content
    return content[0]


def test_query_errors_have_salesforce_codes(sf):
    assert error_of(sf, "SELECT Id FRM Contact")["errorCode"] == "MALFORMED_QUERY"
    assert error_of(sf, "SELECT Shoe__c FROM Contact")["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Shoe__c' on entity 'Contact'" in error_of(sf, "SELECT Shoe__c FROM Contact")["message"]
    assert error_of(sf, "SELECT Id FROM Widget__c")["errorCode"] == "INVALID_TYPE"
    quoted = error_of(sf, "SELECT Id FROM Contact WHERE SystemModstamp > '2026-01-01T00:00:00Z'")
    assert quoted["errorCode"] == "INVALID_FIELD"
    assert "must be of type dateTime and should not be enclosed in quotes" in quoted["message"]


def test_an_unknown_query_locator_is_refused(api):
    response = api("GET", "query/01gnope-2000")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_a_missing_q_parameter_is_a_malformed_query(api):
    assert api("GET", "query/").json()[0]["errorCode"] == "MALFORMED_QUERY"


# --- updated / deleted -------------------------------------------------------------------------
def window() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    return {
        "start": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (now + dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def minutes_ago(n: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def test_updated_lists_ids_changed_in_the_window_up_to_the_last_whole_minute(sf, emulator):
    _old, recent = emulator.state.seed(
        "Contact",
        [
            {"LastName": "Old", "SystemModstamp": "2020-01-01T00:00:00.000+0000"},
            {"LastName": "Recent", "SystemModstamp": minutes_ago(5)},
        ],
    )
    this_minute = sf.restful("sobjects/Contact/", method="POST", json={"LastName": "New"})["id"]
    result = sf.restful("sobjects/Contact/updated/", params=window())
    assert result["ids"] == [recent]
    assert this_minute not in result["ids"]  # replication covers whole minutes; it comes next time
    assert result["latestDateCovered"].endswith(":00.000+0000")


def test_deleted_lists_ids_and_dates(sf, emulator):
    (doomed,) = emulator.state.seed(
        "Account", [{"Name": "Doomed", "IsDeleted": True, "SystemModstamp": minutes_ago(3)}]
    )
    result = sf.restful("sobjects/Account/deleted/", params=window())
    assert result["deletedRecords"] == [{"id": doomed, "deletedDate": minutes_ago(3)}]
    assert {"earliestDateAvailable", "latestDateCovered"} <= set(result)


def test_a_delete_through_the_api_is_dated_now(sf, emulator):
    doomed = sf.restful("sobjects/Account/", method="POST", json={"Name": "Doomed"})["id"]
    sf.restful(f"sobjects/Account/{doomed}", method="DELETE")
    assert emulator.state.deleted_dates["Account"][doomed].startswith(dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT"))


def test_a_replication_window_older_than_30_days_is_refused(api):
    response = api(
        "GET", "sobjects/Account/updated/", params={"start": "2001-01-01T00:00:00Z", "end": "2001-01-02T00:00:00Z"}
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_REPLICATION_DATE"
