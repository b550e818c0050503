"""Switches that make the emulator misbehave the way Salesforce does on a bad day."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LockPredicate = Callable[[str, Mapping[str, Any]], bool]


@dataclass
class Faults:
    unavailable_remaining: int = 0  # the next N requests answer 503
    refuse_refresh: bool = False  # refresh_token grants get invalid_grant
    request_limit_exceeded: bool = False  # every data API call gets 403 REQUEST_LIMIT_EXCEEDED
    latency_seconds: float = 0.0  # added before every request is handled
    lock_row_fraction: float = 0.0  # share of record writes that fail with UNABLE_TO_LOCK_ROW
    lock_row_external_ids: set[str] = field(default_factory=set)  # writes of these external ids fail
    lock_row_match: dict[str, Any] = field(default_factory=dict)  # writes whose fields equal these fail
    lock_row_predicate: LockPredicate | None = None  # Python API only: (object, values) -> fail?
    lock_row_times: int | None = None  # each matching record fails at most this many times (None: always)
    duplicate_rules: bool = False  # Contacts and Leads with an existing Email get DUPLICATES_DETECTED
    seed: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(0), repr=False)
    _lock_failures: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def take_unavailable(self) -> bool:
        if self.unavailable_remaining > 0:
            self.unavailable_remaining -= 1
            return True
        return False

    def should_lock(self, object_name: str, values: Mapping[str, Any], key: str) -> bool:
        matched = (
            (bool(self.lock_row_external_ids) and str(values.get("Relintel_Id__c")) in self.lock_row_external_ids)
            or (bool(self.lock_row_match) and all(values.get(k) == v for k, v in self.lock_row_match.items()))
            or (self.lock_row_predicate is not None and self.lock_row_predicate(object_name, values))
            or (self.lock_row_fraction > 0 and self._random.random() < self.lock_row_fraction)
        )
        if not matched:
            return False
        if self.lock_row_times is None:
            return True
        seen = self._lock_failures.get((object_name, key), 0)
        if seen >= self.lock_row_times:
            return False
        self._lock_failures[(object_name, key)] = seen + 1
        return True

    def configure(self, **settings: Any) -> None:
        for name, value in settings.items():
            if name.startswith("_") or not hasattr(self, name):
                raise ValueError(f"unknown fault {name!r}")
            if name == "lock_row_external_ids":
                value = set(value)
            if name == "seed":
                self._random = random.Random(value)
            setattr(self, name, value)

    def reset(self) -> None:
        fresh = Faults()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def describe(self) -> dict[str, Any]:
        return {
            name: sorted(value) if isinstance(value, set) else value
            for name, value in vars(self).items()
            if not name.startswith("_") and name != "lock_row_predicate"
        }
