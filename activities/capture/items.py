"""Plain data passed between the capture stages. No ORM, no I/O."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# Kinds and roles mirror activities.models (InteractionKind, ParticipantRole,
# ResponseStatus, SkipReason, Direction) as plain strings so this module stays pure.
EMAIL = "email"
MEETING = "meeting"

ROLE_FROM = "from"
ROLE_TO = "to"
ROLE_CC = "cc"
ROLE_REPLY_TO = "reply_to"  # counted as a participant, stored with role "cc"
ROLE_ATTENDEE = "attendee"
ROLE_ORGANIZER = "organizer"

INBOUND = "inbound"
OUTBOUND = "outbound"
INTERNAL = "internal"


@dataclass(frozen=True)
class CapturedParticipant:
    address: str  # normalized: trimmed, lower-case; "" when the header had no usable address
    name: str = ""  # display name, decoded (RFC 2047)
    role: str = ROLE_TO
    response: str = ""  # events: accepted | tentative | declined | needs-action | ""


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    content_type: str = ""


@dataclass
class CapturedItem:
    """One email or one meeting occurrence, as read from a source."""

    kind: str  # EMAIL or MEETING
    # Email: the Message-ID with its angle brackets, as sent (case kept; compare exactly).
    # Meeting: "<UID>" for a single event, "<UID>|<RECURRENCE-ID as UTC ISO>" for an occurrence.
    # "" when the message has none: ingest then derives a stable one (see ingest.fallback_external_id).
    external_id: str
    occurred_at: datetime.datetime | None  # timezone-aware; None when unknown
    subject: str = ""
    text_body: str = ""  # plain text (preferred form of the body)
    html_body: str = ""  # already sanitized with nh3; "" when there was none
    participants: list[CapturedParticipant] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    thread_id: str = ""  # first Message-ID of References, else In-Reply-To, else own id
    in_reply_to: str = ""
    # Signals the classifier reads: header name (lower-case) → value, only for the
    # headers that mark automated/bulk mail (list-id, list-unsubscribe, precedence,
    # auto-submitted, x-auto-response-suppress, x-autoreply, x-autorespond,
    # feedback-id, x-mailer, return-path, ...).
    signals: dict[str, str] = field(default_factory=dict)
    recipient_count: int = 0  # To + Cc (+ attendees), counted before any cap
    duration_minutes: int | None = None  # meetings
    status: str = ""  # meetings: "confirmed" | "tentative" | "cancelled"
    version: str = ""  # meetings: "SEQUENCE|DTSTAMP" (later versions win)
    size: int = 0  # bytes of the raw message
    # Set when the input could not be read well enough to capture: the reason, in words.
    parse_error: str = ""

    @property
    def sender(self) -> CapturedParticipant | None:
        for participant in self.participants:
            if participant.role in (ROLE_FROM, ROLE_ORGANIZER):
                return participant
        return None


@dataclass(frozen=True)
class CaptureContext:
    """What the classifier needs to know about the rep and the organization."""

    own_addresses: frozenset[str]  # the rep's addresses (lower-case)
    internal_domains: frozenset[str]  # the organization's domains (lower-case)
    excluded_addresses: frozenset[str] = frozenset()  # org-wide + the rep's
    excluded_domains: frozenset[str] = frozenset()
    max_recipients: int = 20
    # Meetings: the capture window (occurrences outside it are skipped).
    window_start: datetime.datetime | None = None
    window_end: datetime.datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The classifier's verdict on one item."""

    direction: str  # INBOUND, OUTBOUND or INTERNAL
    skip_reason: str = ""  # one of activities.models.SkipReason values; "" = capture it
    detail: str = ""  # the evidence, in words: "List-Id: <news.example.com>"

    @property
    def captured(self) -> bool:
        return not self.skip_reason
