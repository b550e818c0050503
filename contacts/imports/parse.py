"""From an uploaded file to checked rows: the pure entry point of imports (no ORM)."""

from __future__ import annotations

from dataclasses import dataclass, field

from contacts.imports import csvfiles, vcards
from contacts.imports.rows import CleanRow, RawRow, RowError, row_clean


@dataclass(frozen=True)
class Sniffed:
    """What the upload step learns before any mapping: format, headers, samples."""

    format: str
    headers: list[str] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)
    suggested_mapping: dict[str, str] = field(default_factory=dict)
    rows: int = 0  # how many rows (or cards) the file has, before any checking


def sniff(text: str, *, format_override: str = "") -> Sniffed:
    """Detect the format (unless the user chose one) and, for a CSV, its headers.

    Raises ``ImportFileError`` for a file that cannot be read at all.
    """
    if format_override == csvfiles.VCARD or (not format_override and csvfiles.looks_like_vcard(text)):
        if not csvfiles.looks_like_vcard(text):
            raise csvfiles.ImportFileError("The file is not a vCard: it does not start with BEGIN:VCARD.")
        return Sniffed(format=csvfiles.VCARD, rows=text.upper().count("BEGIN:VCARD"))
    table = csvfiles.read_table(text)
    detected = csvfiles.detect_format(table.headers)
    fmt = format_override or detected
    if fmt in csvfiles.FORMAT_MAPPINGS and detected != fmt:
        wanted = {csvfiles.LINKEDIN: "LinkedIn", csvfiles.GOOGLE: "Google", csvfiles.OUTLOOK: "Outlook"}[fmt]
        raise csvfiles.ImportFileError(
            f"The file's header row is not in {wanted}'s export format; choose “CSV with a column mapping” instead."
        )
    return Sniffed(
        format=fmt,
        headers=table.headers,
        samples=table.samples(),
        suggested_mapping=csvfiles.guess_mapping(table.headers) if fmt == csvfiles.GENERIC else {},
        rows=len(table.rows),
    )


@dataclass
class Parsed:
    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Every row in file order: a good row, or the line of a bad one (its errors are in ``errors``).
    entries: list[CleanRow | int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def error_lines(self) -> set[int]:
        return {e.line for e in self.errors}


def parse(text: str, *, fmt: str, column_mapping: dict[str, str] | None = None, default_region: str) -> Parsed:
    """Every row of the file, checked: good rows in ``rows``, bad ones as ``errors`` by line."""
    result = Parsed()
    raws: list[RawRow | RowError]
    if fmt == csvfiles.VCARD:
        raws = list(vcards.vcard_rows(text))
    else:
        table = csvfiles.read_table(text)
        raws = list(csvfiles.table_rows(table, csvfiles.mapping_for(fmt, column_mapping)))
    for raw in raws:
        if isinstance(raw, RowError):
            result.errors.append(raw)
            result.entries.append(raw.line)
            continue
        row, errors = row_clean(raw, default_region=default_region)
        if row is None:
            result.errors.extend(errors)
            result.entries.append(raw.line)
        else:
            result.rows.append(row)
            result.entries.append(row)
    return result
