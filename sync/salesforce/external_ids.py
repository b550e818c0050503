"""Stable, opaque external-id values: what ``Relintel_Id__c`` holds for each local row.

Every value is ``rl-<kind>-<32 hex digits>``: 38 characters of ``[a-z0-9-]``. Salesforce
keeps them in a Text(255) External ID field, and simple-salesforce puts them in URL paths
without encoding, so nothing here may need encoding (no ``/ ? # % +`` or spaces).

The digits are the first 128 bits of a SHA-256 over the organization's id, the kind and a
key that never changes for the row:

========== ====== ===============================================================
local row  kind   key hashed
========== ====== ===============================================================
company    ``co`` the company's id
contact    ``ct`` the contact's id (a merge keeps the survivor's id, and its value)
email      ``em`` the **Message-ID**, normalized (no angle brackets, whitespace
                  removed, domain part lower-case): the same message captured from
                  two reps' mailboxes is one interaction and so one Task. An email
                  logged by hand (no Message-ID) uses its interaction id.
meeting    ``mt`` the iCalendar **UID**, with ``|RECURRENCE-ID`` (UTC,
                  ``YYYY-MM-DDTHH:MM:SSZ``) for an occurrence of a recurring event: the
                  form the capture stores in ``Interaction.external_id``. A meeting
                  logged by hand uses its interaction id.
call       ``ca`` the interaction's id
note       ``nt`` the interaction's id
help offer ``ho`` the help offer's id
========== ====== ===============================================================

Why a hash and not ``rl-acme-co-42``: an organization's slug can be renamed (the value
must never change once pushed), and Message-IDs and UIDs carry host names and user names
that Salesforce users have no business reading. The organization's id is in every hash,
so two organizations pushing to one Salesforce org never collide. The scheme is frozen:
changing anything here would make every record already in Salesforce a stranger.
"""

from __future__ import annotations

import datetime
import hashlib
import re

PREFIX = "rl"
DIGEST_HEX_CHARS = 32  # 128 bits: collisions are out of reach for any CRM's row count
EXTERNAL_ID_LENGTH = len(PREFIX) + 1 + 2 + 1 + DIGEST_HEX_CHARS  # 38

KIND_COMPANY = "co"
KIND_CONTACT = "ct"
KIND_EMAIL = "em"
KIND_MEETING = "mt"
KIND_CALL = "ca"
KIND_NOTE = "nt"
KIND_HELP_OFFER = "ho"
KINDS = frozenset({KIND_COMPANY, KIND_CONTACT, KIND_EMAIL, KIND_MEETING, KIND_CALL, KIND_NOTE, KIND_HELP_OFFER})

_INTERACTION_KINDS = {"email": KIND_EMAIL, "meeting": KIND_MEETING, "call": KIND_CALL, "note": KIND_NOTE}
_SHAPE = re.compile(rf"^{PREFIX}-([a-z]{{2}})-[0-9a-f]{{{DIGEST_HEX_CHARS}}}$")


def _make(kind: str, organization_id: int, *key: str) -> str:
    # \x1f (unit separator) never occurs in ids, so ("a", "bc") and ("ab", "c") differ.
    material = "\x1f".join(["relintel", str(organization_id), kind, *key])
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{PREFIX}-{kind}-{digest[:DIGEST_HEX_CHARS]}"


def normalize_message_id(value: str) -> str:
    """``< Abc.123@Mail.Example.COM >`` → ``Abc.123@mail.example.com``.

    The local part stays case-sensitive (RFC 5322 says it is); the domain part is not.
    """
    compact = "".join(value.split())
    if compact.startswith("<") and compact.endswith(">"):
        compact = compact[1:-1]
    local, at, domain = compact.rpartition("@")
    return f"{local}@{domain.lower()}" if at else compact


def _utc_stamp(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def company_external_id(*, organization_id: int, company_id: int) -> str:
    return _make(KIND_COMPANY, organization_id, str(company_id))


def contact_external_id(*, organization_id: int, contact_id: int) -> str:
    return _make(KIND_CONTACT, organization_id, str(contact_id))


def email_external_id(*, organization_id: int, message_id: str) -> str:
    normalized = normalize_message_id(message_id)
    if not normalized:
        raise ValueError("An email without a Message-ID is identified by its interaction id.")
    return _make(KIND_EMAIL, organization_id, "message-id", normalized)


def meeting_external_id(*, organization_id: int, uid: str, recurrence_id: str | datetime.datetime = "") -> str:
    """The UID alone for a one-off meeting; UID and RECURRENCE-ID for an occurrence."""
    uid = uid.strip()
    if not uid:
        raise ValueError("A meeting without a UID is identified by its interaction id.")
    if isinstance(recurrence_id, datetime.datetime):
        recurrence_id = _utc_stamp(recurrence_id)
    stored = f"{uid}|{recurrence_id.strip()}" if recurrence_id else uid
    return _stored_meeting_id(organization_id, stored)


def _stored_meeting_id(organization_id: int, stored: str) -> str:
    return _make(KIND_MEETING, organization_id, "uid", stored.strip())


def interaction_external_id(*, organization_id: int, interaction_id: int, kind: str, external_id: str = "") -> str:
    """The value for an interaction, from what ``Interaction`` stores.

    ``external_id`` is the interaction's stored Message-ID (email) or ``UID[|RECURRENCE-ID]``
    (meeting); without one, or for calls and notes, the interaction's id is the key.
    """
    code = _INTERACTION_KINDS.get(kind)
    if code is None:
        raise ValueError(f"Unknown interaction kind “{kind}”.")
    if external_id.strip():
        if code == KIND_EMAIL:
            return email_external_id(organization_id=organization_id, message_id=external_id)
        if code == KIND_MEETING:
            return _stored_meeting_id(organization_id, external_id)
    return _make(code, organization_id, "interaction", str(interaction_id))


def help_offer_external_id(*, organization_id: int, help_offer_id: int) -> str:
    return _make(KIND_HELP_OFFER, organization_id, str(help_offer_id))


def kind_of(value: str) -> str | None:
    """The kind code of one of our values (``"em"``…), or None for anything else."""
    match = _SHAPE.match(value or "")
    if match is None or match.group(1) not in KINDS:
        return None
    return match.group(1)


def is_external_id(value: str) -> bool:
    return kind_of(value) is not None
