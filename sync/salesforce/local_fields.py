"""The local fields a mapping may name, per kind of local row, with their types.

The mapping page offers these as the right-hand side of ``{salesforce_field: local_field}``;
``describe`` checks their types against the Salesforce field's. Activity fields apply the
privacy level themselves: ``subject`` and ``body`` never reveal more than the capture kept
and the organization lets Salesforce see, whatever field they are mapped to.
"""

from __future__ import annotations

import datetime
from typing import Any

from contacts.normalize import FREE_MAIL_DOMAINS, email_domain
from sync.salesforce.payloads import LocalField, MappingOptions
from sync.salesforce.records import (
    CALL,
    EMAIL,
    INBOUND,
    INTERNAL,
    MEETING,
    PRIVACY_FULL,
    PRIVACY_SUBJECT,
    ContactData,
    HelpOfferData,
    InteractionData,
    ParticipantData,
    privacy_allows,
    strictest_privacy,
)

# --- companies ----------------------------------------------------------------------------

COMPANY_FIELDS: dict[str, LocalField] = {
    "name": LocalField("Name", "string", lambda c, o: c.name),
    "website": LocalField("Website", "url", lambda c, o: c.website or (f"https://{c.domains[0]}" if c.domains else "")),
    "domain": LocalField("Main domain", "string", lambda c, o: c.domains[0] if c.domains else ""),
    "industry": LocalField("Industry", "picklist", lambda c, o: c.industry),
    "description": LocalField("Description", "textarea", lambda c, o: c.description),
}


# --- contacts -----------------------------------------------------------------------------


def _phone(contact: ContactData, kinds: tuple[str, ...]) -> str:
    for phone in sorted(contact.phones, key=lambda p: not p.is_primary):
        if phone.kind in kinds:
            return phone.number
    return ""


def contact_description(contact: ContactData) -> str:
    """Notes, then what they care about, need and know, each under its own heading."""
    parts = [contact.notes.strip()] if contact.notes.strip() else []
    for heading, text in (
        ("Interests", contact.interests),
        ("Looking for", contact.needs),
        ("Expertise", contact.expertise),
    ):
        if text.strip():
            parts.append(f"{heading}: {text.strip()}")
    return "\n\n".join(parts)


def company_name_for_lead(contact: ContactData, options: MappingOptions) -> str:
    """Lead.Company is required: the company, else the email's domain, else a placeholder."""
    if contact.company is not None and contact.company.name.strip():
        return contact.company.name.strip()
    if options.lead_company_from_email_domain:
        for email in contact.emails:
            domain = email_domain(email)
            if domain and domain not in FREE_MAIL_DOMAINS:
                return domain
    return options.lead_company_placeholder


CONTACT_FIELDS: dict[str, LocalField] = {
    "first_name": LocalField("First name", "string", lambda c, o: c.first_name),
    "last_name": LocalField("Last name", "string", lambda c, o: c.last_name),
    "full_name": LocalField("Full name", "string", lambda c, o: c.full_name),
    "title": LocalField("Job title", "string", lambda c, o: c.title),
    "primary_email": LocalField("Primary email", "email", lambda c, o: c.primary_email),
    "second_email": LocalField("Second email", "email", lambda c, o: c.emails[1] if len(c.emails) > 1 else ""),
    "work_phone": LocalField("Phone (work, else main)", "phone", lambda c, o: _phone(c, ("work", "other", "home"))),
    "mobile_phone": LocalField("Mobile phone", "phone", lambda c, o: _phone(c, ("mobile",))),
    "home_phone": LocalField("Home phone", "phone", lambda c, o: _phone(c, ("home",))),
    "location": LocalField("Location", "string", lambda c, o: c.location),
    "linkedin_url": LocalField("LinkedIn URL", "url", lambda c, o: c.linkedin_url),
    "interests": LocalField("Interests", "textarea", lambda c, o: c.interests),
    "needs": LocalField("Looking for", "textarea", lambda c, o: c.needs),
    "expertise": LocalField("Expertise", "textarea", lambda c, o: c.expertise),
    "notes": LocalField("Notes", "textarea", lambda c, o: c.notes),
    "description": LocalField("Notes, interests, needs and expertise", "textarea", lambda c, o: contact_description(c)),
    "company_name": LocalField("Company name", "string", company_name_for_lead),
}


# --- interactions -------------------------------------------------------------------------

_KIND_WORDS = {EMAIL: "Email", CALL: "Call", MEETING: "Meeting"}


def effective_privacy(interaction: InteractionData, options: MappingOptions) -> str:
    return strictest_privacy(interaction.privacy_level, options.push_privacy_level)


def _contact_participants(interaction: InteractionData) -> list[ParticipantData]:
    return [p for p in interaction.participants if not p.is_user and (p.person is not None or p.address)]


def _participant_name(participant: ParticipantData) -> str:
    if participant.person is not None and participant.person.name:
        return participant.person.name
    return participant.display_name or participant.address


def people_phrase(interaction: InteractionData) -> str:
    """``Jane Doe``, ``Jane Doe and Max Mustermann``, ``Jane Doe and 3 others``."""
    names: list[str] = []
    for participant in _contact_participants(interaction):
        name = _participant_name(participant)
        if name and name not in names:
            names.append(name)
    if not names:
        return "a contact"
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} and {len(names) - 1} others"


def metadata_subject(interaction: InteractionData) -> str:
    return f"{_KIND_WORDS.get(interaction.kind, 'Activity')} with {people_phrase(interaction)}"


def activity_subject(interaction: InteractionData, options: MappingOptions) -> str:
    """The subject where the privacy level allows it, else "Email with <contact name>"."""
    subject = " ".join(interaction.subject.split())
    if subject and privacy_allows(effective_privacy(interaction, options), PRIVACY_SUBJECT):
        return subject
    return metadata_subject(interaction)


def activity_body(interaction: InteractionData, options: MappingOptions) -> str:
    if not privacy_allows(effective_privacy(interaction, options), PRIVACY_FULL):
        return ""
    return interaction.body.strip()


def local_date(value: datetime.datetime, options: MappingOptions) -> datetime.date:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(options.timezone).date()


_CALL_TYPES = {INBOUND: "Inbound", INTERNAL: "Internal"}

INTERACTION_FIELDS: dict[str, LocalField] = {
    "subject": LocalField("Subject (as privacy allows)", "string", activity_subject),
    "body": LocalField("Body (full privacy level only)", "textarea", activity_body),
    "people": LocalField("Who took part", "string", lambda i, o: people_phrase(i)),
    "direction": LocalField("Direction", "picklist", lambda i, o: i.direction.capitalize()),
    "call_type": LocalField("Call type", "picklist", lambda i, o: _CALL_TYPES.get(i.direction, "Outbound")),
    "occurred_at": LocalField("When", "datetime", lambda i, o: i.occurred_at),
    "occurred_on": LocalField("Day", "date", lambda i, o: local_date(i.occurred_at, o)),
    "duration_minutes": LocalField("Duration (minutes)", "int", lambda i, o: i.duration_minutes),
    "duration_seconds": LocalField(
        "Duration (seconds)", "int", lambda i, o: i.duration_minutes * 60 if i.duration_minutes else None
    ),
    "owner_name": LocalField("Rep", "string", lambda i, o: i.owner_name),
}


# --- help offers --------------------------------------------------------------------------

_HELP_WORDS = {
    "intro": "intro",
    "advice": "advice",
    "resource": "resource",
    "referral": "referral",
    "endorsement": "endorsement",
    "other": "help",
}


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())
    return ""


def help_subject(offer: HelpOfferData, options: MappingOptions) -> str:
    """``Give-first: intro to Jane Doe``, ``Give-first: advice — <description>``,
    ``Received: referral from Max Mustermann``."""
    word = _HELP_WORDS.get(offer.kind, "help")
    what = _first_line(offer.description)
    if offer.direction == "received":
        source = offer.contact.name or "a contact"
        if offer.kind == "intro" and offer.intro_contact_name:
            return f"Received: intro to {offer.intro_contact_name} from {source}"
        return f"Received: {word} from {source}" + (f" — {what}" if what else "")
    if offer.kind == "intro" and offer.intro_contact_name:
        return f"Give-first: intro to {offer.intro_contact_name}"
    return f"Give-first: {word}" + (f" — {what}" if what else "")


def help_summary(offer: HelpOfferData, options: MappingOptions) -> str:
    lines = [offer.description.strip()] if offer.description.strip() else []
    status = offer.status.capitalize()
    if offer.status == "delivered" and offer.delivered_at is not None:
        status += f" on {local_date(offer.delivered_at, options).isoformat()}"
    lines.append(f"Status: {status}")
    if offer.giver_name:
        lines.append(f"{'Given by' if offer.direction != 'received' else 'Received by'}: {offer.giver_name}")
    return "\n".join(lines)


HELP_OFFER_FIELDS: dict[str, LocalField] = {
    "subject": LocalField("Subject", "string", help_subject),
    "summary": LocalField("Description and status", "textarea", help_summary),
    "description": LocalField("Description", "textarea", lambda h, o: h.description),
    "kind": LocalField("Kind of help", "picklist", lambda h, o: h.kind),
    "status": LocalField("Status", "picklist", lambda h, o: h.status),
    "due_date": LocalField("Due date", "date", lambda h, o: h.due_date),
    "delivered_at": LocalField("Delivered at", "datetime", lambda h, o: h.delivered_at),
}


LOCAL_FIELDS: dict[str, dict[str, LocalField]] = {
    "company": COMPANY_FIELDS,
    "contact": CONTACT_FIELDS,
    "email": INTERACTION_FIELDS,
    "call": INTERACTION_FIELDS,
    "meeting": INTERACTION_FIELDS,
    "help_offer": HELP_OFFER_FIELDS,
}


def local_field_choices(local_kind: str) -> list[tuple[str, str, str]]:
    """``(name, label, type)`` for the mapping page."""
    return [(name, f.label, f.type) for name, f in LOCAL_FIELDS.get(local_kind, {}).items()]


def get_value(local_kind: str, name: str, data: Any, options: MappingOptions) -> Any:
    return LOCAL_FIELDS[local_kind][name].get(data, options)
