"""Turn local values into what a Salesforce field accepts, and fit them to its length.

Since API 15.0 Salesforce refuses a value longer than the field (``STRING_TOO_LONG``)
rather than truncating it, so a payload is fitted before it leaves: text is cut to the
field's ``length`` from describe (or the standard length when no describe is given) and
every cut is recorded. Lengths are counted in UTF-16 code units, never fewer characters
than Salesforce counts, and a cut never splits a surrogate pair.

Values that can't be cut without becoming wrong (an email, a URL, an id) or can't be
converted (``"soon"`` into a date field) are dropped from the payload and recorded, so
one bad value doesn't fail the whole record. Pure: no ORM, no network.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ELLIPSIS = "…"

# Cut with an ellipsis: prose people read.
_PROSE_TYPES = frozenset({"string", "textarea", "combobox", "encryptedstring"})
# Cut plainly: codes and numbers whose tail carries no meaning a reader misses.
_PLAIN_CUT_TYPES = frozenset({"picklist", "multipicklist", "phone"})
# Never cut: a shortened value would be a different, wrong value.
_UNCUTTABLE_TYPES = frozenset({"email", "url", "reference", "id"})

# Standard fields' lengths, for building without a describe (object reference, API 62.0).
STANDARD_LENGTHS: dict[str, dict[str, int]] = {
    "Account": {"Name": 255, "Website": 255, "Industry": 255, "Description": 32000, "Phone": 40},
    "Contact": {
        "FirstName": 40, "LastName": 80, "Email": 80, "Phone": 40, "MobilePhone": 40, "Title": 128,
        "MailingCity": 40, "Description": 32000, "Department": 80,
    },
    "Lead": {
        "FirstName": 40, "LastName": 80, "Company": 255, "Email": 80, "Phone": 40, "MobilePhone": 40,
        "Title": 128, "City": 40, "Description": 32000, "Status": 255, "Website": 255,
    },
    "Task": {"Subject": 255, "Description": 32000, "Type": 255, "Status": 255, "Priority": 255},
    "Event": {"Subject": 255, "Description": 32000, "Location": 255, "Type": 255},
    "EventRelation": {"Status": 255, "Response": 255},
}  # fmt: skip
STANDARD_TYPES: dict[str, str] = {"Email": "email", "Website": "url", "Description": "textarea"}


@dataclass(frozen=True)
class Truncation:
    field: str
    original_length: int
    length: int

    def __str__(self) -> str:
        return f"{self.field} cut from {self.original_length} to {self.length} characters"


@dataclass(frozen=True)
class DroppedValue:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field} not sent: {self.reason}"


class Uncoercible(ValueError):
    pass


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, limit: int, *, ellipsis: bool) -> str:
    """``text`` in at most ``limit`` UTF-16 code units, ending in "…" when asked and cut."""
    if utf16_length(text) <= limit:
        return text
    if limit <= 0:
        return ""
    budget = limit - 1 if ellipsis else limit
    units = 0
    end = 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is the cut point after the loop
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > budget:
            break
        units += width
    else:
        end = len(text)
    cut = text[:end].rstrip() if ellipsis else text[:end]
    return cut + ELLIPSIS if ellipsis else cut


def format_datetime(value: datetime.datetime) -> str:
    """UTC with milliseconds and an explicit zone, the form Salesforce returns."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _to_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def coerce(value: Any, sf_type: str) -> Any:
    """``value`` as JSON for a field of ``sf_type``; raises ``Uncoercible``. None stays None."""
    if value is None:
        return None
    if sf_type == "date":
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise Uncoercible(f"“{value}” is not a date") from None
    if sf_type == "datetime":
        if isinstance(value, datetime.datetime):
            return format_datetime(value)
        if isinstance(value, datetime.date):
            return format_datetime(datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC))
        try:
            return format_datetime(datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
        except ValueError:
            raise Uncoercible(f"“{value}” is not a date and time") from None
    if sf_type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no", ""):
            return False
        raise Uncoercible(f"“{value}” is not true or false")
    if sf_type == "int":
        if isinstance(value, bool):
            raise Uncoercible("a checkbox value is not a number")
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise Uncoercible(f"“{value}” is not a whole number") from None
        if number != number.to_integral_value():
            raise Uncoercible(f"“{value}” is not a whole number")
        return int(number)
    if sf_type in ("double", "currency", "percent"):
        if isinstance(value, bool):
            raise Uncoercible("a checkbox value is not a number")
        try:
            result = float(str(value).strip())
        except ValueError:
            raise Uncoercible(f"“{value}” is not a number") from None
        if not math.isfinite(result):
            raise Uncoercible(f"“{value}” is not a finite number")
        return value if isinstance(value, int) else result
    if isinstance(value, Mapping):  # a relationship reference: sent as built
        return value
    return _to_text(value)


@dataclass(frozen=True)
class FieldSpec:
    type: str
    length: int  # 0: no limit known


def spec_for(sobject: str, name: str, describe_fields: Mapping[str, Mapping[str, Any]] | None) -> FieldSpec | None:
    if describe_fields is not None:
        info = describe_fields.get(name.lower())
        if info is None:
            return None
        return FieldSpec(type=str(info.get("type", "string")), length=int(info.get("length") or 0))
    length = STANDARD_LENGTHS.get(sobject, {}).get(name, 0)
    return FieldSpec(type=STANDARD_TYPES.get(name, "string"), length=length)


def fit_value(name: str, value: Any, spec: FieldSpec) -> tuple[Any, Truncation | None]:
    """Coerce and cut one value; raises ``Uncoercible`` for a value that can't be sent."""
    coerced = coerce(value, spec.type)
    if not isinstance(coerced, str) or spec.length <= 0:
        return coerced, None
    original = utf16_length(coerced)
    if original <= spec.length:
        return coerced, None
    if spec.type in _UNCUTTABLE_TYPES:
        raise Uncoercible(f"{original} characters don't fit in {spec.length} and can't be shortened")
    cut = cut_utf16(coerced, spec.length, ellipsis=spec.type in _PROSE_TYPES or spec.type not in _PLAIN_CUT_TYPES)
    return cut, Truncation(field=name, original_length=original, length=utf16_length(cut))
