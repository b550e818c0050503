"""Which existing contact an imported row is, and what importing it would change.

Shared by the preview and the run so that what the preview promised is what the run does.
A row is the contact that has any of its emails; failing that, the contact with the same
full name (case-insensitive) at the same company (by name, or owning the row's email
domain) — with no company on either side counting as the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.db.models.functions import Lower

from contacts.imports.rows import CleanRow
from contacts.models import CompanyDomain, Contact, ContactEmail
from contacts.normalize import FREE_MAIL_DOMAINS, email_domain

CREATE = "create"
UPDATE = "update"
SKIP = "skip"

TEXT_FIELDS = ("title", "location", "linkedin_url")


@dataclass
class Decision:
    row: CleanRow
    action: str  # create | update | skip
    contact: Contact | None = None
    changes: dict[str, object] = field(default_factory=dict)
    reason: str = ""
    # Emails of the row that another contact already has: left out, with a note.
    taken_emails: list[str] = field(default_factory=list)


def _contacts_by_email(organization_id: int, emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    return dict(
        ContactEmail.objects.filter(
            organization_id=organization_id, email__in=emails, contact__merged_into__isnull=True
        ).values_list("email", "contact_id")
    )


def _name_candidates(organization_id: int, rows: Sequence[CleanRow]) -> dict[str, list[int]]:
    """Contact ids by lower-cased full name, for rows that need matching by name.

    One scan of the organization's contacts per call (a few thousand rows at a time) is
    cheaper than deriving every row's stored last name with the name parser.
    """
    names = {row.full_name.lower() for row in rows if row.full_name}
    if not names:
        return {}
    found: dict[str, list[int]] = {}
    for pk, full_name in (
        Contact.objects.annotate(lower_name=Lower("full_name"))
        .filter(organization_id=organization_id, merged_into__isnull=True, lower_name__in=names)
        .values_list("pk", "full_name")
    ):
        found.setdefault(full_name.lower(), []).append(pk)
    return found


def _load(ids: set[int]) -> dict[int, Contact]:
    return {
        c.pk: c
        for c in Contact.objects.filter(pk__in=ids)
        .select_related("company")
        .prefetch_related(Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")), "phones")
    }


def _same_company(contact: Contact, row: CleanRow, domain_companies: dict[str, int]) -> bool:
    if contact.company is None:
        return not row.company
    if row.company and contact.company.name.lower() == row.company.lower():
        return True
    return any(domain_companies.get(email_domain(e)) == contact.company_id for e in row.emails)


def changes_for(contact: Contact, row: CleanRow, *, taken: Sequence[str] = ()) -> dict[str, object]:
    """What importing ``row`` would change on ``contact`` (only additions and filled-in values)."""
    changes: dict[str, object] = {}
    have = [e.email for e in contact.emails.all()]
    new_emails = [e for e in row.emails if e not in have and e not in taken]
    if new_emails:
        changes["emails"] = new_emails
    numbers = {p.number for p in contact.phones.all()}
    new_phones = [p for p in row.phones if p.number not in numbers]
    if new_phones:
        changes["phones"] = [{"number": p.number, "kind": p.kind} for p in new_phones]
    if row.company and (contact.company is None or contact.company.name.lower() != row.company.lower()):
        changes["company"] = row.company
    for name in TEXT_FIELDS:
        value = getattr(row, name)
        if value and value != getattr(contact, name):
            changes[name] = value
    if row.notes and row.notes not in contact.notes:
        changes["notes"] = row.notes
    return changes


def decide(
    *, organization_id: int, rows: Sequence[CleanRow], skipped_in_file: dict[int, str], claimed: set[int] | None = None
) -> list[Decision]:
    """A decision per row. ``claimed``: contacts already matched by earlier rows (across batches)."""
    claimed = claimed if claimed is not None else set()
    emails = {e for row in rows for e in row.emails}
    by_email = _contacts_by_email(organization_id, emails)
    unmatched = [r for r in rows if not any(e in by_email for e in r.emails)]
    by_name = _name_candidates(organization_id, unmatched)
    domains = {email_domain(e) for r in unmatched for e in r.emails} - FREE_MAIL_DOMAINS - {""}
    domain_companies = dict(
        CompanyDomain.objects.filter(organization_id=organization_id, domain__in=domains).values_list(
            "domain", "company_id"
        )
    )
    wanted_ids = set(by_email.values()) | {pk for ids in by_name.values() for pk in ids}
    contacts = _load(wanted_ids)
    decisions: list[Decision] = []
    for row in rows:
        if row.line in skipped_in_file:
            decisions.append(Decision(row=row, action=SKIP, reason=skipped_in_file[row.line]))
            continue
        owners = [by_email[e] for e in row.emails if e in by_email]
        contact: Contact | None = contacts.get(owners[0]) if owners else None
        if contact is None:
            for pk in by_name.get(row.full_name.lower(), []):
                candidate = contacts.get(pk)
                if candidate is not None and _same_company(candidate, row, domain_companies):
                    contact = candidate
                    break
        if contact is None:
            decisions.append(Decision(row=row, action=CREATE))
            continue
        if contact.pk in claimed:
            decisions.append(Decision(row=row, action=SKIP, reason="An earlier row of the file is the same person."))
            continue
        claimed.add(contact.pk)
        taken = sorted({e for e in row.emails if e in by_email and by_email[e] != contact.pk})
        changes = changes_for(contact, row, taken=taken)
        if changes:
            decisions.append(Decision(row=row, action=UPDATE, contact=contact, changes=changes, taken_emails=taken))
        else:
            decisions.append(
                Decision(row=row, action=SKIP, contact=contact, reason="Already up to date.", taken_emails=taken)
            )
    return decisions
