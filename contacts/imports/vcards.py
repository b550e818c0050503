"""Reading vCard 3.0 and 4.0 files into import rows, and writing vCard 3.0.

Pure: no ORM. vobject parses each card's properties (escapes, folded lines, N and ORG
structure). We split the file into cards ourselves first, because vobject's line numbers
are wrong for CRLF files and a report must name the line a card starts on; and we handle
what vobject leaves to the caller for 4.0: ``TYPE="work,voice"`` lists, ``PREF=1`` and
``tel:`` URIs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import vobject

from contacts.imports.rows import RawRow, RowError


@dataclass(frozen=True)
class CardText:
    line: int  # where BEGIN:VCARD is
    text: str


def split_cards(text: str) -> Iterator[CardText | RowError]:
    """Each BEGIN:VCARD … END:VCARD block with its first line; stray text is an error."""
    lines = text.splitlines()
    start: int | None = None
    buffer: list[str] = []
    for number, line in enumerate(lines, start=1):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            if start is not None:
                yield RowError(start, "vcard", "This card has no END:VCARD before the next card.")
            start, buffer = number, [line]
        elif start is None:
            if line.strip():
                yield RowError(number, "vcard", "Text outside a BEGIN:VCARD … END:VCARD card.")
        else:
            buffer.append(line)
            if upper == "END:VCARD":
                yield CardText(line=start, text="\r\n".join(buffer) + "\r\n")
                start, buffer = None, []
    if start is not None:
        yield RowError(start, "vcard", "This card has no END:VCARD.")


def _types(prop: vobject.base.ContentLine) -> set[str]:
    values = prop.params.get("TYPE", [])
    return {t.strip().strip('"').lower() for value in values for t in value.split(",") if t.strip()}


def _pref(prop: vobject.base.ContentLine) -> tuple[int, int]:
    """Sort key: preferred first (3.0 ``TYPE=pref``, 4.0 ``PREF=1``), then file order."""
    if "pref" in _types(prop):
        return (0, 0)
    raw = (prop.params.get("PREF") or ["100"])[0]
    return (1, int(raw) if str(raw).isdigit() else 100)


def _text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if str(v).strip())
    return str(value or "")


def card_row(card: CardText) -> RawRow | RowError:
    try:
        component = vobject.readOne(card.text, ignoreUnreadable=True)
    except Exception as exc:  # vobject raises its own and plain errors alike
        return RowError(card.line, "vcard", f"This card cannot be read: {exc}")
    raw = RawRow(line=card.line)
    children = list(component.getChildren())
    by_name: dict[str, list[vobject.base.ContentLine]] = {}
    for child in children:
        by_name.setdefault(child.name.upper(), []).append(child)
    for prop in by_name.get("FN", [])[:1]:
        raw.add("full_name", _text(prop.value))
    for prop in by_name.get("N", [])[:1]:
        name = prop.value
        if isinstance(name, vobject.vcard.Name):
            raw.add("first_name", _text(name.given))
            raw.add("middle_name", _text(name.additional))
            raw.add("last_name", _text(name.family))
    for prop in sorted(by_name.get("EMAIL", []), key=_pref):
        raw.add("email", _text(prop.value))
    for prop in sorted(by_name.get("TEL", []), key=_pref):
        number = _text(prop.value)
        if number.lower().startswith("tel:"):
            number = number[4:].split(";", 1)[0]
        raw.add("mobile_phone" if {"cell", "mobile"} & _types(prop) else "phone", number)
    for prop in by_name.get("ORG", [])[:1]:
        org = prop.value
        raw.add("company", org[0] if isinstance(org, list) and org else _text(org))
    for prop in by_name.get("TITLE", [])[:1]:
        raw.add("title", _text(prop.value))
    for prop in by_name.get("URL", []):
        url = _text(prop.value)
        if "linkedin.com" in url.lower():
            raw.add("linkedin_url", url)
    for prop in by_name.get("ADR", [])[:1]:
        address = prop.value
        city = getattr(address, "city", "")
        country = getattr(address, "country", "")
        raw.add("location", ", ".join(_text(p) for p in (city, country) if _text(p)))
    for prop in by_name.get("NOTE", []):
        raw.add("notes", _text(prop.value))
    return raw


def vcard_rows(text: str) -> Iterator[RawRow | RowError]:
    for item in split_cards(text):
        yield item if isinstance(item, RowError) else card_row(item)


# --- writing ---------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace(";", "\\;").replace(",", "\\,")


def _fold(line: str) -> str:
    """RFC 6350 §3.2: lines longer than 75 octets continue on lines starting with a space."""
    out: list[str] = []
    current = ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


@dataclass(frozen=True)
class CardOut:
    full_name: str
    first_name: str
    last_name: str
    emails: Sequence[str]
    phones: Sequence[tuple[str, str]]  # (E.164, kind)
    company: str = ""
    title: str = ""
    location: str = ""
    linkedin_url: str = ""
    notes: str = ""


_TEL_TYPES = {"work": "WORK,VOICE", "mobile": "CELL", "home": "HOME,VOICE", "other": "VOICE"}


def vcard_text(card: CardOut) -> str:
    """One vCard 3.0 (the version every address book reads), CRLF line ends, folded."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{_escape(card.full_name)}",
        f"N:{_escape(card.last_name)};{_escape(card.first_name)};;;",
    ]
    for position, email in enumerate(card.emails):
        lines.append(f"EMAIL;TYPE=INTERNET{',PREF' if position == 0 else ''}:{_escape(email)}")
    for number, kind in card.phones:
        lines.append(f"TEL;TYPE={_TEL_TYPES.get(kind, 'VOICE')}:{number}")
    if card.company:
        lines.append(f"ORG:{_escape(card.company)}")
    if card.title:
        lines.append(f"TITLE:{_escape(card.title)}")
    if card.location:
        lines.append(f"ADR;TYPE=WORK:;;;{_escape(card.location)};;;")
    if card.linkedin_url:
        lines.append(f"URL:{_escape(card.linkedin_url)}")
    if card.notes:
        lines.append(f"NOTE:{_escape(card.notes)}")
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)
