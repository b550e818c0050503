"""Match before create: batched SOQL, and which Salesforce record each local row already is."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.salesforce.external_ids import company_external_id, contact_external_id
from sync.salesforce.matching import (
    MAX_ENCODED_QUERY,
    SOQL_MAX_LENGTH,
    account_domain_queries,
    account_name_queries,
    batch_queries,
    contact_email_queries,
    encoded_length,
    lead_email_queries,
    match_accounts,
    match_contacts,
    normalize_company_name,
    soql_like,
    soql_string,
)
from sync.salesforce.records import CompanyData, CompanyRef, ContactData

# --- SOQL text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("jane@acme.com", "'jane@acme.com'"),
        ("o'brien@acme.com", "'o\\'brien@acme.com'"),
        ("back\\slash@x.org", "'back\\\\slash@x.org'"),
        ('"quoted"@x.org', "'\\\"quoted\\\"@x.org'"),
        ("line\nbreak", "'line\\nbreak'"),
        ("\\'", "'\\\\\\''"),
    ],
)
def test_string_literals_escape_quotes_and_backslashes(value, literal):
    assert soql_string(value) == literal


def unquote_soql(literal: str) -> str:
    """What Salesforce reads from a literal: the inverse of soql_string."""
    assert literal[0] == literal[-1] == "'"
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal[1:-1], flags=re.S)


@given(st.text())
def test_any_value_survives_quoting_and_cannot_end_the_literal_early(value):
    literal = soql_string(value)
    assert unquote_soql(literal) == value
    # Every quote inside is escaped: an unescaped one would end the string.
    inner = re.sub(r"\\.", "", literal[1:-1], flags=re.S)
    assert "'" not in inner


def test_like_patterns_take_percent_and_underscore_literally():
    assert soql_like("my_site%.com", prefix="%", suffix="%") == "'%my\\_site\\%.com%'"
    assert soql_like("o'neil", suffix="%") == "'o\\'neil%'"


def test_contacts_are_looked_up_by_email_in_one_query_for_a_few_hundred():
    emails = [f"person{i}@acme.com" for i in range(300)] + ["PERSON1@ACME.COM", "  "]
    [query] = contact_email_queries(emails, external_id_field="Relintel_Id__c")
    assert query.startswith(
        "SELECT Id, Email, AccountId, FirstName, LastName, CreatedDate, LastModifiedDate, Relintel_Id__c "
        "FROM Contact WHERE Email IN ('person0@acme.com', "
    )
    assert query.count("'person1@acme.com'") == 1  # deduplicated, lower-cased
    assert query.endswith(")")


def test_leads_are_looked_up_unconverted_only():
    [query] = lead_email_queries(["o'brien@acme.com"])
    assert "FROM Lead WHERE IsConverted = false AND Email IN ('o\\'brien@acme.com')" in query
    assert "ConvertedContactId" in query


def test_many_emails_are_split_into_batches_that_each_fit_in_a_get_url():
    emails = [f"someone.with.a.long.name{i}@subsidiary.example-corporation.com" for i in range(5000)]
    queries = contact_email_queries(emails)
    assert 20 < len(queries) < 40
    assert all(encoded_length(q) <= MAX_ENCODED_QUERY for q in queries)
    found = [e for q in queries for e in re.findall(r"'([^']*)'", q)]
    assert sorted(found) == sorted(emails)  # each once, none lost


def test_batches_respect_the_soql_length_as_well_as_the_url_length():
    terms = [soql_string(f"{i:06d}" * 10) for i in range(5000)]
    queries = batch_queries("SELECT Id FROM Contact WHERE Email IN (", terms, joiner=", ", max_encoded=10**9)
    assert len(queries) > 1
    assert all(len(q) <= SOQL_MAX_LENGTH for q in queries)


def test_encoded_length_counts_what_the_http_client_sends():
    query = "SELECT Id FROM Contact WHERE Email IN ('o\\'brien@acme.com')"
    assert encoded_length(query) == len(urllib.parse.urlencode({"q": query})) - 2


def test_a_value_that_alone_is_too_long_is_refused():
    with pytest.raises(ValueError, match="too long"):
        batch_queries("SELECT Id FROM Lead WHERE Email IN (", ["'" + "x" * 500 + "'"], joiner=", ", max_encoded=200)


def test_an_external_id_field_that_is_not_an_api_name_is_refused():
    with pytest.raises(ValueError, match="API name"):
        contact_email_queries(["a@b.co"], external_id_field="Id FROM User --")


def test_accounts_are_looked_up_by_website_domain_and_by_name_stem():
    [by_domain] = account_domain_queries(["acme.com", "my_co.io"])
    assert "FROM Account WHERE (Website LIKE '%acme.com%' OR Website LIKE '%my\\_co.io%')" in by_domain
    [by_name] = account_name_queries(["The Acme Corporation", "O'Reilly Media", "acme widgets"])
    assert "WHERE (Name LIKE 'acme%' OR Name LIKE 'o\\'reilly%')" in by_name


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME Inc", "acme"),
        ("Acmé GmbH", "acme"),
        ("The Acme Corporation", "acme"),
        ("A & B Ltd", "a and b"),
        ("Company", "company"),
        ("Co-op Bank plc", "co op bank"),
    ],
)
def test_company_names_compare_without_case_accents_punctuation_or_legal_suffixes(name, normalized):
    assert normalize_company_name(name) == normalized


# --- contact decisions -----------------------------------------------------------------------


def contact(id_: int, *emails: str, company: CompanyRef | None = None) -> ContactData:
    return ContactData(id=id_, organization_id=1, full_name=f"Person {id_}", emails=emails, company=company)


def sf_contact(id_: str, email: str, created: str = "2020-01-01T00:00:00.000+0000", **extra) -> dict:
    return {"attributes": {"type": "Contact"}, "Id": id_, "Email": email, "CreatedDate": created, **extra}


def sf_lead(id_: str, email: str, created: str = "2020-01-01T00:00:00.000+0000", **extra) -> dict:
    return {"Id": id_, "Email": email, "IsConverted": False, "CreatedDate": created, **extra}


def test_a_contact_with_no_match_is_created_as_what_the_mapping_says():
    [decision] = match_contacts([contact(1, "new@x.org")], [], [], default_sobject={1: "Lead"})
    assert (decision.action, decision.sobject, decision.salesforce_id) == ("create", "Lead", "")


def test_a_salesforce_contact_is_preferred_over_a_lead_with_the_same_email():
    [decision] = match_contacts(
        [contact(1, "jane@acme.com")],
        [sf_contact("003A", "Jane@Acme.com")],
        [sf_lead("00QA", "jane@acme.com")],
    )
    assert (decision.action, decision.sobject, decision.salesforce_id) == ("match", "Contact", "003A")
    assert decision.matched_by == "email jane@acme.com"
    assert "Lead" in decision.note


def test_only_unconverted_leads_match():
    converted = sf_lead("00QA", "jane@acme.com", IsConverted=True)
    [decision] = match_contacts([contact(1, "jane@acme.com")], [], [converted, sf_lead("00QB", "jane@acme.com")])
    assert (decision.sobject, decision.salesforce_id) == ("Lead", "00QB")


def test_the_primary_email_wins_over_a_secondary_one():
    rows = [
        sf_contact("003OLD", "jane.doe@gmail.com", "2010-01-01T00:00:00.000+0000"),
        sf_contact("003NEW", "jane@acme.com"),
    ]
    [decision] = match_contacts([contact(1, "jane@acme.com", "jane.doe@gmail.com")], rows, [])
    assert decision.salesforce_id == "003NEW"
    assert decision.ambiguous_with == ("003OLD",)


def test_two_salesforce_contacts_with_one_email_resolve_to_the_oldest_and_report_the_other():
    rows = [
        sf_contact("003B", "jane@acme.com", "2022-03-01T00:00:00.000+0000"),
        sf_contact("003A", "jane@acme.com", "2019-03-01T00:00:00.000+0000"),
        sf_contact("003C", "jane@acme.com", "2019-03-01T00:00:00.000+0000"),
    ]
    for order in (rows, rows[::-1]):
        [decision] = match_contacts([contact(1, "jane@acme.com")], order, [])
        assert decision.salesforce_id == "003A"  # oldest, then lowest id on the same second
        assert decision.ambiguous_with == ("003C", "003B")
        assert decision.ambiguous


def test_the_contact_on_its_own_account_wins_a_tie():
    rows = [
        sf_contact("003A", "jane@acme.com", "2019-01-01T00:00:00.000+0000", AccountId="001OTHER"),
        sf_contact("003B", "jane@acme.com", "2023-01-01T00:00:00.000+0000", AccountId="001ACME"),
    ]
    acme = CompanyRef(id=3, name="Acme", salesforce_id="001ACME")
    [decision] = match_contacts([contact(1, "jane@acme.com", company=acme)], rows, [])
    assert decision.salesforce_id == "003B"


def test_a_record_already_linked_or_carrying_another_of_our_ids_is_not_matched_again():
    other = contact_external_id(organization_id=1, contact_id=99)
    rows = [sf_contact("003A", "jane@acme.com", Relintel_Id__c=other), sf_contact("003B", "jane@acme.com")]
    [decision] = match_contacts(
        [contact(1, "jane@acme.com")], rows, [], taken={"003B"}, external_id_field="Relintel_Id__c"
    )
    assert decision.action == "create"
    assert decision.note == "2 matching Contact(s) already belong to other records"


def test_a_record_carrying_our_own_id_matches():
    ours = contact_external_id(organization_id=1, contact_id=1)
    rows = [sf_contact("003A", "jane@acme.com", Relintel_Id__c=ours)]
    [decision] = match_contacts([contact(1, "jane@acme.com")], rows, [], external_id_field="Relintel_Id__c")
    assert decision.salesforce_id == "003A"


def test_one_salesforce_record_is_matched_to_one_local_contact_only():
    rows = [sf_contact("003A", "shared@acme.com")]
    first, second = match_contacts([contact(2, "x@y.org", "shared@acme.com"), contact(1, "shared@acme.com")], rows, [])
    assert (first.local_id, first.action) == (1, "match")
    assert (second.local_id, second.action) == (2, "create")


# --- account decisions -----------------------------------------------------------------------


def company(id_: int, name: str, website: str = "", *domains: str) -> CompanyData:
    return CompanyData(id=id_, organization_id=1, name=name, website=website, domains=domains)


def sf_account(id_: str, name: str, website: str = "", created: str = "2020-01-01T00:00:00.000+0000", **extra) -> dict:
    return {"Id": id_, "Name": name, "Website": website, "CreatedDate": created, **extra}


def test_an_account_matches_by_website_domain_normalized_like_ours():
    rows = [sf_account("001A", "ACME Holdings", "HTTP://WWW.Acme.com/about"), sf_account("001B", "Acme", "")]
    [decision] = match_accounts([company(1, "Acme", "", "acme.com")], rows)
    assert (decision.action, decision.salesforce_id, decision.matched_by) == (
        "match",
        "001A",
        "website domain acme.com",
    )


def test_a_subdomain_or_a_lookalike_domain_is_not_the_same_company():
    rows = [sf_account("001A", "Other", "https://eu.acme.com"), sf_account("001B", "Other", "notacme.com")]
    [decision] = match_accounts([company(1, "Acme", "https://acme.com")], rows)
    assert decision.action == "create"


def test_without_a_domain_match_an_account_matches_by_name():
    rows = [sf_account("001A", "Acme, Inc.", "https://acme-old.com"), sf_account("001B", "Acme Widgets")]
    [decision] = match_accounts([company(1, "ACME Corp", "https://acme.com")], rows)
    assert (decision.salesforce_id, decision.matched_by) == ("001A", "name acme")


def test_among_accounts_with_one_domain_the_one_with_the_same_name_then_the_oldest_wins():
    rows = [
        sf_account("001A", "Acme EMEA", "acme.com", "2015-01-01T00:00:00.000+0000"),
        sf_account("001B", "Acme", "www.acme.com", "2021-01-01T00:00:00.000+0000"),
        sf_account("001C", "Acme Inc", "acme.com/", "2018-01-01T00:00:00.000+0000"),
    ]
    [decision] = match_accounts([company(1, "Acme", "acme.com")], rows)
    assert decision.salesforce_id == "001C"
    assert decision.ambiguous_with == ("001B", "001A")


def test_an_unreadable_website_in_salesforce_is_ignored():
    [decision] = match_accounts([company(1, "Acme", "acme.com")], [sf_account("001A", "Zeta", "n/a")])
    assert decision.action == "create"


def test_an_account_with_another_of_our_ids_is_not_taken_over():
    other = company_external_id(organization_id=1, company_id=2)
    rows = [sf_account("001A", "Acme", "acme.com", Relintel_Id__c=other)]
    [decision] = match_accounts([company(1, "Acme", "acme.com")], rows, external_id_field="Relintel_Id__c")
    assert decision.action == "create"
    assert "already belong" in decision.note


def test_decisions_come_in_local_id_order_whatever_the_input_order():
    companies = [company(3, "Gamma"), company(1, "Alpha"), company(2, "Beta")]
    assert [d.local_id for d in match_accounts(companies, [])] == [1, 2, 3]
