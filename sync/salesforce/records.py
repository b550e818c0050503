"""Plain data the mapping layer works on: what a local row says, without the ORM.

``sync.salesforce.domain`` builds these from model instances; ``mapping``, ``matching`` and
the tests build them directly. Everything here is immutable and comparable, so a payload
built twice from the same data is the same payload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Interaction kinds, directions, privacy levels and help statuses, as the domain spells them.
EMAIL = "email"
MEETING = "meeting"
CALL = "call"
NOTE = "note"

INBOUND = "inbound"
OUTBOUND = "outbound"
INTERNAL = "internal"

PRIVACY_METADATA = "metadata"
PRIVACY_SUBJECT = "subject"
PRIVACY_FULL = "full"
# From least to most revealing: a level "allows" everything to its left.
PRIVACY_ORDER = (PRIVACY_METADATA, PRIVACY_SUBJECT, PRIVACY_FULL)

VISIBILITY_PRIVATE = "private"

CONTACT_SOBJECT = "Contact"
LEAD_SOBJECT = "Lead"


def privacy_allows(level: str, wanted: str) -> bool:
    """Does ``level`` allow ``wanted``? Unknown levels allow nothing beyond metadata."""
    if level not in PRIVACY_ORDER:
        level = PRIVACY_METADATA
    return PRIVACY_ORDER.index(wanted) <= PRIVACY_ORDER.index(level)


def strictest_privacy(*levels: str) -> str:
    """The least revealing of several levels (unknown ones count as metadata)."""
    known = [PRIVACY_ORDER.index(level) if level in PRIVACY_ORDER else 0 for level in levels]
    return PRIVACY_ORDER[min(known)] if known else PRIVACY_METADATA


@dataclass(frozen=True)
class CompanyData:
    id: int
    organization_id: int
    name: str
    website: str = ""
    industry: str = ""
    description: str = ""
    # Known domains (``acme.com``), the website's first when there is one.
    domains: tuple[str, ...] = ()
    salesforce_id: str = ""


@dataclass(frozen=True)
class CompanyRef:
    """A contact's company, as far as its Account is concerned."""

    id: int
    name: str
    salesforce_id: str = ""


@dataclass(frozen=True)
class PhoneData:
    number: str  # E.164
    kind: str = "work"  # work | mobile | home | other
    is_primary: bool = False


@dataclass(frozen=True)
class ContactData:
    id: int
    organization_id: int
    full_name: str
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    # Every known address, the primary first.
    emails: tuple[str, ...] = ()
    phones: tuple[PhoneData, ...] = ()
    location: str = ""
    linkedin_url: str = ""
    interests: str = ""
    needs: str = ""
    expertise: str = ""
    notes: str = ""
    company: CompanyRef | None = None
    salesforce_contact_id: str = ""
    salesforce_lead_id: str = ""

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""


@dataclass(frozen=True)
class PersonRef:
    """Someone an activity names, and where that person lives in Salesforce.

    ``sobject`` is ``Contact`` or ``Lead`` for a contact, ``User`` for one of our users
    (only usable with a known ``salesforce_id``).
    """

    sobject: str
    name: str = ""
    local_id: int | None = None  # the contact's id, for its external id
    salesforce_id: str = ""
    account: CompanyRef | None = None  # the Contact's Account (never for a Lead)


@dataclass(frozen=True)
class ParticipantData:
    person: PersonRef | None  # None: only an address we know nothing else about
    role: str  # from | to | cc | attendee | organizer
    address: str = ""
    display_name: str = ""
    response_status: str = ""  # "", accepted, tentative, declined, needs-action
    is_user: bool = False  # one of ours (a rep), not a contact


@dataclass(frozen=True)
class InteractionData:
    id: int
    organization_id: int
    kind: str  # email | meeting | call | note
    occurred_at: datetime.datetime
    subject: str = ""
    body: str = ""
    direction: str = OUTBOUND
    # Message-ID for email; UID or UID|RECURRENCE-ID for meetings; "" when logged by hand.
    external_id: str = ""
    visibility: str = "team"
    # What the capture allowed to be kept (manual entries: full).
    privacy_level: str = PRIVACY_FULL
    duration_minutes: int | None = None
    participants: tuple[ParticipantData, ...] = ()
    owner_name: str = ""
    owner_salesforce_id: str = ""


@dataclass(frozen=True)
class HelpOfferData:
    id: int
    organization_id: int
    contact: PersonRef
    kind: str  # intro | advice | resource | referral | endorsement | other
    description: str
    status: str  # offered | accepted | delivered | declined | withdrawn
    direction: str = "given"  # given | received
    due_date: datetime.date | None = None
    delivered_at: datetime.datetime | None = None
    intro_contact_name: str = ""
    giver_name: str = ""  # the rep on our side
    owner_salesforce_id: str = ""
