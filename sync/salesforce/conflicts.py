"""What a pulled record changes, field by field, and who wins where both sides changed. Pure.

Three sets of values per mapped Salesforce field are compared:

* ``remote``: what the pull read from Salesforce now;
* ``local``: what Relintel would send now (the current payload's fields);
* ``baseline``: what both sides last agreed on (``SalesforceLink.synced_values``, written by
  the push and by the pull).

A field changed in Salesforce when ``remote`` differs from the baseline, in Relintel when
``local`` does. When Relintel has nothing unpushed (``local_dirty`` false: its payload's hash
is the one last pushed) the local values *are* the baseline. When a baseline value is unknown
and Relintel has unpushed changes, a differing field counts as changed on both sides: a
conflict, logged, never a silent overwrite.

* changed only in Salesforce → applied to Relintel;
* changed only in Relintel → left for the push (already queued with the local change);
* changed on both sides to different values → a ``Conflict`` resolved by the policy:
  ``salesforce_wins``, ``relintel_wins`` (the local value is pushed again) or ``newest_wins``
  (Salesforce's ``SystemModstamp`` against the local row's ``updated_at``; a tie keeps Salesforce's).
* nothing differs from the baseline → an echo (typically of our own push): nothing to do.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SALESFORCE_WINS = "salesforce_wins"
RELINTEL_WINS = "relintel_wins"
NEWEST_WINS = "newest_wins"
POLICIES = (SALESFORCE_WINS, RELINTEL_WINS, NEWEST_WINS)

SALESFORCE_KEPT = "salesforce_kept"
RELINTEL_KEPT = "relintel_kept"

_CASE_INSENSITIVE = frozenset({"Email"})


def comparable(value: Any) -> Any:
    """One value as stored in ``synced_values`` and compared: empty is ``""``, text is trimmed,
    dates are ISO strings (Salesforce sends them as text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def same(name: str, a: Any, b: Any) -> bool:
    a, b = comparable(a), comparable(b)
    if name in _CASE_INSENSITIVE and isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if (isinstance(a, int | float) and isinstance(b, str)) or (isinstance(b, int | float) and isinstance(a, str)):
        return str(a) == str(b)
    return bool(a == b)


@dataclass(frozen=True)
class Conflict:
    field: str
    local_value: Any
    salesforce_value: Any
    resolution: str  # SALESFORCE_KEPT | RELINTEL_KEPT


@dataclass
class Resolution:
    apply: dict[str, Any] = field(default_factory=dict)  # Salesforce field → value to write locally
    conflicts: list[Conflict] = field(default_factory=list)
    local_only: list[str] = field(default_factory=list)  # changed in Relintel only: the push's job
    baseline: dict[str, Any] = field(default_factory=dict)  # the new synced_values

    @property
    def repush(self) -> bool:
        """Relintel's value was kept somewhere: Salesforce must be given it again."""
        return any(c.resolution == RELINTEL_KEPT for c in self.conflicts)

    @property
    def echo(self) -> bool:
        """Nothing to apply and nothing in conflict."""
        return not self.apply and not self.conflicts


def _winner(
    policy: str, *, local_changed_at: datetime.datetime | None, remote_changed_at: datetime.datetime | None
) -> str:
    if policy == RELINTEL_WINS:
        return RELINTEL_KEPT
    if policy == NEWEST_WINS:
        if local_changed_at is not None and remote_changed_at is not None and local_changed_at > remote_changed_at:
            return RELINTEL_KEPT
        return SALESFORCE_KEPT
    return SALESFORCE_KEPT


def resolve(
    *,
    remote: Mapping[str, Any],
    local: Mapping[str, Any],
    baseline: Mapping[str, Any],
    local_dirty: bool,
    policy: str,
    local_changed_at: datetime.datetime | None = None,
    remote_changed_at: datetime.datetime | None = None,
) -> Resolution:
    """Field by field over ``remote``'s fields; see the module's docstring."""
    if policy not in POLICIES:
        raise ValueError(f"Unknown conflict policy “{policy}”.")
    result = Resolution(baseline={k: comparable(v) for k, v in baseline.items()})
    for name, remote_value in remote.items():
        local_value = local.get(name, "")
        if not local_dirty:
            known, base = True, local_value
        else:
            known, base = name in baseline, baseline.get(name, "")
        if same(name, remote_value, local_value):
            result.baseline[name] = comparable(remote_value)
            continue
        remote_changed = not known or not same(name, remote_value, base)
        local_changed = local_dirty and (not known or not same(name, local_value, base))
        if not remote_changed:
            result.local_only.append(name)
            continue
        if not local_changed:
            result.apply[name] = remote_value
            result.baseline[name] = comparable(remote_value)
            continue
        resolution = _winner(policy, local_changed_at=local_changed_at, remote_changed_at=remote_changed_at)
        result.conflicts.append(
            Conflict(
                field=name,
                local_value=comparable(local_value),
                salesforce_value=comparable(remote_value),
                resolution=resolution,
            )
        )
        if resolution == SALESFORCE_KEPT:
            result.apply[name] = remote_value
        # Salesforce holds this value now; Relintel's is pushed again (relintel_kept) or replaced.
        result.baseline[name] = comparable(remote_value)
    return result
