"""Match before create: find the Salesforce records our rows already are.

The first sync into a populated org must create no duplicates, so before a contact or a
company is pushed for the first time the sync asks Salesforce what it already has, in few
calls, and decides per local row: link to an existing record, or create one.

1. **Queries** (``contact_email_queries``, ``lead_email_queries``, ``account_domain_queries``,
   ``account_name_queries``): SOQL in batches sized by length, never one call per row.
   simple-salesforce sends a query as ``GET …/query/?q=<url-encoded SOQL>``, so a batch is
   bounded by its *encoded* length (``MAX_ENCODED_QUERY``, to stay well inside the ~16 KB
   request line proxies and Salesforce accept) and by SOQL's own 100,000 characters.
2. **Decisions** (``match_contacts``, ``match_accounts``): pure functions over our rows and
   the rows those queries returned.

Rules, so that the same input always gives the same answer:

* Contacts: a Salesforce **Contact** with one of the contact's emails wins over a **Lead**;
  Leads count only while unconverted (``IsConverted = false``). Among several: the one
  matching the *primary* email first, then (Contacts) the one on the contact's own Account,
  then the **oldest** (``CreatedDate``: the original record is the one people have built
  history on; duplicates come later), then the lowest ``Id``. The others are reported.
* Accounts: by **website domain** first (``Website`` normalized here exactly as
  ``contacts.normalize.normalize_domain`` does, against the company's domains and website),
  then by **name** (case, punctuation, accents and legal suffixes such as Inc, Ltd, GmbH
  ignored). Ties: a name that also matches, then the oldest, then the lowest ``Id``.
* A Salesforce record already claimed (linked to another local row, or carrying another
  of our external ids) is never matched again: that row is created instead, with a note.

Pure: no ORM, no network.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from contacts.normalize import normalize_domain
from sync.salesforce.external_ids import company_external_id, contact_external_id, is_external_id
from sync.salesforce.records import CONTACT_SOBJECT, LEAD_SOBJECT, CompanyData, ContactData

SOQL_MAX_LENGTH = 100_000
MAX_ENCODED_QUERY = 12_000

CONTACT_MATCH_FIELDS = ("Id", "Email", "AccountId", "FirstName", "LastName", "CreatedDate", "LastModifiedDate")
LEAD_MATCH_FIELDS = (
    "Id", "Email", "Company", "FirstName", "LastName", "IsConverted", "ConvertedContactId", "CreatedDate",
    "LastModifiedDate",
)  # fmt: skip
ACCOUNT_MATCH_FIELDS = ("Id", "Name", "Website", "CreatedDate", "LastModifiedDate")

# --- SOQL text --------------------------------------------------------------------------------

_SOQL_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def soql_string(value: str) -> str:
    """A quoted SOQL string literal: ``O'Brien`` → ``'O\\'Brien'``, ``a\\b`` → ``'a\\\\b'``."""
    return "'" + "".join(_SOQL_ESCAPES.get(char, char) for char in value) + "'"


def soql_like(value: str, *, prefix: str = "", suffix: str = "") -> str:
    """A LIKE pattern matching ``value`` literally, between wildcards ``prefix``/``suffix``."""
    escaped = "".join(_SOQL_ESCAPES.get(char, char) for char in value)
    # LIKE's own wildcards, taken literally: \% and \_ (a single backslash in the SOQL text).
    escaped = escaped.replace("%", "\\%").replace("_", "\\_")
    return f"'{prefix}{escaped}{suffix}'"


def encoded_length(query: str) -> int:
    """Length of the query as it travels in ``?q=`` (requests encodes with ``quote_plus``)."""
    return len(urllib.parse.quote_plus(query))


def batch_queries(
    head: str, terms: Iterable[str], *, joiner: str, tail: str = ")", max_encoded: int = MAX_ENCODED_QUERY
) -> list[str]:
    """``head + term1 + joiner + term2 … + tail``, as few queries as the length bounds allow.

    URL encoding works character by character, so lengths add up and each term is
    measured once (linear in the number of terms).
    """
    fixed_raw = len(head) + len(tail)
    fixed_encoded = encoded_length(head) + encoded_length(tail)
    joiner_raw, joiner_encoded = len(joiner), encoded_length(joiner)
    queries: list[str] = []
    batch: list[str] = []
    raw = encoded = 0
    for term in terms:
        term_raw, term_encoded = len(term), encoded_length(term)
        if fixed_raw + term_raw > SOQL_MAX_LENGTH or fixed_encoded + term_encoded > max_encoded:
            raise ValueError(f"One value alone makes a query too long: {term[:80]}…")
        extra_raw = term_raw + (joiner_raw if batch else 0)
        extra_encoded = term_encoded + (joiner_encoded if batch else 0)
        if batch and (
            fixed_raw + raw + extra_raw > SOQL_MAX_LENGTH or fixed_encoded + encoded + extra_encoded > max_encoded
        ):
            queries.append(head + joiner.join(batch) + tail)
            batch, raw, encoded = [], 0, 0
            extra_raw, extra_encoded = term_raw, term_encoded
        batch.append(term)
        raw += extra_raw
        encoded += extra_encoded
    if batch:
        queries.append(head + joiner.join(batch) + tail)
    return queries


def _unique_lower(values: Iterable[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v and v.strip()})


_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")


def _select(fields: Sequence[str], extra: str | None) -> str:
    """The field list; ``extra`` (an admin-chosen field) must be an API name, nothing else."""
    if extra and not _API_NAME.match(extra):
        raise ValueError(f"“{extra}” is not a Salesforce field API name.")
    names = list(fields) + ([extra] if extra and extra not in fields else [])
    return ", ".join(names)


def contact_email_queries(
    emails: Iterable[str], *, external_id_field: str | None = None, max_encoded: int = MAX_ENCODED_QUERY
) -> list[str]:
    """``SELECT … FROM Contact WHERE Email IN (…)`` in batches (SOQL compares case-insensitively)."""
    head = f"SELECT {_select(CONTACT_MATCH_FIELDS, external_id_field)} FROM Contact WHERE Email IN ("  # noqa: S608 - values are escaped literals
    return batch_queries(head, map(soql_string, _unique_lower(emails)), joiner=", ", max_encoded=max_encoded)


def lead_email_queries(
    emails: Iterable[str], *, external_id_field: str | None = None, max_encoded: int = MAX_ENCODED_QUERY
) -> list[str]:
    """Unconverted Leads by email, in batches."""
    head = f"SELECT {_select(LEAD_MATCH_FIELDS, external_id_field)} FROM Lead WHERE IsConverted = false AND Email IN ("  # noqa: S608 - values are escaped literals
    return batch_queries(head, map(soql_string, _unique_lower(emails)), joiner=", ", max_encoded=max_encoded)


def external_id_queries(sobject: str, external_id_field: str, values: Iterable[str]) -> list[str]:
    """``SELECT Id, {field} FROM {sobject} WHERE {field} IN (…)``: which of our keys exist there."""
    if not (_API_NAME.match(sobject) and _API_NAME.match(external_id_field)):
        raise ValueError(f"“{sobject}.{external_id_field}” is not a Salesforce API name.")
    head = f"SELECT Id, {external_id_field} FROM {sobject} WHERE {external_id_field} IN ("  # noqa: S608 - escaped literals
    return batch_queries(head, [soql_string(v) for v in sorted(set(values))], joiner=", ")


def account_domain_queries(
    domains: Iterable[str], *, external_id_field: str | None = None, max_encoded: int = MAX_ENCODED_QUERY
) -> list[str]:
    """Candidate Accounts whose Website mentions a domain; the exact test is ``match_accounts``'s."""
    head = f"SELECT {_select(ACCOUNT_MATCH_FIELDS, external_id_field)} FROM Account WHERE ("  # noqa: S608 - values are escaped literals
    terms = [f"Website LIKE {soql_like(d, prefix='%', suffix='%')}" for d in _unique_lower(domains)]
    return batch_queries(head, terms, joiner=" OR ", max_encoded=max_encoded)


# --- names ------------------------------------------------------------------------------------

LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co", "company",
        "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "pty", "pte", "oy", "ab",
        "as", "aps", "kk", "sl", "se",
    }
)  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")


def normalize_company_name(name: str) -> str:
    """``Acme, Inc.`` / ``ACME Inc`` / ``Acmé`` → ``acme``; ``A & B Ltd`` → ``a and b``."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("&", " and "))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = [w for w in _NON_WORD.sub(" ", plain.replace(".", "")).split() if w != "_"]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def _name_stem(name: str) -> str:
    """The first word of a name as written, for a ``Name LIKE 'stem%'`` candidate query."""
    words = [w for w in re.split(r"[\s,.&]+", name.strip()) if w]
    if len(words) > 1 and words[0].lower() == "the":
        words.pop(0)
    return words[0] if words else ""


def account_name_queries(
    names: Iterable[str], *, external_id_field: str | None = None, max_encoded: int = MAX_ENCODED_QUERY
) -> list[str]:
    """Candidate Accounts whose Name starts like one of ``names``; compared exactly afterwards."""
    head = f"SELECT {_select(ACCOUNT_MATCH_FIELDS, external_id_field)} FROM Account WHERE ("  # noqa: S608 - values are escaped literals
    stems = sorted({s.lower() for s in (_name_stem(n) for n in names) if s})
    terms = [f"Name LIKE {soql_like(stem, suffix='%')}" for stem in stems]
    return batch_queries(head, terms, joiner=" OR ", max_encoded=max_encoded)


# --- decisions --------------------------------------------------------------------------------

MATCH = "match"
CREATE = "create"


@dataclass(frozen=True)
class MatchDecision:
    local_id: int
    action: str  # "match" | "create"
    sobject: str  # what matched, or what to create
    salesforce_id: str = ""
    matched_by: str = ""  # "email jane@acme.com", "website domain acme.com", "name Acme"
    ambiguous_with: tuple[str, ...] = ()  # the other candidates, for the report
    note: str = ""

    @property
    def ambiguous(self) -> bool:
        return bool(self.ambiguous_with)


def _row_id(row: Mapping[str, Any]) -> str:
    return str(row.get("Id") or "")


def _claimed(row: Mapping[str, Any], *, ours: str, taken: Collection[str], external_id_field: str | None) -> bool:
    """Linked to another local row already, or carrying another of our external ids."""
    if _row_id(row) in taken:
        return True
    if external_id_field:
        value = str(row.get(external_id_field) or "")
        if value and value != ours and is_external_id(value):
            return True
    return False


def _age_key(row: Mapping[str, Any]) -> tuple[str, str]:
    # Salesforce returns CreatedDate in UTC, one format: comparable as text.
    return (str(row.get("CreatedDate") or "9999"), _row_id(row))


def _email_rank(row: Mapping[str, Any], emails: Sequence[str]) -> int:
    email = str(row.get("Email") or "").strip().lower()
    return emails.index(email) if email in emails else len(emails)


def match_contacts(
    contacts: Iterable[ContactData],
    contact_rows: Iterable[Mapping[str, Any]],
    lead_rows: Iterable[Mapping[str, Any]],
    *,
    default_sobject: Mapping[int, str] | None = None,
    taken: Collection[str] = (),
    external_id_field: str | None = None,
) -> list[MatchDecision]:
    """Per contact (in id order): the Contact or unconverted Lead it already is, or create.

    ``default_sobject``: what to create per contact id (``mapping.contact_target``);
    Contact when absent. ``taken``: Salesforce ids already linked to other local rows.
    """
    contacts_by_email: dict[str, list[Mapping[str, Any]]] = {}
    for row in contact_rows:
        contacts_by_email.setdefault(str(row.get("Email") or "").strip().lower(), []).append(row)
    leads_by_email: dict[str, list[Mapping[str, Any]]] = {}
    for row in lead_rows:
        if row.get("IsConverted") in (True, "true"):
            continue
        leads_by_email.setdefault(str(row.get("Email") or "").strip().lower(), []).append(row)

    claimed = set(taken)
    decisions = []
    for contact in sorted(contacts, key=lambda c: c.id):
        emails = [e.strip().lower() for e in contact.emails if e.strip()]
        ours = contact_external_id(organization_id=contact.organization_id, contact_id=contact.id)
        account_id = contact.company.salesforce_id if contact.company else ""
        create_as = (default_sobject or {}).get(contact.id, CONTACT_SOBJECT)
        notes: list[str] = []
        decision = None
        for sobject, index in ((CONTACT_SOBJECT, contacts_by_email), (LEAD_SOBJECT, leads_by_email)):
            rows = {_row_id(r): r for e in emails for r in index.get(e, [])}
            free = [
                r
                for r in rows.values()
                if not _claimed(r, ours=ours, taken=claimed, external_id_field=external_id_field)
            ]
            if len(free) < len(rows):
                notes.append(f"{len(rows) - len(free)} matching {sobject}(s) already belong to other records")
            if not free:
                continue
            free.sort(
                key=lambda r: (
                    _email_rank(r, emails),
                    0 if account_id and r.get("AccountId") == account_id else 1,
                    *_age_key(r),
                )
            )
            best = free[0]
            decision = MatchDecision(
                local_id=contact.id,
                action=MATCH,
                sobject=sobject,
                salesforce_id=_row_id(best),
                matched_by=f"email {str(best.get('Email') or '').strip().lower()}",
                ambiguous_with=tuple(_row_id(r) for r in free[1:]),
            )
            break
        if decision is None:
            decision = MatchDecision(local_id=contact.id, action=CREATE, sobject=create_as)
        else:
            claimed.add(decision.salesforce_id)
            if decision.sobject == CONTACT_SOBJECT and any(leads_by_email.get(e) for e in emails):
                notes.append("an unconverted Lead with the same email exists too")
        if notes:
            decision = MatchDecision(**{**decision.__dict__, "note": "; ".join(notes)})
        decisions.append(decision)
    return decisions


def website_domain(website: str) -> str:
    """``https://www.Acme.com/about`` → ``acme.com``; "" for what is not a domain."""
    if not website or not website.strip():
        return ""
    try:
        return normalize_domain(website)
    except ValidationError:
        return ""


def company_domains(company: CompanyData) -> list[str]:
    domains = [website_domain(d) for d in company.domains]
    domains.append(website_domain(company.website))
    return list(dict.fromkeys(d for d in domains if d))


def match_accounts(
    companies: Iterable[CompanyData],
    account_rows: Iterable[Mapping[str, Any]],
    *,
    taken: Collection[str] = (),
    external_id_field: str | None = None,
) -> list[MatchDecision]:
    """Per company (in id order): the Account it already is, by website domain then name."""
    rows = list({_row_id(r): r for r in account_rows}.values())
    by_domain: dict[str, list[Mapping[str, Any]]] = {}
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        domain = website_domain(str(row.get("Website") or ""))
        if domain:
            by_domain.setdefault(domain, []).append(row)
        name = normalize_company_name(str(row.get("Name") or ""))
        if name:
            by_name.setdefault(name, []).append(row)

    claimed = set(taken)
    decisions = []
    for company in sorted(companies, key=lambda c: c.id):
        ours = company_external_id(organization_id=company.organization_id, company_id=company.id)
        name = normalize_company_name(company.name)
        decision = None
        notes: list[str] = []
        for how, keys, index in (
            ("website domain", company_domains(company), by_domain),
            ("name", [name] if name else [], by_name),
        ):
            found: dict[str, tuple[str, Mapping[str, Any]]] = {}
            for key in keys:
                for row in index.get(key, []):
                    found.setdefault(_row_id(row), (key, row))
            free = [
                (key, row)
                for key, row in found.values()
                if not _claimed(row, ours=ours, taken=claimed, external_id_field=external_id_field)
            ]
            if len(free) < len(found):
                notes.append(f"{len(found) - len(free)} Account(s) with the same {how} already belong to other records")
            if not free:
                continue
            free.sort(
                key=lambda item: (
                    keys.index(item[0]),
                    0 if normalize_company_name(str(item[1].get("Name") or "")) == name else 1,
                    *_age_key(item[1]),
                )
            )
            key, best = free[0]
            decision = MatchDecision(
                local_id=company.id,
                action=MATCH,
                sobject="Account",
                salesforce_id=_row_id(best),
                matched_by=f"{how} {key}",
                ambiguous_with=tuple(_row_id(row) for _, row in free[1:]),
            )
            break
        if decision is None:
            decision = MatchDecision(local_id=company.id, action=CREATE, sobject="Account")
        else:
            claimed.add(decision.salesforce_id)
        if notes:
            decision = MatchDecision(**{**decision.__dict__, "note": "; ".join(notes)})
        decisions.append(decision)
    return decisions
