"""Recover the original message from a forward a rep sent to their logging address.

Pure: bytes in, bytes out, no ORM. Mail clients forward in two ways:

* as an attachment: a ``message/rfc822`` part (or an attached ``.eml``) holds the
  original intact, Message-ID included;
* inline: the original's headers are written into the body under a marker line —
  Gmail's "---------- Forwarded message ---------", Outlook's "-----Original
  Message-----" (or a rule of underscores), Apple Mail's "Begin forwarded message:",
  Thunderbird's "-------- Forwarded Message --------". Only From, Date, Subject,
  To and Cc survive (rarely a Message-ID), so the rebuilt message carries those and
  the forwarded text; ingest derives a stable id when there is no Message-ID.
"""

from __future__ import annotations

import datetime
import email.utils
import html
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

# The forwarded body is taken as it is; this only bounds work on hostile input.
_MAX_SCAN_CHARS = 2_000_000
_HEADER_NAMES = {
    "from": "From",
    "date": "Date",
    "sent": "Date",
    "subject": "Subject",
    "to": "To",
    "cc": "Cc",
    "reply-to": "Reply-To",
    "message-id": "Message-ID",
}
_MARKERS = re.compile(
    r"^[ \t>]*(?:"
    r"-{2,}\s*Forwarded message\s*-{2,}"  # Gmail
    r"|-{2,}\s*Forwarded Message\s*-{2,}"  # Thunderbird
    r"|-{2,}\s*Original Message\s*-{2,}"  # Outlook
    r"|Begin forwarded message:"  # Apple Mail
    r"|_{10,}"  # Outlook (newer): a rule, then From/Sent/To/Subject
    r")[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^\**(From|Date|Sent|Subject|To|Cc|Reply-To|Message-ID)\**\s*:\**\s*(.*)$", re.IGNORECASE)
_MAILTO = re.compile(r"\[mailto:([^\]]+)\]", re.IGNORECASE)
_QUOTE_PREFIX = re.compile(r"^>[ ]?", re.MULTILINE)
_WEEKDAY = re.compile(
    r"\b(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|urday|sday)?\b,?\s*", re.IGNORECASE
)
_TZ_WORD = re.compile(r"\s+(?:GMT|UTC)\s*([+-]\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)
_RFC_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[+-]\d{4}|[A-Z]{1,5})?"
)
_DATE_FORMATS = (
    "%b %d, %Y %I:%M %p",  # Gmail: Jan 8, 2024 10:15 AM ("at" and the weekday removed)
    "%B %d, %Y %I:%M %p",  # Outlook: January 8, 2024 10:15 AM
    "%B %d, %Y %I:%M:%S %p",  # Apple Mail: January 8, 2024 10:15:00 AM
    "%d %B %Y %H:%M:%S",  # Apple Mail, 24-hour locales: 8 January 2024 10:15:00
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%B %d, %Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
)


def recover_forwarded(raw: bytes) -> bytes | None:
    """The forwarded original inside ``raw``, rebuilt as a message; ``None`` if it is no forward."""
    try:
        outer = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception:  # the parser is lenient; anything it still raises means "not a forward"
        return None
    attached = _attached_original(outer)
    if attached is not None:
        return attached
    text = _body_text(outer)
    if not text:
        return None
    return _inline_original(outer, text[:_MAX_SCAN_CHARS])


# --- forwarded as an attachment ------------------------------------------------------


def _attached_original(outer: Message) -> bytes | None:
    for part in outer.walk():
        if part is outer:
            continue
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("From"):
                return _as_bytes(inner)
        elif (part.get_filename() or "").lower().endswith(".eml"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and _looks_like_message(data):
                return data
    return None


def _looks_like_message(data: bytes) -> bool:
    head = data[:4096].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    return b"from:" in head and (b"date:" in head or b"message-id:" in head or b"subject:" in head)


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # an undecodable header: keep the bytes the parser saw
        return str(message).encode("utf-8", "surrogateescape")


# --- forwarded inline ------------------------------------------------------------------


def _body_text(outer: Message) -> str:
    """The outer message's text: its text/plain part, else its HTML reduced to text."""
    plain: str | None = None
    html_text: str | None = None
    for part in outer.walk():
        if part.is_multipart() or (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and plain is None:
            plain = _decoded(part)
        elif content_type == "text/html" and html_text is None:
            html_text = _html_to_text(_decoded(part))
    return plain if plain and _MARKERS.search(plain) else (html_text or plain or "")


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d|blockquote)>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return "\n".join(line.rstrip() for line in text.replace("\xa0", " ").splitlines())


def _inline_original(outer: Message, text: str) -> bytes | None:
    text = text.replace("\r\n", "\n")
    marker = _MARKERS.search(text)
    if marker is None:
        return None
    after = text[marker.end() :]
    if marker.group(0).lstrip().startswith(">"):
        after = _QUOTE_PREFIX.sub("", after)
    headers, body = _header_block(after)
    sender = _addresses(headers.get("From", ""))
    if not sender:
        return None
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    for name in ("To", "Cc", "Reply-To"):
        value = _addresses(headers.get(name, ""))
        if value:
            message[name] = value
    message["Subject"] = _one_line(headers.get("Subject", ""))
    message["Date"] = _date(headers.get("Date", ""), outer.get("Date", ""))
    message_id = headers.get("Message-ID", "").strip()
    if re.fullmatch(r"<[^<>\s]+@[^<>\s]+>", message_id):
        message["Message-ID"] = message_id
    message.set_content(body.strip("\n") + "\n")
    for data, maintype, subtype, filename in _attachments(outer):
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _header_block(text: str) -> tuple[dict[str, str], str]:
    """Parse "Name: value" lines (with wrapped continuations) up to the first blank line after them."""
    headers: dict[str, str] = {}
    lines = text.split("\n")
    current: str | None = None
    index = 0
    # Apple Mail puts a blank line between the marker and the headers.
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            break
        match = _HEADER_LINE.match(line)
        if match:
            current = _HEADER_NAMES[match.group(1).lower()]
            headers.setdefault(current, match.group(2).strip().strip("*").strip())
        elif current is not None and current in headers:
            headers[current] = f"{headers[current]} {line}"  # a wrapped long To or Subject
        else:
            break
        index += 1
    return headers, "\n".join(lines[index:])


def _addresses(value: str) -> str:
    value = _MAILTO.sub(r"<\1>", value.replace("*", ""))
    # Outlook separates recipients with semicolons.
    pairs = email.utils.getaddresses([value.replace(";", ",")])
    kept = [email.utils.formataddr((_one_line(name), addr.strip())) for name, addr in pairs if "@" in addr]
    return ", ".join(kept)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _date(value: str, outer_date: str) -> str:
    """An RFC 5322 date for what the forward shows; a date without a zone takes the forwarder's."""
    outer = _parse_rfc(outer_date)
    parsed = _parse_rfc(value) or _parse_display(value, outer)
    return email.utils.format_datetime(parsed or outer or datetime.datetime.now(datetime.UTC))


def _parse_rfc(value: str) -> datetime.datetime | None:
    # parsedate reads "Tuesday, January 9, 2024 2:02 PM" as 02:02: only trust it on RFC 5322's shape.
    if not _RFC_DATE.match(value):
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def _parse_display(value: str, outer: datetime.datetime | None) -> datetime.datetime | None:
    """Dates as mail clients display them: "Mon, Jan 8, 2024 at 10:15 AM", "January 8, 2024 at 10:15:00 AM GMT+1"."""
    text = _one_line(value)
    tz: datetime.tzinfo | None = None
    zone = _TZ_WORD.search(text)
    if zone:
        hours = int(zone.group(1))
        minutes = int(zone.group(2) or 0) * (1 if hours >= 0 else -1)
        tz = datetime.timezone(datetime.timedelta(hours=hours, minutes=minutes))
        text = text[: zone.start()]
    text = re.sub(r"\s+(?!AM$|PM$)[A-Z]{2,5}$", "", text)  # a zone abbreviation (CET, PST) is ambiguous: dropped
    text = _one_line(_WEEKDAY.sub("", text).replace(" at ", " "))
    for fmt in _DATE_FORMATS:
        try:
            naive = datetime.datetime.strptime(text, fmt)  # month names and AM/PM match in any case
        except ValueError:
            continue
        return naive.replace(tzinfo=tz or (outer.tzinfo if outer is not None else datetime.UTC))
    return None


def _attachments(outer: Message) -> list[tuple[bytes, str, str, str]]:
    """The outer message's attachments: mail clients carry the original's along with an inline forward."""
    found: list[tuple[bytes, str, str, str]] = []
    for part in outer.walk():
        filename = part.get_filename()
        if part.is_multipart() or not filename:
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            maintype, _, subtype = part.get_content_type().partition("/")
            found.append((data, maintype, subtype, filename))
    return found
