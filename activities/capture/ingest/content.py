"""Pure helpers of the capture writer: stable ids, versions, what the privacy level keeps.

No ORM here; tested without a database.
"""

from __future__ import annotations

import hashlib

from activities.capture.items import ROLE_REPLY_TO, CapturedItem
from activities.capture.sanitize import html_to_text

# Interaction.external_id and SkippedMessage.external_id hold at most this many characters.
MAX_EXTERNAL_ID = 998

PRIVACY_METADATA = "metadata"
PRIVACY_SUBJECT = "subject"
PRIVACY_FULL = "full"


def fallback_external_id(item: CapturedItem) -> str:
    """A stable id for a message without Message-ID: the same message always gets the same one.

    Derived from what every copy of a message shares: the sender, the Date header, the
    subject and the recipients. Not the size: the sender's and a recipient's copies differ
    in their Received headers, and must still be recognised as one message.
    """
    sender = item.sender.address if item.sender else ""
    when = item.occurred_at.isoformat() if item.occurred_at else ""
    recipients = sorted({p.address for p in item.participants if p.address and p is not item.sender})
    material = "\x1f".join([item.kind, sender, when, item.subject, ",".join(recipients)])
    return f"<{hashlib.sha256(material.encode('utf-8', 'surrogatepass')).hexdigest()}@fallback.relintel>"


def external_id_for(item: CapturedItem) -> str:
    """The id an item is stored under: its own, hashed when too long, else the fallback."""
    external_id = item.external_id.strip()
    if not external_id:
        return fallback_external_id(item)
    if len(external_id) > MAX_EXTERNAL_ID:
        digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
        return f"<{digest}@long-id.relintel>"
    return external_id


def version_key(version: str) -> tuple[int, str]:
    """Order ``"SEQUENCE|DTSTAMP"`` versions: a higher sequence wins, then a later stamp."""
    sequence, _, stamp = (version or "").partition("|")
    try:
        number = int(sequence)
    except ValueError:
        number = -1
    return (number, stamp)


def stored_role(role: str) -> str:
    """Reply-To counts as a participant, stored as cc."""
    return "cc" if role == ROLE_REPLY_TO else role


def stored_subject(item: CapturedItem, privacy_level: str) -> str:
    if privacy_level not in (PRIVACY_SUBJECT, PRIVACY_FULL):
        return ""
    return " ".join(item.subject.split())[:998]


def stored_body(item: CapturedItem, privacy_level: str) -> str:
    """Plain text only, and only at the "full" level: the text part, else the HTML as text."""
    if privacy_level != PRIVACY_FULL:
        return ""
    if item.text_body.strip():
        return item.text_body.strip()
    if item.html_body.strip():
        return html_to_text(item.html_body).strip()
    return ""
