"""Reading contact CSVs: decoding, delimiter sniffing, format detection by headers.

Pure: no ORM. LinkedIn's Connections export, Google Contacts (the older "Given Name …
Organization 1 - Name" and the newer "First Name … Organization Name" layouts) and
Outlook are recognised by their header rows and mapped without asking; any other CSV
gets a column mapping (guessed from its headers, confirmed by the user).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from contacts.imports.rows import TARGET_FIELDS, RawRow

LINKEDIN = "linkedin"
GOOGLE = "google"
OUTLOOK = "outlook"
GENERIC = "csv"
VCARD = "vcard"

# How far down a file the header row may be: LinkedIn puts a few "Notes:" lines first.
HEADER_SEARCH_ROWS = 12

# field -> the columns that fill it, in order (several emails or phones per person).
Mapping = dict[str, list[str]]

FORMAT_MAPPINGS: dict[str, Mapping] = {
    LINKEDIN: {
        "first_name": ["First Name"],
        "last_name": ["Last Name"],
        "linkedin_url": ["URL", "Profile URL"],
        "email": ["Email Address"],
        "company": ["Company"],
        "title": ["Position"],
    },
    GOOGLE: {
        "full_name": ["Name"],
        "first_name": ["First Name", "Given Name"],
        "middle_name": ["Middle Name", "Additional Name"],
        "last_name": ["Last Name", "Family Name"],
        "email": ["E-mail 1 - Value"],
        "other_emails": ["E-mail 2 - Value", "E-mail 3 - Value"],
        "phone": ["Phone 1 - Value", "Phone 2 - Value", "Phone 3 - Value"],
        "company": ["Organization Name", "Organization 1 - Name"],
        "title": ["Organization Title", "Organization 1 - Title"],
        "location": ["Location", "Address 1 - City"],
        "notes": ["Notes"],
    },
    OUTLOOK: {
        "first_name": ["First Name"],
        "middle_name": ["Middle Name"],
        "last_name": ["Last Name"],
        "email": ["E-mail Address"],
        "other_emails": ["E-mail 2 Address", "E-mail 3 Address"],
        "phone": ["Business Phone", "Business Phone 2", "Primary Phone", "Home Phone"],
        "mobile_phone": ["Mobile Phone"],
        "company": ["Company"],
        "title": ["Job Title"],
        "location": ["Business City", "Location"],
        "notes": ["Notes"],
    },
}

# Headers that identify each format (all must be present, case-insensitive).
FORMAT_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    (LINKEDIN, frozenset({"first name", "last name", "email address", "company", "position", "connected on"})),
    (GOOGLE, frozenset({"given name", "family name", "e-mail 1 - value"})),
    (GOOGLE, frozenset({"first name", "last name", "e-mail 1 - value", "organization name"})),
    (OUTLOOK, frozenset({"first name", "last name", "e-mail address", "job title", "business phone"})),
)

# Header words that suggest a field, for the generic mapping step's first guess.
_GUESSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "e-mail", "mail", "email address", "primary email")),
    ("other_emails", ("other emails", "other email", "secondary email", "email 2")),
    ("first_name", ("first name", "firstname", "given name", "first", "vorname", "prénom")),
    ("middle_name", ("middle name",)),
    ("last_name", ("last name", "lastname", "surname", "family name", "last", "nachname", "nom")),
    ("full_name", ("full name", "name", "contact", "contact name", "display name")),
    ("mobile_phone", ("mobile", "mobile phone", "cell", "cell phone")),
    ("phone", ("phone", "phones", "telephone", "tel", "work phone", "business phone", "phone number")),
    ("company", ("company", "organization", "organisation", "account", "employer", "company name")),
    ("title", ("title", "job title", "position", "role")),
    ("location", ("location", "city")),
    ("linkedin_url", ("linkedin", "linkedin url", "linkedin profile", "profile url")),
    ("notes", ("notes", "note", "comments")),
)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a row problem): say why in plain words."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    note: str = ""  # e.g. that the file was not UTF-8 and was read as Latin-1


def decode(data: bytes) -> Decoded:
    """Bytes of an uploaded file → text: UTF-8 (with or without BOM), UTF-16, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(data.decode("utf-16"), "utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return Decoded(data[3:].decode("utf-8", errors="replace"), "utf-8-sig")
    # UTF-16 without a BOM (rare, but Outlook writes it): every other byte is NUL in ASCII text.
    head = data[:200]
    if head and head[1::2].count(0) > len(head) // 4:
        return Decoded(data.decode("utf-16-le", errors="replace"), "utf-16-le")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return Decoded(
            data.decode("cp1252", errors="replace"),
            "cp1252",
            note="The file is not UTF-8; it was read as Windows Latin-1. Check accented names in the preview.",
        )


def looks_like_vcard(text: str) -> bool:
    return text.lstrip()[:20].upper().startswith("BEGIN:VCARD")


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 5])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


@dataclass
class CsvTable:
    """A CSV's header row and its data rows, each with the line it starts on."""

    headers: list[str]
    header_line: int
    delimiter: str
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def samples(self, limit: int = 3) -> dict[str, list[str]]:
        """A few non-empty values per column, for the mapping step."""
        out: dict[str, list[str]] = {h: [] for h in self.headers}
        for _, cells in self.rows[:50]:
            for header, cell in zip(self.headers, cells, strict=False):
                if cell.strip() and len(out[header]) < limit:
                    out[header].append(cell.strip()[:80])
        return out


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows with the physical line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num


def detect_format(headers: list[str]) -> str:
    present = {h.strip().lower() for h in headers}
    for name, signature in FORMAT_SIGNATURES:
        if signature <= present:
            return name
    return GENERIC


def read_table(text: str) -> CsvTable:
    """Find the header row (skipping LinkedIn's notes) and read every data row after it."""
    if not text.strip():
        raise ImportFileError("The file is empty.")
    delimiter = _sniff_delimiter(text)
    records = _records(text, delimiter)
    header: tuple[int, list[str]] | None = None
    skipped: list[tuple[int, list[str]]] = []
    try:
        for line, cells in records:
            if not any(c.strip() for c in cells):
                continue
            if detect_format(cells) != GENERIC:
                header = (line, cells)
                break
            skipped.append((line, cells))
            if len(skipped) >= HEADER_SEARCH_ROWS:
                break
        if header is None:
            # No known layout: the first non-empty row with more than one cell is the header.
            candidates = [s for s in skipped if len([c for c in s[1] if c.strip()]) > 1] or skipped
            if not candidates:
                raise ImportFileError("The file has no header row.")
            header = candidates[0]
            records = _records(text, delimiter)
            for line, _ in records:
                if line == header[0]:
                    break
        table = CsvTable(headers=[h.strip() for h in header[1]], header_line=header[0], delimiter=delimiter)
        for line, cells in records:
            if any(c.strip() for c in cells):
                table.rows.append((line, cells))
    except csv.Error as exc:
        raise ImportFileError(f"The file is not a readable CSV: {exc}.") from None
    return table


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """A first guess of which column fills which field (``{field: header}``), by header words."""
    normalized = {re.sub(r"[\s_]+", " ", h.strip().lower()): h for h in headers}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for target, words in _GUESSES:
        for word in words:
            header = normalized.get(word)
            if header is not None and header not in used:
                mapping[target] = header
                used.add(header)
                break
    return mapping


def mapping_for(fmt: str, column_mapping: dict[str, str] | None = None) -> Mapping:
    if fmt in FORMAT_MAPPINGS:
        return FORMAT_MAPPINGS[fmt]
    return {target: [header] for target, header in (column_mapping or {}).items() if header and target in TARGET_FIELDS}


def check_mapping(headers: list[str], column_mapping: dict[str, str]) -> dict[str, str]:
    """Problems with a generic CSV's mapping, by field (empty when it can be used)."""
    errors: dict[str, str] = {}
    for target, header in column_mapping.items():
        if target not in TARGET_FIELDS:
            errors[target] = f"“{target}” is not a field contacts have."
        elif header and header not in headers:
            errors[target] = f"The file has no column “{header}”."
    chosen = {t for t, h in column_mapping.items() if h}
    if not chosen & {"email", "full_name", "first_name", "last_name"}:
        errors["email"] = "Choose at least the column with the email address or the name."
    return errors


def unguard(cell: str) -> str:
    """``'=SUM(1)`` → ``=SUM(1)``: undo the apostrophe exports put before formula-like text."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@"):
        return cell[1:]
    return cell


def table_rows(table: CsvTable, mapping: Mapping) -> Iterator[RawRow]:
    index: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        index.setdefault(header.lower(), position)
    for line, cells in table.rows:
        raw = RawRow(line=line)
        for target, headers in mapping.items():
            for header in headers:
                column = index.get(header.lower())
                if column is not None and column < len(cells):
                    raw.add(target, unguard(cells[column]))
        yield raw
