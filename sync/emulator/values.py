"""Field values as Salesforce accepts and returns them (JSON-native, so records persist as they are)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from .schema import FieldDef

_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now() -> datetime:
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    """Salesforce's own rendering: millisecond precision, '+0000' offset."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        parsed = parsed - timedelta(minutes=offset_minutes)
    return parsed


def parse_date(text: str) -> date:
    if not _DATE.match(text.strip()):
        raise ValueError(text)
    return date.fromisoformat(text.strip())


def coerce(field: FieldDef, value: object) -> object:
    """The stored form of a JSON value for this field; ValueError when Salesforce could not deserialize it."""
    if value is None:
        return None
    kind = field.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(value)
    if kind in ("int", "double"):
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, int | float):
            return int(value) if kind == "int" else float(value)
        if isinstance(value, str):
            return int(value) if kind == "int" else float(value)
        raise ValueError(value)
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueError(value)
        return format_datetime(parse_datetime(value))
    if kind == "date":
        if not isinstance(value, str):
            raise ValueError(value)
        return parse_date(value[:10] if "T" in value else value).isoformat()
    if isinstance(value, dict | list):
        raise ValueError(value)
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def sortable(field: FieldDef | None, value: object) -> object:
    """A key that orders values of this field as SOQL does (strings case-insensitively, dates as dates)."""
    if value is None:
        return None
    if field is not None and field.type == "datetime" and isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, str):
        return value.lower()
    return value
