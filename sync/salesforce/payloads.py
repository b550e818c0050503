"""What a payload builder returns, how it is configured, and how a field map becomes a body.

A ``Payload`` is one record for one sObject: the fields to send, the external id it is
upserted by, which fields may only be sent on create, and what was cut or left out to
make it fit. ``assemble`` applies an object's configured field map over the defaults,
adds the fields the builder fixes itself (references, statuses, dates), and fits every
value to the describe. Pure: no ORM, no network.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.salesforce.describe import fields_by_name
from sync.salesforce.values import DroppedValue, Truncation, Uncoercible, fit_value, spec_for

DEFAULT_EXTERNAL_ID_FIELD = "Relintel_Id__c"

# Help offer status → Task.Status. A standard org has one closed task status, "Completed";
# admins who add "Cancelled" (marked closed) can map declined and withdrawn to it.
DEFAULT_HELP_STATUSES: dict[str, str] = {
    "offered": "Not Started",
    "accepted": "In Progress",
    "delivered": "Completed",
    "declined": "Completed",
    "withdrawn": "Completed",
}


class NotPushable(Exception):
    """This row must not reach Salesforce (a private interaction, a note): not an error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MappingOptions:
    """How an organization maps; built from its connection and object mappings."""

    contact_without_company_as: str = "lead"  # "lead" | "contact"
    lead_status: str = ""  # "" leaves Lead.Status to the org's default
    # A Lead needs Company: the contact's email domain (not free mail), else this placeholder.
    lead_company_from_email_domain: bool = True
    lead_company_placeholder: str = "(none)"
    # The most an activity may reveal in Salesforce, whatever its capture kept.
    push_privacy_level: str = "full"
    external_id_fields: Mapping[str, str] = field(default_factory=dict)
    # {(local_kind, sobject): {salesforce_field: local_field}}; "" as local field drops a default.
    field_maps: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)
    task_done_status: str = "Completed"
    task_priority: str = "Normal"
    help_statuses: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HELP_STATUSES))
    # EventRelation rows as invitees (works in every org) or, with Shared Activities, as
    # related people (IsParent) so the meeting shows on each attendee's record.
    event_relation_mode: str = "invitee"  # "invitee" | "related"
    default_meeting_minutes: int = 30
    # ActivityDate is a date: the day an activity happened, in this zone.
    timezone: datetime.tzinfo = datetime.UTC
    # False: an empty local value is left out, so Salesforce keeps what it has.
    send_empty_values: bool = False
    # (local_kind, sobject) mappings the admin switched off: nothing is pushed through them.
    disabled: frozenset[tuple[str, str]] = frozenset()
    # Member (user id) → Salesforce User Id owning their Tasks and Events (absent: the default).
    owners: Mapping[int, str] = field(default_factory=dict)

    def is_disabled(self, local_kind: str, sobject: str) -> bool:
        return (local_kind, sobject) in self.disabled

    def external_id_field(self, sobject: str) -> str:
        return self.external_id_fields.get(sobject) or DEFAULT_EXTERNAL_ID_FIELD

    def field_map(self, local_kind: str, sobject: str) -> Mapping[str, str]:
        return self.field_maps.get((local_kind, sobject), {})


@dataclass(frozen=True)
class Payload:
    sobject: str
    external_id_field: str | None  # None: created, never upserted (EventRelation)
    external_id: str
    fields: Mapping[str, Any]
    create_only: frozenset[str] = frozenset()
    truncated: tuple[Truncation, ...] = ()
    dropped: tuple[DroppedValue, ...] = ()

    def body(self, *, for_update: bool = False) -> dict[str, Any]:
        """The fields, without the external id (for ``PATCH sobjects/X/Field/value``)."""
        return {k: v for k, v in self.fields.items() if not (for_update and k in self.create_only)}

    def record(self, *, for_update: bool = False) -> dict[str, Any]:
        """One element of an sObject Collections request: attributes, external id, fields."""
        record: dict[str, Any] = {"attributes": {"type": self.sobject}}
        if self.external_id_field:
            record[self.external_id_field] = self.external_id
        record.update(self.body(for_update=for_update))
        return record

    @property
    def digest(self) -> str:
        """Stable hash of what would be sent: equal digests need no push."""
        canonical = json.dumps(self.record(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def notes(self) -> list[str]:
        """What was cut or left out, worded for the sync health page."""
        return [str(t) for t in self.truncated] + [str(d) for d in self.dropped]


Getter = Callable[[Any, MappingOptions], Any]


@dataclass(frozen=True)
class LocalField:
    label: str
    type: str  # string | textarea | email | phone | url | date | datetime | int | picklist | boolean
    get: Getter


def reference(
    *,
    id_field: str,
    relationship: str,
    sobject: str,
    salesforce_id: str,
    external_id: str,
    external_id_field: str,
    polymorphic: bool,
) -> dict[str, Any]:
    """A lookup: the Salesforce id when known, else the parent's external id.

    ``{"Account": {"Relintel_Id__c": "rl-co-…"}}`` lets Salesforce resolve the parent in the
    same call, so a Contact needs no round-trip for its Account's id. A polymorphic lookup
    (``Who``, ``What``) also names the parent's type in ``attributes``.
    """
    if salesforce_id:
        return {id_field: salesforce_id}
    parent: dict[str, Any] = {external_id_field: external_id}
    if polymorphic:
        parent = {"attributes": {"type": sobject}, **parent}
    return {relationship: parent}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def mapped_values(
    *,
    local_fields: Mapping[str, LocalField],
    defaults: Mapping[str, str],
    configured: Mapping[str, str],
    data: Any,
    options: MappingOptions,
) -> tuple[dict[str, Any], list[DroppedValue]]:
    """``{salesforce_field: value}`` from the configured map laid over the defaults."""
    merged = {**defaults, **configured}
    values: dict[str, Any] = {}
    dropped: list[DroppedValue] = []
    for sf_field, local_name in merged.items():
        if not local_name:
            continue
        local = local_fields.get(local_name)
        if local is None:
            dropped.append(DroppedValue(sf_field, f"unknown local field “{local_name}”"))
            continue
        values[sf_field] = local.get(data, options)
    return values, dropped


def assemble(
    *,
    sobject: str,
    external_id_field: str | None,
    external_id: str,
    values: Mapping[str, Any],
    fixed: Mapping[str, Any],
    create_only: frozenset[str] = frozenset(),
    describe: Mapping[str, Any] | None,
    options: MappingOptions,
    dropped: list[DroppedValue] | None = None,
) -> Payload:
    """Fit mapped ``values`` and the builder's ``fixed`` fields into a payload."""
    dropped = list(dropped or [])
    truncated: list[Truncation] = []
    describe_fields = fields_by_name(describe) if describe is not None else None
    fields: dict[str, Any] = {}
    for name, value in {**values, **fixed}.items():
        if name in fixed and isinstance(value, Mapping):  # a relationship reference
            fields[name] = dict(value)
            continue
        if _empty(value):
            if options.send_empty_values and name not in fixed:
                fields[name] = None
            continue
        spec = spec_for(sobject, name, describe_fields)
        if spec is None:
            dropped.append(DroppedValue(name, f"{sobject} has no field {name}"))
            continue
        try:
            fitted, cut = fit_value(name, value, spec)
        except Uncoercible as error:
            dropped.append(DroppedValue(name, str(error)))
            continue
        fields[name] = fitted
        if cut is not None:
            truncated.append(cut)
    return Payload(
        sobject=sobject,
        external_id_field=external_id_field,
        external_id=external_id,
        fields=fields,
        create_only=frozenset(create_only) & frozenset(fields),
        truncated=tuple(truncated),
        dropped=tuple(dropped),
    )
