"""The "BCC to log" SMTP server (aiosmtpd), run by ``manage.py capture_smtp``.

It accepts mail only for ``log+<token>@<RELINTEL_BCC_DOMAIN>`` addresses that
exist, only from the rep who owns the address, and answers ``250`` only after the
message is committed: a message the server accepted is never lost, and one it
could not store is refused with a temporary ``451`` so the sending server retries.

The handler does no ORM work on the event loop: lookups and the capture run in
worker threads (Django's ORM is synchronous), each closing stale connections
first, as a long-running process must.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from activities.capture import bcc
from activities.models import LoggingAddress

log = logging.getLogger(__name__)

NO_SUCH_ADDRESS = "550 5.1.1 No such logging address"
TOO_BIG = "552 5.3.4 Message too big"
TRY_AGAIN = "451 4.3.0 Could not store the message right now; please try again later"
ACCEPTED = "250 2.0.0 Logged"


def _not_the_owner(sender: str) -> str:
    return (
        f"550 5.7.1 <{sender}> may not log mail to this address: send from the address "
        "you sign in to Relintel with, or from a mailbox you connected"
    )


def _in_thread(function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run ``function`` with a usable database connection (the server lives for days)."""
    close_old_connections()
    try:
        return function(**kwargs)
    finally:
        close_old_connections()


@dataclass
class _Accepted:
    """The logging addresses accepted for the current envelope (one rep may be in two organizations)."""

    addresses: dict[int, LoggingAddress] = field(default_factory=dict)


class LoggingHandler:
    """aiosmtpd handler: RCPT checks the address and the sender, DATA captures."""

    def __init__(self, *, capture: Callable[..., Any] = bcc.bcc_capture) -> None:
        self.capture = capture

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if bcc.logging_token_of(address) is None:
            return NO_SUCH_ADDRESS
        try:
            logging_address = await asyncio.to_thread(_in_thread, bcc.logging_address_lookup, address=address)
            if logging_address is None:
                return NO_SUCH_ADDRESS
            sender = envelope.mail_from or ""
            allowed = await asyncio.to_thread(
                _in_thread, bcc.sender_may_log, logging_address=logging_address, sender=sender
            )
        except DatabaseError:
            log.exception("capture_smtp: lookup failed for %s", address)
            return TRY_AGAIN
        if not allowed:
            return _not_the_owner(sender)
        accepted: _Accepted = getattr(envelope, "relintel", None) or _Accepted()
        accepted.addresses[logging_address.pk] = logging_address
        envelope.relintel = accepted  # type: ignore[attr-defined]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        accepted: _Accepted | None = getattr(envelope, "relintel", None)
        raw = envelope.original_content or b""
        if accepted is None or not accepted.addresses:
            return "503 5.5.1 No valid recipients"
        try:
            for logging_address in accepted.addresses.values():
                await asyncio.to_thread(_in_thread, self.capture, logging_address=logging_address, raw=raw)
        except Exception:
            # A database outage, a deadlock, a bug: nothing was stored (each capture is one
            # transaction and re-capturing is idempotent), so let the sender retry.
            log.exception("capture_smtp: could not capture a message from %s", envelope.mail_from)
            return TRY_AGAIN
        log.info("capture_smtp: logged a message from %s (%d bytes)", envelope.mail_from, len(raw))
        return ACCEPTED


class LoggingSMTP(SMTP):
    """aiosmtpd's SMTP with RFC 3463 enhanced codes on its size refusals."""

    async def push(self, status: str | bytes) -> None:
        text = status.decode() if isinstance(status, bytes) else status
        if text.startswith("552 Error"):  # "message size exceeds ..." (MAIL SIZE=) and "Too much mail data"
            text = f"{TOO_BIG} (the limit is {self.data_size_limit} bytes)"
        await super().push(text)


class LoggingController(Controller):
    def factory(self) -> SMTP:
        return LoggingSMTP(self.handler, **self.SMTP_kwargs)


def logging_controller(
    *,
    host: str | None = None,
    port: int | None = None,
    max_message_bytes: int | None = None,
    handler: LoggingHandler | None = None,
) -> LoggingController:
    """A ready-to-``start()`` server with the settings' defaults."""
    return LoggingController(
        handler or LoggingHandler(),
        hostname=host or settings.RELINTEL_SMTP_HOST,
        port=port if port is not None else settings.RELINTEL_SMTP_PORT,
        data_size_limit=max_message_bytes or settings.RELINTEL_SMTP_MAX_MESSAGE_BYTES,
        server_hostname=settings.RELINTEL_BCC_DOMAIN,
        ident="Relintel BCC-to-log",
    )
