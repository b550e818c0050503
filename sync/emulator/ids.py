"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form."""

from __future__ import annotations

import itertools
import string
import threading

KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "EventRelation": "0RE",
    "User": "005",
    "Organization": "00D",
    "IngestJob": "750",
    "QueryLocator": "01g",
}
OBJECT_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items()}

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_ID_CHARS = frozenset(string.ascii_letters + string.digits)


def case_safe_suffix(id15: str) -> str:
    """The three characters Salesforce appends: one per 5-character chunk, a bitmap of its capitals."""
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start : start + 5]
        flags = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[flags]
    return suffix


def to_18(id15: str) -> str:
    return id15 + case_safe_suffix(id15)


def normalize_id(value: object) -> str | None:
    """The 18-character form of a well-formed id, or None for anything Salesforce would call malformed."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not set(value) <= _ID_CHARS:
        return None
    if len(value) == 15:
        return to_18(value)
    if value[15:].upper() != case_safe_suffix(value[:15]):
        return None
    return value[:15] + value[15:].upper()


def object_for_id(record_id: str) -> str | None:
    return OBJECT_BY_PREFIX.get(record_id[:3])


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


class IdFactory:
    """Issues unique ids per key prefix; the pod part ('5g') is fixed, the tail counts up."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def new(self, object_name: str) -> str:
        with self._lock:
            number = next(self._counter)
        # A multiplier spreads consecutive numbers over mixed-case tails, so the suffix is exercised.
        return to_18(KEY_PREFIXES[object_name] + "5g" + _base62(number * 7919, 10))

    def skip_to(self, start: int) -> None:
        with self._lock:
            self._counter = itertools.count(start)

    def peek(self) -> int:
        """The next number this factory would issue (persisted so ids never repeat)."""
        with self._lock:
            upcoming = next(self._counter)
            self._counter = itertools.count(upcoming)
            return upcoming
