"""Model instances → the plain data the mapping layer works on.

The one place where the pure modules (``mapping``, ``matching``, ``describe``) meet the
domain models. These adapters read what is already loaded: pass rows fetched with the
``*_PREFETCH`` lookups below (the sync's selectors do), or each call costs extra queries.
They never write.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping

from django.conf import settings

from activities.models import CapturePolicy, Interaction, InteractionSource, Participant
from contacts.models import Company, Contact, HelpDirection, HelpOffer
from sync.models import ObjectMapping, SalesforceConnection
from sync.salesforce.mapping import contact_person
from sync.salesforce.payloads import MappingOptions
from sync.salesforce.records import (
    PRIVACY_FULL,
    PRIVACY_SUBJECT,
    CompanyData,
    CompanyRef,
    ContactData,
    HelpOfferData,
    InteractionData,
    ParticipantData,
    PersonRef,
    PhoneData,
    strictest_privacy,
)

COMPANY_PREFETCH = ("domains",)
CONTACT_SELECT = ("company",)
CONTACT_PREFETCH = ("emails", "phones")
INTERACTION_SELECT = ("owner",)
INTERACTION_PREFETCH = (
    "participants__contact__company",
    "participants__contact__emails",
    "participants__user",
    "sightings__account",
)
HELP_OFFER_SELECT = ("contact__company", "intro_contact", "user")

# Typed or logged by a person: nothing was withheld at capture.
_FULL_SOURCES = frozenset(
    {InteractionSource.MANUAL, InteractionSource.API, InteractionSource.DEMO, InteractionSource.SALESFORCE}
)


def options_from(
    connection: SalesforceConnection | None,
    mappings: Iterable[ObjectMapping] = (),
    *,
    owners: Mapping[int, str] | None = None,
) -> MappingOptions:
    """An organization's mapping options from its connection and object mappings (a switched-off
    mapping contributes nothing but its name to ``disabled``); ``owners``: member → Salesforce
    User Id (``sync.salesforce.users``)."""
    mappings = list(mappings)
    enabled = [m for m in mappings if m.enabled]
    return MappingOptions(
        contact_without_company_as=connection.contact_without_company_as if connection else "lead",
        external_id_fields={m.sobject: m.external_id_field for m in enabled if m.external_id_field},
        field_maps={(m.local_kind, m.sobject): dict(m.field_map or {}) for m in enabled},
        timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        disabled=frozenset((m.local_kind, m.sobject) for m in mappings if not m.enabled),
        owners=dict(owners or {}),
    )


def _company_ref(company: Company | None) -> CompanyRef | None:
    if company is None:
        return None
    return CompanyRef(id=company.pk, name=company.name, salesforce_id=company.salesforce_id)


def from_company(company: Company) -> CompanyData:
    domains = sorted(company.domains.all(), key=lambda d: d.pk)
    return CompanyData(
        id=company.pk,
        organization_id=company.organization_id,
        name=company.name,
        website=company.website,
        industry=company.industry,
        description=company.description,
        domains=tuple(d.domain for d in domains),
        salesforce_id=company.salesforce_id,
    )


def from_contact(contact: Contact) -> ContactData:
    emails = sorted(contact.emails.all(), key=lambda e: (not e.is_primary, e.pk))
    phones = sorted(contact.phones.all(), key=lambda p: (not p.is_primary, p.pk))
    return ContactData(
        id=contact.pk,
        organization_id=contact.organization_id,
        full_name=contact.full_name,
        first_name=contact.first_name,
        last_name=contact.last_name,
        title=contact.title,
        emails=tuple(e.email for e in emails),
        phones=tuple(PhoneData(number=p.number, kind=p.kind, is_primary=p.is_primary) for p in phones),
        location=contact.location,
        linkedin_url=contact.linkedin_url,
        interests=contact.interests,
        needs=contact.needs,
        expertise=contact.expertise,
        notes=contact.notes,
        company=_company_ref(contact.company),
        salesforce_contact_id=contact.salesforce_contact_id,
        salesforce_lead_id=contact.salesforce_lead_id,
    )


def person_of(contact: Contact, options: MappingOptions) -> PersonRef:
    """How an activity refers to this contact: its Contact or Lead, by id or external id."""
    return contact_person(from_contact(contact), options)


def _participant(participant: Participant, options: MappingOptions) -> ParticipantData:
    person = person_of(participant.contact, options) if participant.contact is not None else None
    return ParticipantData(
        person=person,
        role=participant.role,
        address=participant.address,
        display_name=participant.display_name or (participant.user.full_name if participant.user is not None else ""),
        response_status=participant.response_status,
        is_user=participant.user_id is not None and participant.contact_id is None,
    )


def _default_privacy(organization_id: int) -> str:
    level = (
        CapturePolicy.objects.filter(organization_id=organization_id)
        .values_list("default_privacy_level", flat=True)
        .first()
    )
    return level or PRIVACY_SUBJECT


def captured_privacy(interaction: Interaction) -> str:
    """What the capture let us keep: full for what a person logged, else the strictest level
    among the sources that saw it (a BCC or an upload follows the organization's default)."""
    if interaction.source in _FULL_SOURCES:
        return PRIVACY_FULL
    levels = []
    needs_default = False
    for sighting in interaction.sightings.all():
        if sighting.account is not None:
            levels.append(sighting.account.privacy_level)
        else:
            needs_default = True
    if needs_default or not levels:
        levels.append(_default_privacy(interaction.organization_id))
    return strictest_privacy(*levels)


def from_interaction(
    interaction: Interaction, *, options: MappingOptions, privacy_level: str | None = None
) -> InteractionData:
    return InteractionData(
        id=interaction.pk,
        organization_id=interaction.organization_id,
        kind=interaction.kind,
        occurred_at=interaction.occurred_at,
        subject=interaction.subject,
        body=interaction.body,
        direction=interaction.direction,
        external_id=interaction.external_id,
        visibility=interaction.visibility,
        privacy_level=privacy_level or captured_privacy(interaction),
        duration_minutes=interaction.duration_minutes,
        participants=tuple(
            _participant(p, options) for p in sorted(interaction.participants.all(), key=lambda p: p.pk)
        ),
        owner_name=interaction.owner.full_name if interaction.owner is not None else "",
        owner_salesforce_id=options.owners.get(interaction.owner_id or 0, ""),
    )


def from_help_offer(offer: HelpOffer, *, options: MappingOptions) -> HelpOfferData:
    return HelpOfferData(
        id=offer.pk,
        organization_id=offer.organization_id,
        contact=person_of(offer.contact, options),
        kind=offer.kind,
        description=offer.description,
        status=offer.status,
        direction=offer.direction if offer.direction in HelpDirection.values else HelpDirection.GIVEN,
        due_date=offer.due_date,
        delivered_at=offer.delivered_at,
        intro_contact_name=offer.intro_contact.full_name if offer.intro_contact is not None else "",
        giver_name=offer.user.full_name or offer.user.email,
        owner_salesforce_id=options.owners.get(offer.user_id, ""),
    )
