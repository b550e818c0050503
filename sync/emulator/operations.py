"""Record writes with Salesforce's validation and error codes, inside an undoable transaction.

REST, sObject Collections and Bulk API 2.0 all write through ``Transaction`` so the rules (and the
"created once per external id" counters) are the same whichever API a client uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .ids import normalize_id, object_for_id
from .schema import EXTERNAL_ID_FIELD, STRING_TYPES, FieldDef, ObjectDef
from .state import EmulatorState, fill_derived
from .values import coerce, format_datetime, now, parse_datetime


@dataclass
class RecordError(Exception):
    """One record's failure, as Salesforce reports it in a result's ``errors`` list."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def as_result_error(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": list(self.fields)}

    def as_rest_error(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.status_code, "fields": list(self.fields)}


class RequestLevelError(RecordError):
    """A failure Salesforce reports for the whole REST request (the JSON could not be deserialized)."""


def unknown_field(object_name: str, name: str) -> RequestLevelError:
    return RequestLevelError("INVALID_FIELD", f"No such column '{name}' on sobject of type {object_name}", [name])


ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


class Transaction:
    """Writes applied at once, undone together by ``rollback``; counters move only on ``commit``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._undo: list[tuple[str, str, dict[str, Any] | None]] = []
        self._created: list[tuple[str, str | None]] = []

    # --- public operations -----------------------------------------------------------------
    def insert(self, object_name: str, values: dict[str, Any]) -> str:
        definition = self.state.schema[object_name]
        prepared = self._prepare(definition, values, creating=True)
        record = self.state.blank_record(object_name)
        record.update(prepared)
        self._check_record(definition, record, creating=True)
        self._lock_fault(object_name, record, record["Id"])
        self._store(object_name, record, previous=None)
        self._created.append((object_name, record.get(EXTERNAL_ID_FIELD)))
        return str(record["Id"])

    def update(self, object_name: str, record_id: str, values: dict[str, Any]) -> str:
        definition = self.state.schema[object_name]
        existing = self._existing(object_name, record_id)
        values = {k: v for k, v in values.items() if k.lower() != "id"}
        prepared = self._prepare(definition, values, creating=False)
        record = dict(existing)
        record.update(prepared)
        stamp = format_datetime(now())
        record.update(LastModifiedDate=stamp, SystemModstamp=stamp)
        self._check_record(definition, record, creating=False)
        self._lock_fault(object_name, record, record["Id"])
        self._store(object_name, record, previous=existing)
        return str(record["Id"])

    def upsert(self, object_name: str, field_name: str, value: Any, values: dict[str, Any]) -> tuple[str, bool]:
        """Update the one record whose external id equals ``value``, or create it; (id, created)."""
        body = {k: v for k, v in values.items() if k.lower() != field_name.lower()}
        if value in (None, ""):
            return self.insert(object_name, body), True
        matches = self.state.find_by_external_id(object_name, field_name, value)
        if len(matches) > 1:
            raise RecordError(
                "DUPLICATE_EXTERNAL_ID",
                f"{field_name}: more than one record found for external id field: {matches}",
                [field_name],
            )
        if matches:
            return self.update(object_name, matches[0], body), False
        return self.insert(object_name, {**body, field_name: value}), True

    def delete(self, object_name: str, record_id: str) -> str:
        existing = self._existing(object_name, record_id)
        self._lock_fault(object_name, existing, record_id)
        record = dict(existing)
        stamp = format_datetime(now())
        record.update(IsDeleted=True, LastModifiedDate=stamp, SystemModstamp=stamp)
        self._store(object_name, record, previous=existing)
        self.state.deleted_dates[object_name][record_id] = stamp
        return record_id

    def rollback(self) -> None:
        for object_name, record_id, previous in reversed(self._undo):
            if previous is None:
                self.state.discard(object_name, record_id)
            else:
                self.state.put(object_name, previous)
        self._undo.clear()
        self._created.clear()

    def commit(self) -> None:
        counters = self.state.counters
        for object_name, external_id in self._created:
            counters.created[object_name] += 1
            if external_id:
                counters.created_external_ids[(object_name, str(external_id))] += 1
        self._undo.clear()
        self._created.clear()

    # --- internals -------------------------------------------------------------------------
    def _existing(self, object_name: str, record_id: str) -> dict[str, Any]:
        normalized = normalize_id(record_id)
        if normalized is None:
            raise RecordError("MALFORMED_ID", f"malformed id {record_id}", ["Id"])
        record = self.state.get(object_name, normalized)
        if record is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        if record["IsDeleted"]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
        return record

    def _store(self, object_name: str, record: dict[str, Any], *, previous: dict[str, Any] | None) -> None:
        fill_derived(object_name, record)
        self._undo.append((object_name, record["Id"], previous))
        self.state.put(object_name, record)

    def _lock_fault(self, object_name: str, record: dict[str, Any], key: str) -> None:
        lock_key = str(record.get(EXTERNAL_ID_FIELD) or key)
        if self.state.faults.should_lock(object_name, record, lock_key):
            raise RecordError(
                "UNABLE_TO_LOCK_ROW", f"unable to obtain exclusive access to this record or 1 records: {key}", []
            )

    def _prepare(self, definition: ObjectDef, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        prepared: dict[str, Any] = {}
        for name, raw in values.items():
            if name == "attributes":
                continue
            field_def = definition.field(name)
            if field_def is None and isinstance(raw, dict):
                field_def, raw = self._resolve_foreign_key(definition, name, raw)
            if field_def is None:
                raise unknown_field(definition.name, name)
            allowed = field_def.createable if creating else field_def.updateable
            if not allowed:
                raise RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {field_def.name}. Please check the security settings of this "
                    "field and verify that it is read/write for your profile or permission set.",
                    [field_def.name],
                )
            try:
                prepared[field_def.name] = coerce(field_def, raw)
            except (ValueError, TypeError):
                raise RequestLevelError(
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {field_def.type} from VALUE_STRING value {raw} "
                    "or request may be missing a required field",
                    [field_def.name],
                ) from None
        return prepared

    def _resolve_foreign_key(
        self, definition: ObjectDef, name: str, raw: dict[str, Any]
    ) -> tuple[FieldDef | None, Any]:
        """``"Account": {"Relintel_Id__c": "x"}`` sets AccountId to the Account with that external id."""
        reference = definition.relationship(name)
        keys = [k for k in raw if k != "attributes"]
        if reference is None or len(keys) != 1:
            return None, raw
        target_name = raw.get("attributes", {}).get("type") or reference.reference_to[0]
        target = self.state.object_def(target_name)
        key_field = target.field(keys[0]) if target else None
        if target is None or key_field is None or not (key_field.external_id or key_field.name == "Id"):
            raise unknown_field(definition.name, f"{name}.{keys[0]}")
        matches = self.state.find_by_external_id(target.name, key_field.name, raw[keys[0]])
        if len(matches) != 1:
            problem = "not found" if not matches else "matched more than one record"
            raise RecordError(
                "INVALID_FIELD",
                f"Foreign key external ID: {raw[keys[0]]} {problem} for field {key_field.name} in entity {target.name}",
                [],
            )
        return reference, matches[0]

    def _check_record(self, definition: ObjectDef, record: dict[str, Any], *, creating: bool) -> None:
        for field_def in definition.fields.values():
            value = record.get(field_def.name)
            if value is None:
                continue
            if field_def.type in STRING_TYPES and field_def.length and len(str(value)) > field_def.length:
                shown = str(value)[:20] + "(...)"
                raise RecordError(
                    "STRING_TOO_LONG",
                    f"{field_def.label}: data value too large: {shown} (max length={field_def.length})",
                    [field_def.name],
                )
            if field_def.type == "picklist" and field_def.restricted_picklist and value not in field_def.picklist:
                raise RecordError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{field_def.label}: bad value for restricted picklist field: {value}",
                    [field_def.name],
                )
            if field_def.type == "reference" and field_def.name not in ("CreatedById", "LastModifiedById"):
                record[field_def.name] = self._check_reference(field_def, value)
                if field_def.name == "OwnerId" and not self._user_active(record[field_def.name]):
                    raise RecordError(
                        "INACTIVE_OWNER_OR_USER", "operation performed with inactive user", [field_def.name]
                    )
        missing = [
            f.name
            for f in definition.fields.values()
            if not f.nillable
            and f.type != "boolean"
            and record.get(f.name) in (None, "")
            and (f.required_on_create or not creating)
            and f.createable
        ]
        missing += self._event_requirements(definition, record)
        if missing:
            raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        self._check_unique(definition, record)
        self._check_duplicate_rules(definition, record, creating=creating)

    def _user_active(self, user_id: str) -> bool:
        user = self.state.records["User"].get(user_id)
        return user is None or bool(user.get("IsActive", True))

    def _check_reference(self, field_def: FieldDef, value: Any) -> str:
        normalized = normalize_id(value)
        if normalized is None:
            raise RecordError(
                "MALFORMED_ID", f"{field_def.label}: id value of incorrect type: {value}", [field_def.name]
            )
        target = object_for_id(normalized)
        if target not in field_def.reference_to:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION", f"{field_def.label}: id value of incorrect type: {value}", [field_def.name]
            )
        if target == "User":
            exists = normalized in self.state.users.values()
        else:
            exists = target in self.state.records and self.state.live(target, normalized) is not None
        if not exists:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [field_def.name])
        return normalized

    @staticmethod
    def _event_requirements(definition: ObjectDef, record: dict[str, Any]) -> list[str]:
        """An Event needs a start and either an end or a duration; the others are derived."""
        if definition.name != "Event":
            return []
        start = record.get("StartDateTime") or record.get("ActivityDateTime")
        if not start:
            return ["ActivityDateTime"]
        record["StartDateTime"] = record["ActivityDateTime"] = start
        record["ActivityDate"] = start[:10]
        if record.get("EndDateTime"):
            minutes = (parse_datetime(record["EndDateTime"]) - parse_datetime(start)).total_seconds() // 60
            record["DurationInMinutes"] = int(minutes)
        elif record.get("DurationInMinutes") is not None:
            end = parse_datetime(start) + timedelta(minutes=int(record["DurationInMinutes"]))
            record["EndDateTime"] = format_datetime(end)
        else:
            return ["DurationInMinutes"]
        return []

    def _check_unique(self, definition: ObjectDef, record: dict[str, Any]) -> None:
        for field_def in definition.fields.values():
            value = record.get(field_def.name)
            if not (field_def.unique and value):
                continue
            others = [
                i for i in self.state.find_by_external_id(definition.name, field_def.name, value) if i != record["Id"]
            ]
            if others:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field_def.name} duplicates value on record with id: {others[0]}",
                    [],
                )

    def _check_duplicate_rules(self, definition: ObjectDef, record: dict[str, Any], *, creating: bool) -> None:
        if not (self.state.faults.duplicate_rules and creating and definition.name in ("Contact", "Lead")):
            return
        email = str(record.get("Email") or "").lower()
        if not email:
            return
        for record_id, other in self.state.records[definition.name].items():
            if record_id != record["Id"] and not other["IsDeleted"] and str(other.get("Email") or "").lower() == email:
                raise RecordError(
                    "DUPLICATES_DETECTED",
                    "You're creating a duplicate record. We recommend you use an existing record instead.",
                    [],
                )
