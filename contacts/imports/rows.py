"""What one imported person is, once read from any format, and how a row is checked.

Pure: no ORM. Every format (CSV of any flavour, vCard) yields ``RawRow``s; ``row_clean``
turns one into a ``CleanRow`` (normalized emails and phones, split name) or reports
its problems, each with the row's line number and the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from contacts.normalize import normalize_email, normalize_phone, split_name
from contacts.services import name_from_email

# The fields a column (or a vCard property) can fill, in the order the mapping step shows them.
TARGET_FIELDS: dict[str, str] = {
    "full_name": "Full name",
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "email": "Email",
    "other_emails": "Other emails",
    "phone": "Phone",
    "mobile_phone": "Mobile phone",
    "company": "Company",
    "title": "Job title",
    "location": "Location",
    "linkedin_url": "LinkedIn URL",
    "notes": "Notes",
}

# Fields whose cells may hold several values ("a@x.com; b@y.com", Google's " ::: ").
MULTI_VALUE_FIELDS = frozenset({"email", "other_emails", "phone", "mobile_phone"})

MAX_EMAIL_LENGTH = 254
MAX_LENGTHS = {"full_name": 300, "title": 200, "company": 200, "location": 200, "linkedin_url": 200}


@dataclass
class RawRow:
    """One person as the file had it: values per target field, and where the row starts."""

    line: int
    values: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str | None) -> None:
        value = (value or "").strip()
        if value:
            self.values.setdefault(name, []).append(value)

    def first(self, name: str) -> str:
        found = self.values.get(name) or [""]
        return found[0]


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class PhoneValue:
    number: str  # E.164
    kind: str  # contacts.models.PhoneKind value


@dataclass(frozen=True)
class CleanRow:
    """A row ready to write: normalized, with its line number for reports."""

    line: int
    full_name: str
    emails: tuple[str, ...] = ()
    phones: tuple[PhoneValue, ...] = ()
    company: str = ""
    title: str = ""
    location: str = ""
    linkedin_url: str = ""
    notes: str = ""


def split_multi(value: str) -> list[str]:
    """``"a@x.com ::: b@y.com"`` (Google) or ``"a@x.com; b@y.com"`` → both values."""
    parts = [value]
    for separator in (":::", ";", "\n"):
        parts = [piece for part in parts for piece in part.split(separator)]
    return [p.strip() for p in parts if p.strip()]


def _full_name(raw: RawRow) -> str:
    full = " ".join(raw.first("full_name").split())
    if full:
        return full
    parts = (raw.first("first_name"), raw.first("middle_name"), raw.first("last_name"))
    return " ".join(" ".join(p for p in parts if p).split())


def row_clean(raw: RawRow, *, default_region: str) -> tuple[CleanRow | None, list[RowError]]:
    """Normalize one row, or say (by line and field) why it cannot be imported."""
    errors: list[RowError] = []
    emails: list[str] = []
    for name in ("email", "other_emails"):
        for value in raw.values.get(name, []):
            for candidate in split_multi(value):
                try:
                    email = normalize_email(candidate)
                except ValidationError:
                    errors.append(RowError(raw.line, name, f"“{candidate}” is not an email address."))
                    continue
                if len(email) > MAX_EMAIL_LENGTH:
                    errors.append(RowError(raw.line, name, f"“{candidate}” is longer than an address can be."))
                elif email not in emails:
                    emails.append(email)
    phones: list[PhoneValue] = []
    for name, kind in (("phone", "work"), ("mobile_phone", "mobile")):
        for value in raw.values.get(name, []):
            for candidate in split_multi(value):
                try:
                    number = normalize_phone(candidate, default_region=default_region)
                except ValidationError as exc:
                    errors.append(RowError(raw.line, name, exc.messages[0]))
                    continue
                if all(p.number != number for p in phones):
                    phones.append(PhoneValue(number=number, kind=kind))
    full_name = _full_name(raw)
    if not full_name and emails:
        full_name = name_from_email(emails[0])
    if not full_name and not emails and not any(e.field in ("email", "other_emails") for e in errors):
        errors.append(RowError(raw.line, "full_name", "The row has neither a name nor an email address."))
    linkedin_url = raw.first("linkedin_url")
    if linkedin_url and not linkedin_url.lower().startswith(("http://", "https://")):
        linkedin_url = f"https://{linkedin_url}"
    if linkedin_url:
        try:
            URLValidator()(linkedin_url)
        except ValidationError:
            errors.append(RowError(raw.line, "linkedin_url", f"“{raw.first('linkedin_url')}” is not a web address."))
    values = {
        "full_name": full_name,
        "company": " ".join(raw.first("company").split()),
        "title": " ".join(raw.first("title").split()),
        "location": " ".join(raw.first("location").split()),
        "linkedin_url": linkedin_url,
    }
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors.append(RowError(raw.line, name, f"Longer than {limit} characters."))
    if errors:
        return None, errors
    return (
        CleanRow(
            line=raw.line,
            emails=tuple(emails),
            phones=tuple(phones),
            notes="\n".join(raw.values.get("notes", [])).replace("\r\n", "\n").strip(),
            **values,
        ),
        [],
    )


def name_parts(full_name: str) -> tuple[str, str]:
    name = split_name(full_name)
    return name.first, name.last


def row_key(row: CleanRow) -> str:
    """Who a row without an email is, for spotting the same person twice in one file."""
    return f"{row.full_name.lower()}|{row.company.lower()}"


def within_file_duplicates(rows: list[CleanRow]) -> dict[int, str]:
    """Line → why it is skipped, for rows repeating a person an earlier row of the file already has."""
    seen_email: dict[str, int] = {}
    seen_key: dict[str, int] = {}
    skipped: dict[int, str] = {}
    for row in rows:
        earlier = next((seen_email[e] for e in row.emails if e in seen_email), None)
        if earlier is None and not row.emails:
            earlier = seen_key.get(row_key(row))
        if earlier is not None:
            skipped[row.line] = f"The same person as line {earlier}."
            continue
        for email in row.emails:
            seen_email[email] = row.line
        seen_key.setdefault(row_key(row), row.line)
    return skipped
