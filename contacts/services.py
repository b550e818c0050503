"""Writes for contacts, companies and help offers: transactional and keyword-only."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from contacts import tasks
from contacts.errors import DuplicateEmailError
from contacts.models import (
    HELP_TRANSITIONS,
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    DuplicateCandidate,
    DuplicateStatus,
    HelpDirection,
    HelpOffer,
    HelpStatus,
    PhoneKind,
    Source,
)
from contacts.normalize import (
    FREE_MAIL_DOMAINS,
    email_domain,
    normalize_domain,
    normalize_email,
    normalize_phone,
    search_text,
    split_name,
)
from relintel.accounts.models import Membership, Organization, User
from sync import services as sync_services

# "Not given" for optional arguments where None is a meaningful value ("clear it").
_UNSET: object = object()


@dataclass(frozen=True)
class PhoneInput:
    number: str
    kind: str = PhoneKind.WORK


# --- companies -----------------------------------------------------------------


def _clean_domains(domains: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    errors: list[str] = []
    for raw in domains:
        if not raw.strip():
            continue
        try:
            domain = normalize_domain(raw)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if domain not in cleaned:
            cleaned.append(domain)
    if errors:
        raise ValidationError({"domains": errors})
    return cleaned


def _set_company_domains(*, company: Company, domains: list[str]) -> None:
    taken = (
        CompanyDomain.objects.filter(organization_id=company.organization_id, domain__in=domains)
        .exclude(company=company)
        .select_related("company")
    )
    clashes = [f"{d.domain} already belongs to {d.company.name}." for d in taken]
    if clashes:
        raise ValidationError({"domains": clashes})
    CompanyDomain.objects.filter(company=company).exclude(domain__in=domains).delete()
    existing = set(CompanyDomain.objects.filter(company=company).values_list("domain", flat=True))
    CompanyDomain.objects.bulk_create(
        [
            CompanyDomain(organization_id=company.organization_id, company=company, domain=d)
            for d in domains
            if d not in existing
        ]
    )


@transaction.atomic
def company_create(
    *,
    membership: Membership,
    name: str,
    domains: Sequence[str] = (),
    website: str = "",
    industry: str = "",
    description: str = "",
    owner: User | None = None,
) -> Company:
    company = Company(
        organization=membership.organization,
        name=name.strip(),
        website=website.strip(),
        industry=industry.strip(),
        description=description,
        owner=owner,
    )
    company.full_clean()
    cleaned = _clean_domains(domains)
    company.save()
    _set_company_domains(company=company, domains=cleaned)
    sync_services.outbox_enqueue(organization_id=company.organization_id, kind="company", local_id=company.pk)
    return company


@transaction.atomic
def company_update(
    *,
    company: Company,
    name: str | None = None,
    domains: Sequence[str] | None = None,
    website: str | None = None,
    industry: str | None = None,
    description: str | None = None,
    owner: User | object | None = _UNSET,
    from_salesforce: bool = False,
) -> Company:
    """``from_salesforce``: the change was pulled from Salesforce, so it is not queued to go back."""
    renamed = name is not None and name.strip() != company.name
    for field, value in (("name", name), ("website", website), ("industry", industry), ("description", description)):
        if value is not None:
            setattr(company, field, value.strip() if field != "description" else value)
    if owner is not _UNSET:
        company.owner = owner  # type: ignore[assignment]
    company.full_clean()
    company.save()
    if domains is not None:
        _set_company_domains(company=company, domains=_clean_domains(domains))
    if renamed:
        # Contacts search by company name too.
        transaction.on_commit(lambda: tasks.company_refresh_search.delay(company.pk))
    if not from_salesforce:
        sync_services.outbox_enqueue(organization_id=company.organization_id, kind="company", local_id=company.pk)
    return company


@transaction.atomic
def company_delete(*, company: Company) -> None:
    """Delete a company; its contacts stay, without a company."""
    contact_ids = list(company.contacts.values_list("pk", flat=True))
    sync_services.outbox_enqueue(
        organization_id=company.organization_id, kind="company", local_id=company.pk, operation="delete"
    )
    company.delete()
    _refresh_search_many(Contact.objects.filter(pk__in=contact_ids))


# --- contacts ------------------------------------------------------------------


def _clean_emails(emails: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    errors: list[str] = []
    for raw in emails:
        if not raw.strip():
            continue
        try:
            email = normalize_email(raw)
        except ValidationError:
            errors.append(f"“{raw.strip()}” is not an email address.")
            continue
        if email not in cleaned:
            cleaned.append(email)
    if errors:
        raise ValidationError({"emails": errors})
    return cleaned


def _clean_phones(phones: Iterable[PhoneInput]) -> list[PhoneInput]:
    region = settings.RELINTEL_DEFAULT_PHONE_REGION
    cleaned: list[PhoneInput] = []
    errors: list[str] = []
    for phone in phones:
        if not phone.number.strip():
            continue
        if phone.kind not in PhoneKind.values:
            errors.append(f"“{phone.kind}” is not a phone kind ({', '.join(PhoneKind.values)}).")
            continue
        try:
            number = normalize_phone(phone.number, default_region=region)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if all(existing.number != number for existing in cleaned):
            cleaned.append(PhoneInput(number=number, kind=phone.kind))
    if errors:
        raise ValidationError({"phones": errors})
    return cleaned


def _check_emails_free(*, organization_id: int, emails: list[str], contact: Contact | None) -> None:
    taken = ContactEmail.objects.filter(organization_id=organization_id, email__in=emails).select_related("contact")
    if contact is not None:
        taken = taken.exclude(contact=contact)
    first = taken.first()
    if first is not None:
        raise DuplicateEmailError(email=first.email, existing=first.contact)


def _set_emails(*, contact: Contact, emails: list[str]) -> None:
    ContactEmail.objects.filter(contact=contact).exclude(email__in=emails).delete()
    # Primary flag moves to the first address: clear it first (one primary per contact).
    ContactEmail.objects.filter(contact=contact).update(is_primary=False)
    existing = {e.email: e for e in ContactEmail.objects.filter(contact=contact)}
    for position, email in enumerate(emails):
        row = existing.get(email)
        if row is None:
            ContactEmail.objects.create(
                organization_id=contact.organization_id, contact=contact, email=email, is_primary=position == 0
            )
        elif position == 0:
            ContactEmail.objects.filter(pk=row.pk).update(is_primary=True)


def _set_phones(*, contact: Contact, phones: list[PhoneInput]) -> None:
    ContactPhone.objects.filter(contact=contact).delete()
    ContactPhone.objects.bulk_create(
        [
            ContactPhone(contact=contact, number=p.number, kind=p.kind, is_primary=position == 0)
            for position, p in enumerate(phones)
        ]
    )


def _check_company(*, membership: Membership, company: Company | None) -> None:
    if company is not None and company.organization_id != membership.organization_id:
        raise ValidationError({"company": ["No such company."]})


def _check_owner(*, membership: Membership, owner: User | None) -> None:
    if owner is not None and not owner.memberships.filter(organization_id=membership.organization_id).exists():
        raise ValidationError({"owner": ["The owner must be a member of your organization."]})


def _search_text_of(contact: Contact) -> str:
    emails = [e.email for e in contact.emails.all()]
    return search_text(contact.full_name, *emails, contact.company.name if contact.company else "")


def contact_refresh_search(*, contact: Contact) -> None:
    text = _search_text_of(contact)
    if text != contact.search_text:
        contact.search_text = text
        Contact.objects.filter(pk=contact.pk).update(search_text=text)


@transaction.atomic
def contact_create(
    *,
    membership: Membership,
    full_name: str,
    emails: Sequence[str] = (),
    phones: Sequence[PhoneInput] = (),
    title: str = "",
    company: Company | None = None,
    location: str = "",
    linkedin_url: str = "",
    interests: str = "",
    needs: str = "",
    expertise: str = "",
    notes: str = "",
    owner: User | None = None,
    source: str = Source.MANUAL,
) -> Contact:
    """Create a contact; refuses an email that another contact already has."""
    errors: dict[str, list[str]] = {}
    if not full_name.strip():
        errors["full_name"] = ["A contact needs a name."]
    clean_emails: list[str] = []
    clean_phones: list[PhoneInput] = []
    for field, clean in (("emails", lambda: _clean_emails(emails)), ("phones", lambda: _clean_phones(phones))):
        try:
            value = clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if field == "emails":
            clean_emails = value  # type: ignore[assignment]
        else:
            clean_phones = value  # type: ignore[assignment]
    if errors:
        raise ValidationError(errors)
    _check_company(membership=membership, company=company)
    _check_owner(membership=membership, owner=owner)
    _check_emails_free(organization_id=membership.organization_id, emails=clean_emails, contact=None)
    name = split_name(full_name)
    contact = Contact(
        organization=membership.organization,
        full_name=name.full,
        first_name=name.first,
        last_name=name.last,
        title=title.strip(),
        company=company,
        location=location.strip(),
        linkedin_url=linkedin_url.strip(),
        interests=interests.strip(),
        needs=needs.strip(),
        expertise=expertise.strip(),
        notes=notes,
        owner=owner if owner is not None else membership.user,
        source=source,
        created_by=membership.user,
    )
    contact.full_clean()
    contact.save()
    try:
        with transaction.atomic():
            _set_emails(contact=contact, emails=clean_emails)
    except IntegrityError:
        # Another request took the address between our check and our insert.
        _check_emails_free(organization_id=membership.organization_id, emails=clean_emails, contact=contact)
        raise
    _set_phones(contact=contact, phones=clean_phones)
    contact_refresh_search(contact=contact)
    if company is None and clean_emails:
        transaction.on_commit(lambda: tasks.contact_match_company.delay(contact.pk))
    sync_services.outbox_enqueue(organization_id=contact.organization_id, kind="contact", local_id=contact.pk)
    return contact


_MATCHING_FIELDS = ("needs", "expertise", "interests")


@transaction.atomic
def contact_update(
    *,
    membership: Membership,
    contact: Contact,
    full_name: str | None = None,
    emails: Sequence[str] | None = None,
    phones: Sequence[PhoneInput] | None = None,
    company: Company | object | None = _UNSET,
    owner: User | object | None = _UNSET,
    from_salesforce: bool = False,
    **text_fields: str,
) -> Contact:
    """Change the given fields only. ``text_fields``: title, location, linkedin_url, interests, needs, expertise, notes.

    ``from_salesforce``: the change was pulled from Salesforce, so it is not queued to go back."""
    allowed = {"title", "location", "linkedin_url", "interests", "needs", "expertise", "notes"}
    unknown = set(text_fields) - allowed
    if unknown:
        raise TypeError(f"contact_update() got unexpected fields: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    if full_name is not None:
        if not full_name.strip():
            errors["full_name"] = ["A contact needs a name."]
        else:
            name = split_name(full_name)
            contact.full_name, contact.first_name, contact.last_name = name.full, name.first, name.last
    clean_emails: list[str] | None = None
    clean_phones: list[PhoneInput] | None = None
    if emails is not None:
        try:
            clean_emails = _clean_emails(emails)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if phones is not None:
        try:
            clean_phones = _clean_phones(phones)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if company is not _UNSET:
        _check_company(membership=membership, company=company)  # type: ignore[arg-type]
        contact.company = company  # type: ignore[assignment]
    if owner is not _UNSET:
        _check_owner(membership=membership, owner=owner)  # type: ignore[arg-type]
        contact.owner = owner  # type: ignore[assignment]
    matching_changed = any(
        (getattr(contact, f) or "") != text_fields[f].strip() for f in _MATCHING_FIELDS if f in text_fields
    )
    for field, value in text_fields.items():
        setattr(contact, field, value.strip() if field != "notes" else value)
    contact.full_clean()
    if clean_emails is not None:
        _check_emails_free(organization_id=contact.organization_id, emails=clean_emails, contact=contact)
    contact.save()
    if clean_emails is not None:
        _set_emails(contact=contact, emails=clean_emails)
    if clean_phones is not None:
        _set_phones(contact=contact, phones=clean_phones)
    contact_refresh_search(contact=contact)
    if clean_emails and contact.company_id is None:
        transaction.on_commit(lambda: tasks.contact_match_company.delay(contact.pk))
    if not from_salesforce:
        sync_services.outbox_enqueue(organization_id=contact.organization_id, kind="contact", local_id=contact.pk)
    if matching_changed:  # who needs what and who knows what: the matchmaking suggestions
        transaction.on_commit(lambda: tasks.intro_suggestions_refresh_contact.delay(contact.pk))
    return contact


@transaction.atomic
def contact_match_company(*, contact: Contact) -> Company | None:
    """Give a company-less contact the company that owns one of their email domains."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.company_id is not None:
        return contact.company
    domains = [email_domain(e.email) for e in contact.emails.all()]
    domains = [d for d in domains if d and d not in FREE_MAIL_DOMAINS]
    match = (
        CompanyDomain.objects.filter(organization_id=contact.organization_id, domain__in=domains)
        .select_related("company")
        .order_by("id")
        .first()
    )
    if match is None:
        return None
    contact.company = match.company
    contact.save(update_fields=["company", "updated_at"])
    contact_refresh_search(contact=contact)
    sync_services.outbox_enqueue(organization_id=contact.organization_id, kind="contact", local_id=contact.pk)
    return match.company


@transaction.atomic
def company_refresh_contacts_search(*, company: Company) -> int:
    """Re-derive the search text of every contact at ``company``; returns how many changed."""
    return _refresh_search_many(Contact.objects.filter(company=company))


def _refresh_search_many(contacts: QuerySet[Contact]) -> int:
    """``contact_refresh_search`` for many contacts: one read, one bulk write of those that changed."""
    changed: list[Contact] = []
    for contact in contacts.select_related("company").prefetch_related("emails"):
        text = _search_text_of(contact)
        if text != contact.search_text:
            contact.search_text = text
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["search_text"], batch_size=500)
    return len(changed)


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    sync_services.outbox_enqueue(
        organization_id=contact.organization_id, kind="contact", local_id=contact.pk, operation="delete"
    )
    contact.delete()


# --- help offers ---------------------------------------------------------------


def _check_intro(*, contact: Contact, intro_contact: Contact | None, kind: str) -> None:
    if intro_contact is None:
        return
    if intro_contact.organization_id != contact.organization_id:
        raise ValidationError({"intro_contact": ["No such contact."]})
    if intro_contact.pk == contact.pk:
        raise ValidationError({"intro_contact": ["An introduction connects two different people."]})


def _refresh_relationship_after_commit(offer: HelpOffer) -> None:
    """Delivered help counts in the relationship's strength: re-score the pair in a worker.

    By task name: contacts may not import activities (imports point one way), and the
    scoring lives there. Through the registered task when this process has it (so eager
    mode applies), else sent by name to the workers, which always have it.
    """
    organization_id, contact_ids = offer.organization_id, [offer.contact_id]

    def enqueue() -> None:
        task = current_app.tasks.get(_RELATIONSHIP_REFRESH_TASK)
        if task is not None:
            task.delay(organization_id, contact_ids)
        else:
            current_app.send_task(_RELATIONSHIP_REFRESH_TASK, args=(organization_id, contact_ids))

    transaction.on_commit(enqueue)


_RELATIONSHIP_REFRESH_TASK = "activities.tasks.relationship_refresh"


@transaction.atomic
def help_offer_create(
    *,
    membership: Membership,
    contact: Contact,
    kind: str,
    description: str,
    direction: str = HelpDirection.GIVEN,
    due_date: datetime.date | None = None,
    intro_contact: Contact | None = None,
    status: str = HelpStatus.OFFERED,
) -> HelpOffer:
    """Record help offered to ``contact`` (or, with ``direction='received'``, help received from them)."""
    if contact.organization_id != membership.organization_id:
        raise ValidationError({"contact": ["No such contact."]})
    _check_intro(contact=contact, intro_contact=intro_contact, kind=kind)
    now = timezone.now()
    offer = HelpOffer(
        organization=membership.organization,
        user=membership.user,
        contact=contact,
        direction=direction,
        kind=kind,
        description=description.strip(),
        due_date=due_date,
        intro_contact=intro_contact,
        status=status,
        accepted_at=now if status in (HelpStatus.ACCEPTED, HelpStatus.DELIVERED) else None,
        delivered_at=now if status == HelpStatus.DELIVERED else None,
        closed_at=now if status in (HelpStatus.DECLINED, HelpStatus.WITHDRAWN) else None,
    )
    offer.full_clean()
    offer.save()
    sync_services.outbox_enqueue(organization_id=offer.organization_id, kind="help_offer", local_id=offer.pk)
    if offer.status == HelpStatus.DELIVERED:
        _refresh_relationship_after_commit(offer)
    return offer


@transaction.atomic
def help_offer_update(
    *,
    offer: HelpOffer,
    description: str | None = None,
    kind: str | None = None,
    due_date: datetime.date | object | None = _UNSET,
    intro_contact: Contact | object | None = _UNSET,
) -> HelpOffer:
    if description is not None:
        offer.description = description.strip()
    if kind is not None:
        offer.kind = kind
    if due_date is not _UNSET:
        offer.due_date = due_date  # type: ignore[assignment]
    if intro_contact is not _UNSET:
        _check_intro(contact=offer.contact, intro_contact=intro_contact, kind=offer.kind)  # type: ignore[arg-type]
        offer.intro_contact = intro_contact  # type: ignore[assignment]
    offer.full_clean()
    offer.save()
    sync_services.outbox_enqueue(organization_id=offer.organization_id, kind="help_offer", local_id=offer.pk)
    if offer.status == HelpStatus.DELIVERED:  # whom they were introduced to shows in the explanation
        _refresh_relationship_after_commit(offer)
    return offer


@transaction.atomic
def help_offer_transition(*, offer: HelpOffer, status: str) -> HelpOffer:
    """Move a help offer along its lifecycle; refuses moves the lifecycle forbids."""
    # Lock the row: two clicks on "delivered" must not both succeed from a stale state.
    offer = HelpOffer.objects.select_for_update().get(pk=offer.pk)
    if status not in HelpStatus.values:
        raise ValidationError({"status": [f"“{status}” is not a help status."]})
    if status == offer.status:
        return offer
    if status not in HELP_TRANSITIONS[offer.status]:
        raise ValidationError(
            {"status": [f"A help offer that is {offer.get_status_display().lower()} cannot become {status}."]}
        )
    now = timezone.now()
    offer.status = status
    if status == HelpStatus.ACCEPTED:
        offer.accepted_at = now
    elif status == HelpStatus.DELIVERED:
        offer.accepted_at = offer.accepted_at or now
        offer.delivered_at = now
    else:
        offer.closed_at = now
    offer.full_clean()
    offer.save()
    sync_services.outbox_enqueue(organization_id=offer.organization_id, kind="help_offer", local_id=offer.pk)
    if status == HelpStatus.DELIVERED:
        _refresh_relationship_after_commit(offer)
    return offer


@transaction.atomic
def help_offer_delete(*, offer: HelpOffer) -> None:
    sync_services.outbox_enqueue(
        organization_id=offer.organization_id, kind="help_offer", local_id=offer.pk, operation="delete"
    )
    _refresh_relationship_after_commit(offer)
    offer.delete()


# --- contacts from captured activity ---------------------------------------------


@dataclass(frozen=True)
class CapturedPerson:
    """An external address seen in captured mail or meetings, with the display name seen."""

    email: str  # normalized (trimmed, lower-case)
    name: str = ""


def name_from_email(email: str) -> str:
    """``jane.doe@…`` → ``Jane Doe``: the best name an address alone gives."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [w for w in re.split(r"[._\-]+", local) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or email


def company_name_from_domain(domain: str) -> str:
    """``acme-robotics.com`` → ``Acme Robotics``; ``mail.acme.co.uk`` → ``Acme``."""
    labels = [label for label in domain.lower().split(".") if label]
    if len(labels) > 1:
        labels = labels[:-1]  # the top-level domain
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL_SUFFIXES:
        labels = labels[:-1]
    core = labels[-1] if labels else domain
    return " ".join(w[:1].upper() + w[1:] for w in re.split(r"[-_]+", core) if w) or domain


_SECOND_LEVEL_SUFFIXES = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "gv", "or", "ne"})


def _display_name(person: CapturedPerson) -> str:
    name = " ".join(person.name.replace('"', " ").split())
    # A "name" that is really an address (or empty) says nothing: derive one instead.
    if not name or "@" in name:
        return name_from_email(person.email)
    return name


def _domain_suffixes(domain: str) -> list[str]:
    """``eu.acme.com`` → ``["eu.acme.com", "acme.com"]`` (longest first)."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def _companies_for_domains(*, organization_id: int, domains: set[str], owner: User | None) -> dict[str, int]:
    """Company id per email domain: the company owning it (or a parent domain), or a new one.

    Two queries to look up and at most two bulk inserts, whatever the number of domains.
    """
    suffixes = {s for d in domains for s in _domain_suffixes(d)}
    known = dict(
        CompanyDomain.objects.filter(organization_id=organization_id, domain__in=suffixes).values_list(
            "domain", "company_id"
        )
    )
    found: dict[str, int] = {}
    missing: list[str] = []
    for domain in sorted(domains):
        match = next((known[s] for s in _domain_suffixes(domain) if s in known), None)
        if match is None:
            missing.append(domain)
        else:
            found[domain] = match
    if missing:
        companies = Company.objects.bulk_create(
            [
                Company(organization_id=organization_id, name=company_name_from_domain(d)[:200], owner=owner)
                for d in missing
            ]
        )
        CompanyDomain.objects.bulk_create(
            [
                CompanyDomain(organization_id=organization_id, company_id=c.pk, domain=d)
                for d, c in zip(missing, companies, strict=True)
            ]
        )
        found.update({d: c.pk for d, c in zip(missing, companies, strict=True)})
    return found


def contact_create_from_capture(
    *, organization: Organization, owner: User, people: Sequence[CapturedPerson]
) -> dict[str, int]:
    """Create a contact for each of these unknown addresses; returns address → contact id.

    Built for batches: a constant number of queries for any number of people. Names come
    from the display name (or the address's local part), the company from the email domain
    (an existing company owning it, else a new one), except free-mail domains. Addresses a
    contact of the organization already has are left alone. Runs inside the caller's
    transaction; a concurrent creation of the same address raises ``IntegrityError`` (the
    capture writer retries its batch, which then finds the contact).
    """
    wanted: dict[str, CapturedPerson] = {}
    for person in people:
        try:
            email = normalize_email(person.email)
        except ValidationError:
            continue
        if len(email) <= 254 and email not in wanted:
            wanted[email] = CapturedPerson(email=email, name=person.name)
    if not wanted:
        return {}
    taken = set(
        ContactEmail.objects.filter(organization_id=organization.pk, email__in=list(wanted)).values_list(
            "email", flat=True
        )
    )
    for email in taken:
        del wanted[email]
    if not wanted:
        return {}
    domains = {email_domain(e) for e in wanted} - FREE_MAIL_DOMAINS - {""}
    company_by_domain = _companies_for_domains(organization_id=organization.pk, domains=domains, owner=owner)
    company_names = dict(Company.objects.filter(pk__in=set(company_by_domain.values())).values_list("pk", "name"))
    contacts: list[Contact] = []
    for email, person in wanted.items():
        name = split_name(_display_name(person)[:300])
        company_id = company_by_domain.get(email_domain(email))
        contacts.append(
            Contact(
                organization_id=organization.pk,
                full_name=name.full[:300],
                first_name=name.first[:150],
                last_name=name.last[:150],
                company_id=company_id,
                owner=owner,
                created_by=owner,
                source=Source.CAPTURE,
                search_text=search_text(name.full, email, company_names.get(company_id, "") if company_id else ""),
            )
        )
    Contact.objects.bulk_create(contacts)
    ContactEmail.objects.bulk_create(
        [
            ContactEmail(organization_id=organization.pk, contact_id=c.pk, email=email, is_primary=True)
            for email, c in zip(wanted, contacts, strict=True)
        ]
    )
    return {email: c.pk for email, c in zip(wanted, contacts, strict=True)}


def _name_key(first: str, last: str) -> str:
    return f"{first} {last}".strip().lower()


def duplicate_candidates_find(*, organization_id: int, contact_ids: Sequence[int]) -> int:
    """Offer likely duplicates of these contacts for merge; never merges. Returns pairs added.

    Likely duplicates have the same name (first and last, case-insensitive) and either
    work at the same company (same company or the same non-free-mail email domain) or
    share an email local part (``jane.doe@acme.com`` and ``jane.doe@gmail.com``).
    Two queries and one insert, whatever the number of contacts.
    """
    if not contact_ids:
        return 0
    mine = list(
        Contact.objects.filter(organization_id=organization_id, pk__in=contact_ids, merged_into__isnull=True)
        .exclude(last_name="")
        .values_list("first_name", "last_name")
    )
    if not mine:
        return 0
    # Variants of the case keep the lookup on the (organization, last_name, …) index.
    lasts = {v for _, last in mine for v in (last, last.lower(), last.title(), last.upper())}
    keys = {_name_key(first, last) for first, last in mine}
    people: dict[int, dict[str, object]] = {}
    rows = Contact.objects.filter(
        organization_id=organization_id, last_name__in=lasts, merged_into__isnull=True
    ).values_list("pk", "first_name", "last_name", "company_id", "emails__email")
    for pk, first, last, company_id, email in rows:
        key = _name_key(first, last)
        if key not in keys:
            continue
        person = people.setdefault(pk, {"key": key, "company": company_id, "emails": set()})
        if email:
            person["emails"].add(email)  # type: ignore[attr-defined]
    by_key: dict[str, list[int]] = {}
    for pk, person in people.items():
        by_key.setdefault(str(person["key"]), []).append(pk)
    wanted = set(contact_ids)
    pairs: dict[tuple[int, int], str] = {}
    for pks in by_key.values():
        for i, a in enumerate(sorted(pks)):
            for b in sorted(pks)[i + 1 :]:
                if a not in wanted and b not in wanted:
                    continue
                reason = _duplicate_reason(people[a], people[b])
                if reason:
                    pairs[(a, b)] = reason
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(organization_id=organization_id, contact_id=a, other_id=b, reason=reason[:200])
            for (a, b), reason in pairs.items()
        ],
        ignore_conflicts=True,
    )
    return len(pairs)


def _duplicate_reason(a: dict[str, object], b: dict[str, object]) -> str:
    emails_a: set[str] = a["emails"]  # type: ignore[assignment]
    emails_b: set[str] = b["emails"]  # type: ignore[assignment]
    if a["company"] is not None and a["company"] == b["company"]:
        return "Same name at the same company"
    shared_domains = ({email_domain(e) for e in emails_a} & {email_domain(e) for e in emails_b}) - FREE_MAIL_DOMAINS
    if shared_domains:
        return f"Same name at {sorted(shared_domains)[0]}"
    shared_locals = {e.split("@", 1)[0] for e in emails_a} & {e.split("@", 1)[0] for e in emails_b}
    if shared_locals:
        return f"Same name and the same address name “{sorted(shared_locals)[0]}”"
    return ""


@transaction.atomic
def duplicate_candidate_dismiss(*, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """ "Not the same person": the pair is no longer offered (and never offered again)."""
    candidate.status = DuplicateStatus.DISMISSED
    candidate.save(update_fields=["status"])
    return candidate
