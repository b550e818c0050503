"""Creating a batch of imported contacts in a constant number of statements.

``contact_create`` costs a dozen statements per person; a 100,000-row import needs a
batch at a time. The rows arrive checked (``row_clean``) and decided (``decide``: none of
their emails belongs to a contact), so what is left is to resolve companies, insert, and
queue the new contacts for Salesforce, as ``contact_create`` would.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models.functions import Lower

from contacts.imports.rows import CleanRow
from contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone, Source
from contacts.normalize import FREE_MAIL_DOMAINS, email_domain, search_text, split_name
from relintel.accounts.models import Membership
from sync import services as sync_services


def _work_domains(row: CleanRow) -> list[str]:
    return [d for d in (email_domain(e) for e in row.emails) if d and d not in FREE_MAIL_DOMAINS]


def companies_resolve(*, membership: Membership, rows: Sequence[CleanRow]) -> dict[int, Company]:
    """Line → company for these rows: by name, else owning one of their email domains, else new.

    A row naming no company joins the company owning its email domain, if any (as a contact
    created by hand would, in the background). New companies get the row's work domain when
    no company has it yet.
    """
    organization_id = membership.organization_id
    names = {r.company.lower() for r in rows if r.company}
    by_name: dict[str, Company] = {}
    if names:
        for named in (
            Company.objects.annotate(lower_name=Lower("name"))
            .filter(organization_id=organization_id, lower_name__in=names)
            .order_by("-id")  # the oldest wins: written last
        ):
            by_name[named.name.lower()] = named
    domains = {d for r in rows for d in _work_domains(r)}
    by_domain: dict[str, Company] = {}
    if domains:
        for owned in CompanyDomain.objects.filter(organization_id=organization_id, domain__in=domains).select_related(
            "company"
        ):
            by_domain[owned.domain] = owned.company
    found: dict[int, Company] = {}
    new: dict[str, tuple[Company, str]] = {}  # lower name → (company, its domain or "")
    for row in rows:
        company: Company | None = by_name.get(row.company.lower()) if row.company else None
        if company is None:
            company = next((by_domain[d] for d in _work_domains(row) if d in by_domain), None)
        if company is None and row.company:
            key = row.company.lower()
            if key not in new:
                domain = next((d for d in _work_domains(row) if d not in by_domain), "")
                new[key] = (
                    Company(organization_id=organization_id, name=row.company[:200], owner=membership.user),
                    domain,
                )
                if domain:
                    by_domain[domain] = new[key][0]
            company = new[key][0]
        if company is not None:
            found[row.line] = company
    if new:
        Company.objects.bulk_create([company for company, _ in new.values()])
        CompanyDomain.objects.bulk_create(
            [
                CompanyDomain(organization_id=organization_id, company=company, domain=domain)
                for company, domain in new.values()
                if domain
            ]
        )
        sync_services.outbox_enqueue_many(
            organization_id=organization_id, kind="company", local_ids=[c.pk for c, _ in new.values()]
        )
    return found


def contacts_bulk_create(*, membership: Membership, rows: Sequence[CleanRow]) -> list[int]:
    """Create one contact per row (source: import, owned by the importer); returns their ids.

    Runs in the caller's transaction. An email taken meanwhile by another contact raises
    ``IntegrityError`` (the caller then writes the rows one by one).
    """
    if not rows:
        return []
    companies = companies_resolve(membership=membership, rows=rows)
    contacts: list[Contact] = []
    for row in rows:
        name = split_name(row.full_name)
        company = companies.get(row.line)
        contacts.append(
            Contact(
                organization_id=membership.organization_id,
                full_name=name.full[:300],
                first_name=name.first[:150],
                last_name=name.last[:150],
                title=row.title,
                company=company,
                location=row.location,
                linkedin_url=row.linkedin_url,
                notes=row.notes,
                owner=membership.user,
                created_by=membership.user,
                source=Source.IMPORT,
                search_text=search_text(name.full, *row.emails, company.name if company else ""),
            )
        )
    Contact.objects.bulk_create(contacts)
    ContactEmail.objects.bulk_create(
        [
            ContactEmail(organization_id=membership.organization_id, contact=contact, email=email, is_primary=i == 0)
            for contact, row in zip(contacts, rows, strict=True)
            for i, email in enumerate(row.emails)
        ]
    )
    ContactPhone.objects.bulk_create(
        [
            ContactPhone(contact=contact, number=phone.number, kind=phone.kind, is_primary=i == 0)
            for contact, row in zip(contacts, rows, strict=True)
            for i, phone in enumerate(row.phones)
        ]
    )
    ids = [c.pk for c in contacts]
    sync_services.outbox_enqueue_many(organization_id=membership.organization_id, kind="contact", local_ids=ids)
    return ids
