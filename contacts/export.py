"""Exporting contacts as CSV (for Excel: UTF-8 with a BOM) or vCard 3.0, streamed.

The rows come from the same selector as the contact list, with its filters, and are read
in chunks (``iterator``) and written as they are read: memory stays flat for 100,000
contacts. The CSV's headers are ones the import's column mapping recognises, so a file
exported and imported again changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from contacts import selectors
from contacts.imports.vcards import CardOut, vcard_text
from contacts.models import Contact, ContactEmail, ContactPhone
from relintel.accounts.models import Membership

CHUNK = 1000
CSV, VCARD = "csv", "vcard"
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8", VCARD: "text/vcard; charset=utf-8"}
EXTENSIONS = {CSV: "csv", VCARD: "vcf"}

CSV_HEADERS = (
    "Full name",
    "First name",
    "Last name",
    "Email",
    "Other emails",
    "Phones",
    "Company",
    "Title",
    "Location",
    "LinkedIn URL",
    "Interests",
    "Looking for",
    "Knows about",
    "Notes",
    "Owner",
    "Created",
)

# A spreadsheet runs a cell that starts like a formula; a leading apostrophe keeps it text.
_FORMULA_STARTS = ("=", "@", "\t", "\r")


def _cell(value: str) -> str:
    signed = value[:1] in ("+", "-") and not value[1:2].isdigit() and value[1:2] != " "
    if value.startswith(_FORMULA_STARTS) or signed:
        return f"'{value}"
    return value


def contacts_to_export(*, membership: Membership, filters: selectors.ContactFilters) -> Iterator[Contact]:
    qs: QuerySet[Contact] = (
        selectors.contact_list(membership=membership, filters=filters)
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
            Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
        )
    )
    return qs.iterator(chunk_size=CHUNK)


def _csv_line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def csv_lines(contacts: Iterable[Contact]) -> Iterator[str]:
    yield "\ufeff" + _csv_line(CSV_HEADERS)
    for contact in contacts:
        emails = [e.email for e in contact.emails.all()]
        yield _csv_line(
            (
                contact.full_name,
                contact.first_name,
                contact.last_name,
                emails[0] if emails else "",
                "; ".join(emails[1:]),
                "; ".join(p.number for p in contact.phones.all()),
                contact.company.name if contact.company else "",
                contact.title,
                contact.location,
                contact.linkedin_url,
                contact.interests,
                contact.needs,
                contact.expertise,
                contact.notes,
                contact.owner.display_name if contact.owner else "",
                contact.created_at.date().isoformat() if contact.created_at else "",
            )
        )


def vcard_cards(contacts: Iterable[Contact]) -> Iterator[str]:
    for contact in contacts:
        yield vcard_text(
            CardOut(
                full_name=contact.full_name,
                first_name=contact.first_name,
                last_name=contact.last_name,
                emails=[e.email for e in contact.emails.all()],
                phones=[(p.number, p.kind) for p in contact.phones.all()],
                company=contact.company.name if contact.company else "",
                title=contact.title,
                location=contact.location,
                linkedin_url=contact.linkedin_url,
                notes=contact.notes,
            )
        )


def export_stream(*, membership: Membership, filters: selectors.ContactFilters, kind: str) -> Iterator[bytes]:
    contacts = contacts_to_export(membership=membership, filters=filters)
    lines = csv_lines(contacts) if kind == CSV else vcard_cards(contacts)
    for text in lines:
        yield text.encode("utf-8")
