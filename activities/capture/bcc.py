"""BCC to log: who a logging address belongs to, who may send to it, and capturing what arrives.

The SMTP server (``activities.capture.smtp``) is only a transport: every decision
and every write is here, synchronous and transactional, so it is tested like any
service and the server runs it in a worker thread.
"""

from __future__ import annotations

import email.utils
import re
from email import policy as email_policy
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import F

from activities.capture.forwarded import recover_forwarded
from activities.models import CaptureAccount, CapturePolicy, InteractionSource, LoggingAddress, PrivacyLevel, Visibility

if TYPE_CHECKING:
    from activities.capture.ingest import IngestResult

_LOCAL_PART = re.compile(r"^log\+([a-z0-9_-]{1,40})$")


def logging_token_of(address: str) -> str | None:
    """The token of ``log+<token>@<RELINTEL_BCC_DOMAIN>`` (any case), else ``None``."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at or domain != settings.RELINTEL_BCC_DOMAIN.lower():
        return None
    match = _LOCAL_PART.match(local)
    return match.group(1) if match else None


def logging_address_lookup(*, address: str) -> LoggingAddress | None:
    """The logging address ``address`` names, with its rep and organization; ``None`` if unknown."""
    token = logging_token_of(address)
    if token is None:
        return None
    return (
        LoggingAddress.objects.select_related("user", "organization")
        # The rep must still be an active member of the address's organization.
        .filter(
            token=token,
            user__is_active=True,
            user__memberships__organization_id=F("organization_id"),
            user__memberships__is_active=True,
        )
        .first()
    )


def sender_addresses_of(*, logging_address: LoggingAddress) -> frozenset[str]:
    """Addresses the owner sends from: their login email and their connected mailboxes' addresses."""
    usernames = CaptureAccount.objects.filter(
        organization_id=logging_address.organization_id, user_id=logging_address.user_id, username__contains="@"
    ).values_list("username", flat=True)
    return frozenset({logging_address.user.email.lower()} | {name.strip().lower() for name in usernames})


def sender_may_log(*, logging_address: LoggingAddress, sender: str) -> bool:
    return sender.strip().strip("<>").lower() in sender_addresses_of(logging_address=logging_address)


def _forwarded_to_the_address(raw: bytes, own: frozenset[str]) -> bool:
    """Whether the rep *addressed* the message to a logging address (a forward), rather than BCC'd it.

    A forward goes To the logging address (perhaps Cc themselves); a BCC'd mail has
    the rep's real correspondents in To and Cc.
    """
    headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(raw[:65536])
    visible = [
        addr.lower() for _, addr in email.utils.getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []))
    ]
    visible = [addr for addr in visible if addr]
    return bool(visible) and all(logging_token_of(addr) is not None or addr in own for addr in visible)


def bcc_message_to_capture(*, raw: bytes, own_addresses: frozenset[str]) -> tuple[bytes, bool]:
    """The message to capture and whether it came out of a forward."""
    if _forwarded_to_the_address(raw, own_addresses):
        original = recover_forwarded(raw)
        if original is not None:
            return original, True
    return raw, False


def bcc_capture(*, logging_address: LoggingAddress, raw: bytes) -> IngestResult:
    """Capture a message sent to a rep's logging address, attributed to that rep (one transaction)."""
    from activities.capture.ingest import capture_ingest
    from activities.capture.parse_email import parse_message

    organization = logging_address.organization
    privacy_level = (
        CapturePolicy.objects.filter(organization=organization).values_list("default_privacy_level", flat=True).first()
        or PrivacyLevel.SUBJECT
    )
    message, _ = bcc_message_to_capture(raw=raw, own_addresses=sender_addresses_of(logging_address=logging_address))
    item = parse_message(message, with_body=privacy_level == PrivacyLevel.FULL)
    return capture_ingest(
        organization=organization,
        user=logging_address.user,
        source=InteractionSource.BCC,
        items=[item],
        privacy_level=privacy_level,
        visibility=Visibility.TEAM,
    )
