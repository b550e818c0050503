"""Raw RFC 5322 bytes → ``CapturedItem``. Pure; ``parse_message`` never raises.

Speed and safety come from three choices:

* oversized address headers are cut *before* parsing (``headers.cap_headers``), with
  the full recipient count taken cheaply first, so a 20,000-recipient To header
  costs milliseconds;
* the Rust ``fast_mail_parser`` parses almost every message (about 20x the standard
  library's ``policy=default`` with field extraction, measured in
  ``tests/capture/test_parse_email.py::test_parser_rate_report``);
* what it rejects goes to the standard library with ``policy=compat32`` (lenient and
  linear), and only if that fails too does the item carry ``parse_error``.
"""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Iterable, Iterator
from email import message_from_bytes
from email.header import Header, decode_header
from email.message import Message
from email.policy import compat32

import fast_mail_parser

from activities.capture.headers import (
    MAX_SIGNAL_CHARS,
    SIGNAL_HEADERS,
    SIGNAL_PREFIXES,
    cap_headers,
    decode_bytes,
    decode_words,
    first_message_id,
    message_ids,
    normalize_address,
)
from activities.capture.items import (
    EMAIL,
    ROLE_CC,
    ROLE_FROM,
    ROLE_REPLY_TO,
    ROLE_TO,
    Attachment,
    CapturedItem,
    CapturedParticipant,
)
from activities.capture.sanitize import html_to_text, sanitize_html

MAX_TEXT_BYTES = 100 * 1024  # stored body text, UTF-8 bytes
MAX_HTML_INPUT_CHARS = 100 * 1024  # HTML is cut before sanitizing; nh3 closes what the cut left open
MAX_SUBJECT_CHARS = 998
MAX_ATTACHMENTS = 100
MAX_PARTS = 1_000  # MIME parts walked in the fallback parser

_ADDRESS_ROLES = (("from", ROLE_FROM), ("to", ROLE_TO), ("cc", ROLE_CC), ("reply-to", ROLE_REPLY_TO))


def parse_message(raw: bytes, *, with_body: bool = True) -> CapturedItem:
    """One message's fields; ``with_body`` (privacy level "full") also reads the body.

    Never raises: anything unreadable gives an item with ``parse_error`` in words and
    whatever fields could be read.
    """
    try:
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise TypeError(f"expected bytes, got {type(raw).__name__}")
        return _parse(bytes(raw), with_body)
    except Exception as exc:  # the contract: a message never stops a batch
        size = len(raw) if isinstance(raw, bytes | bytearray) else 0
        return CapturedItem(
            kind=EMAIL,
            external_id="",
            occurred_at=None,
            size=size,
            parse_error=f"could not be read ({type(exc).__name__}: {str(exc)[:200]})",
        )


def _parse(raw: bytes, with_body: bool) -> CapturedItem:
    size = len(raw)
    if not raw.strip():
        return CapturedItem(kind=EMAIL, external_id="", occurred_at=None, size=size, parse_error="empty message")
    capped, full_recipient_count = cap_headers(raw)
    try:
        mail = fast_mail_parser.parse_email(capped)
    except fast_mail_parser.ParseError:
        item = _from_stdlib(capped, with_body)
    else:
        if with_body and any(w.kind == "charset-fallback" and w.part_path for w in mail.warnings):
            # A body in an unknown charset: the fast parser replaced its 8-bit bytes with
            # U+FFFD; the fallback guesses (UTF-8, then Latin-1) and keeps the letters.
            item = _from_stdlib(capped, with_body)
        else:
            item = _from_fast(mail, with_body)
    item.size = size
    if full_recipient_count is not None:
        item.recipient_count = max(item.recipient_count, full_recipient_count)
    if not item.parse_error and not (
        item.participants or item.external_id or item.occurred_at or item.subject or item.in_reply_to
    ):
        item.parse_error = "no email headers found (no From, To, Date, Subject or Message-ID)"
        item.text_body = item.html_body = ""  # whatever it is, it is not a message body
    return item


# --- the fast path ---------------------------------------------------------------------------


def _from_fast(mail: fast_mail_parser.PyMail, with_body: bool) -> CapturedItem:
    headers: dict[str, list[str]] = {}
    for name, values in mail.headers.items():
        headers.setdefault(name.strip().lower(), []).extend(values)

    by_header: dict[str, list[tuple[str, str]]] = {
        "from": [(a.display_name or "", a.address) for a in ([mail.from_] if mail.from_ else [])],
        "to": [(a.display_name or "", a.address) for a in mail.to],
        "cc": [(a.display_name or "", a.address) for a in mail.cc],
        "reply-to": [(a.display_name or "", a.address) for a in mail.reply_to],
    }
    # fast_mail_parser drops an address header it cannot parse; the lenient stdlib
    # splitter still gets the readable addresses out of it.
    for name in by_header:
        if not by_header[name] and headers.get(name):
            by_header[name] = _stdlib_addresses(headers[name][0])
    participants, recipient_count = _participants(by_header)

    date_value = _first(headers, "date")
    occurred_at = mail.date_parsed or _parse_date(date_value)
    subject = mail.subject or ""
    if "=?" in subject:  # a word the parser left encoded (bad charset): decode it leniently
        subject = decode_words(subject)

    attachments: list[Attachment] = []
    for part in mail.attachments[:MAX_ATTACHMENTS]:
        name = _attachment_name(part.filename, part.mimetype, part.disposition)
        if name:
            attachments.append(Attachment(name=name, size=len(part.content), content_type=part.mimetype[:100]))

    item = _base_item(headers, occurred_at, subject, participants, recipient_count, attachments)
    if with_body:
        _set_body(item, mail.text_plain, mail.text_html)
    return item


# --- the fallback: the standard library, compat32 --------------------------------------------


def _from_stdlib(raw: bytes, with_body: bool) -> CapturedItem:
    try:
        message = message_from_bytes(raw, policy=compat32)
    except Exception as exc:
        return CapturedItem(
            kind=EMAIL, external_id="", occurred_at=None, parse_error=f"not a readable email message ({exc})"
        )
    headers: dict[str, list[str]] = {}
    for name, value in message.items():
        headers.setdefault(name.strip().lower(), []).append(_header_text(value))

    by_header = {
        name: _stdlib_addresses(headers[name][0]) if headers.get(name) else []
        for name in ("from", "to", "cc", "reply-to")
    }
    by_header["from"] = by_header["from"][:1]
    participants, recipient_count = _participants(by_header)
    subject = decode_words(_first(headers, "subject"))

    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    problems: list[str] = []
    for part in _leaf_parts(message):
        try:
            _read_part(part, plain, html, attachments)
        except Exception as exc:
            problems.append(f"{part.get_content_type()}: {exc}")
    item = _base_item(
        headers, _parse_date(_first(headers, "date")), subject, participants, recipient_count, attachments
    )
    if with_body:
        _set_body(item, plain, html)
    if message.defects and not (plain or html or attachments) and not item.participants:
        item.parse_error = "not a readable email message: " + "; ".join(
            type(defect).__name__ for defect in message.defects[:5]
        )
    return item


def _header_text(value: str | Header) -> str:
    if isinstance(value, Header):
        # 8-bit bytes in a header: compat32 hands them over as an "unknown-8bit" Header.
        return "".join(
            chunk if isinstance(chunk, str) else decode_bytes(chunk, None if charset == "unknown-8bit" else charset)
            for chunk, charset in decode_header(value)
        )
    return str(value)


def _leaf_parts(message: Message) -> Iterator[Message]:
    """Non-multipart parts, depth first, iteratively (no recursion limit), at most MAX_PARTS.

    A message/rfc822 part is a leaf here: a forwarded message is an attachment, not the body.
    """
    stack: list[Message] = [message]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        payload = part.get_payload()
        if part.is_multipart() and part.get_content_maintype() == "multipart" and isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))
        else:
            yield part


def _read_part(part: Message, plain: list[str], html: list[str], attachments: list[Attachment]) -> None:
    content_type = part.get_content_type()
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    filename = decode_words(_header_text(part.get_filename() or ""))
    if content_type == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        size = len(inner.as_bytes()) if isinstance(inner, Message) else 0
        if len(attachments) < MAX_ATTACHMENTS:
            attachments.append(Attachment(name=filename or "message.eml", size=size, content_type=content_type))
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    if content_type in ("text/plain", "text/html") and disposition != "attachment":
        text = decode_bytes(data, part.get_content_charset())
        (plain if content_type == "text/plain" else html).append(text)
        return
    name = _attachment_name(filename, content_type, disposition or None)
    if name and len(attachments) < MAX_ATTACHMENTS:
        attachments.append(Attachment(name=name, size=len(data), content_type=content_type[:100]))


def _stdlib_addresses(value: str) -> list[tuple[str, str]]:
    try:
        return [(decode_words(name), address) for name, address in email.utils.getaddresses([value])]
    except Exception:
        return []


# --- shared ----------------------------------------------------------------------------------


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _participants(by_header: dict[str, list[tuple[str, str]]]) -> tuple[list[CapturedParticipant], int]:
    participants: list[CapturedParticipant] = []
    recipient_count = 0
    for header, role in _ADDRESS_ROLES:
        seen: set[str] = set()
        for name, address in by_header.get(header, []):
            normalized = normalize_address(address)
            # decode_words already collapses whitespace; most names need nothing more.
            display = decode_words(name).strip("\"'").strip()[:200] if name else ""
            if display and display.lower() == normalized:
                display = ""
            if not normalized and not display:
                continue
            key = normalized or f"name:{display}"
            if key in seen:
                continue
            seen.add(key)
            participants.append(CapturedParticipant(address=normalized, name=display, role=role))
            if role in (ROLE_TO, ROLE_CC):
                recipient_count += 1
    return participants, recipient_count


def _parse_date(value: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _attachment_name(filename: str, mimetype: str, disposition: str | None) -> str:
    filename = " ".join((filename or "").split())[:255]
    if filename:
        return filename
    if mimetype == "message/rfc822":
        return "message.eml"
    if (disposition or "").lower() == "attachment":
        return "attachment"
    return ""  # an unnamed inline part (an embedded image, a signature): not an attachment


def _base_item(
    headers: dict[str, list[str]],
    occurred_at: datetime.datetime | None,
    subject: str,
    participants: list[CapturedParticipant],
    recipient_count: int,
    attachments: list[Attachment],
) -> CapturedItem:
    external_id = first_message_id(_first(headers, "message-id"))
    references = message_ids(" ".join(headers.get("references", [])))
    in_reply_to = first_message_id(_first(headers, "in-reply-to"))
    signals = {
        name: decode_words(values[0])[:MAX_SIGNAL_CHARS]
        for name, values in headers.items()
        if values and (name in SIGNAL_HEADERS or name.startswith(SIGNAL_PREFIXES))
    }
    return CapturedItem(
        kind=EMAIL,
        external_id=external_id[:998],
        occurred_at=occurred_at,
        subject=" ".join(subject.split())[:MAX_SUBJECT_CHARS],
        participants=participants,
        attachments=attachments,
        thread_id=(references[0] if references else in_reply_to or external_id)[:998],
        in_reply_to=in_reply_to[:998],
        signals=signals,
        recipient_count=recipient_count,
    )


def _set_body(item: CapturedItem, plain: Iterable[str], html: Iterable[str]) -> None:
    texts = [text for text in plain if text and text.strip()]
    if texts:
        item.text_body = cap_text("\n\n".join(texts[:20]))
        return
    markup = "\n".join(part for part in html if part)
    if markup.strip():
        markup = markup[:MAX_HTML_INPUT_CHARS]
        item.html_body = sanitize_html(markup)
        item.text_body = cap_text(html_to_text(item.html_body))


def cap_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes, on a character boundary; NUL characters dropped."""
    text = text.replace("\x00", "")
    if len(text) <= limit // 4:
        return text
    head = text[:limit]
    encoded = head.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return head
    return encoded[:limit].decode("utf-8", "ignore")


# --- mbox ------------------------------------------------------------------------------------

_FROM_QUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)


def split_mbox(data: bytes) -> Iterator[bytes]:
    """Each message of an mbox, without its "From " separator line.

    Messages start at a line beginning with "From ". mboxrd quoting (">From ",
    ">>From ", ...) is undone by one level, which also reads mboxo files correctly
    for every line that was quoted. CRLF line ends are tolerated. Data that does not
    start with a "From " line is read as one message (an .eml uploaded as .mbox).
    """
    view = bytes(data)
    start = 0
    length = len(view)
    while start < length and view[start : start + 1] in (b"\r", b"\n"):
        start += 1
    if start >= length:
        return
    if not view.startswith(b"From ", start):
        yield view[start:]
        return
    while start < length:
        header_end = view.find(b"\n", start)
        if header_end == -1:
            return  # a lone separator line, no message
        body_start = header_end + 1
        next_sep = view.find(b"\nFrom ", body_start - 1)
        end = length if next_sep == -1 else next_sep + 1
        message = view[body_start:end]
        # The blank line before the next separator belongs to the mbox, not the message.
        if message.endswith(b"\r\n\r\n"):
            message = message[:-2]
        elif message.endswith(b"\n\n"):
            message = message[:-1]
        if b">From " in message:
            message = _FROM_QUOTED.sub(rb"\1", message)
        if message.strip():
            yield message
        start = end
