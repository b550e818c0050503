"""Check a mapping against Salesforce's describe of an sObject, and say what to fix.

The input is the JSON of ``GET /services/data/vXX.X/sobjects/{Object}/describe/`` (what
``sf.restful(f"sobjects/{name}/describe/")`` returns). Describe only lists the fields the
integration user can see, so "does not exist" may also mean "hidden by field-level
security": the remedies say so.

Every problem names the exact field and an action an admin can take in Setup. Pure: no
ORM, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.salesforce.external_ids import EXTERNAL_ID_LENGTH

ERROR = "error"
WARNING = "warning"

# Local value types (what mapping.LOCAL_FIELDS declares) → Salesforce field types that take them.
_TEXT_TARGETS = frozenset({"string", "textarea", "picklist", "combobox", "multipicklist", "encryptedstring"})
COMPATIBLE_TYPES: dict[str, frozenset[str]] = {
    "string": _TEXT_TARGETS,
    "textarea": frozenset({"textarea", "string", "encryptedstring"}),
    "email": frozenset({"email"}) | _TEXT_TARGETS,
    "phone": frozenset({"phone"}) | _TEXT_TARGETS,
    "url": frozenset({"url"}) | _TEXT_TARGETS,
    "picklist": frozenset({"picklist", "combobox", "multipicklist", "string", "textarea"}),
    "date": frozenset({"date", "datetime", "string"}),
    "datetime": frozenset({"datetime", "string"}),
    "boolean": frozenset({"boolean"}),
    "int": frozenset({"int", "double", "currency", "percent", "string"}),
    "double": frozenset({"double", "currency", "percent", "string"}),
    "reference": frozenset({"reference"}),
}

_TYPE_WORDS = {
    "string": "text",
    "textarea": "long text",
    "email": "email",
    "phone": "phone",
    "url": "URL",
    "picklist": "picklist",
    "multipicklist": "multi-select picklist",
    "combobox": "combo box",
    "date": "date",
    "datetime": "date/time",
    "boolean": "checkbox",
    "int": "number",
    "double": "number",
    "currency": "currency",
    "percent": "percent",
    "reference": "lookup",
    "id": "record id",
}


@dataclass(frozen=True)
class PlannedField:
    """A field a payload builder may send, and what it needs from the org.

    ``local_type`` is the type of the local value (None for values the builder sets
    itself, which are checked by ``values`` or ``reference_to`` instead). ``create_only``
    fields are sent only when the record is created (``Task.TaskSubtype`` can't be
    updated), so they need ``createable`` but not ``updateable``. ``values`` are the
    picklist values the builder may send.
    """

    name: str
    local_type: str | None = None
    local_field: str = ""
    create_only: bool = False
    values: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    required_by_us: bool = False


@dataclass(frozen=True)
class Problem:
    code: str
    sobject: str
    field: str
    message: str
    remedy: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.message}. {self.remedy}"


@dataclass(frozen=True)
class FieldChoice:
    """A field the mapping page may offer."""

    name: str
    label: str
    type: str
    length: int
    required: bool
    create_only: bool
    picklist_values: tuple[str, ...] = field(default=())


def fields_by_name(describe: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Describe's fields by API name, case-insensitively (Salesforce names are)."""
    return {str(f["name"]).lower(): f for f in describe.get("fields", [])}


def find_field(describe: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return fields_by_name(describe).get(name.lower())


def _is_computed(info: Mapping[str, Any]) -> bool:
    return bool(info.get("calculated") or info.get("autoNumber"))


def is_required(info: Mapping[str, Any]) -> bool:
    """Salesforce refuses a create without it: not nillable, createable, no default on create."""
    return (
        not info.get("nillable", True)
        and bool(info.get("createable"))
        and not info.get("defaultedOnCreate", False)
        and info.get("type") != "boolean"  # a checkbox is never null: false when omitted
    )


def active_picklist_values(info: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(v["value"]) for v in info.get("picklistValues") or [] if v.get("active", True))


def writable_fields(describe: Mapping[str, Any], *, for_upsert: bool = True) -> list[FieldChoice]:
    """Fields that exist and the integration user may write, sorted by label.

    ``for_upsert``: an upsert may update, so the field must be ``updateable`` too.
    """
    choices = []
    for info in describe.get("fields", []):
        if info.get("deprecatedAndHidden") or _is_computed(info) or not info.get("createable"):
            continue
        if for_upsert and not info.get("updateable"):
            continue
        choices.append(
            FieldChoice(
                name=str(info["name"]),
                label=str(info.get("label") or info["name"]),
                type=str(info.get("type", "")),
                length=int(info.get("length") or 0),
                required=is_required(info),
                create_only=not info.get("updateable"),
                picklist_values=active_picklist_values(info),
            )
        )
    return sorted(choices, key=lambda c: (c.label.lower(), c.name.lower()))


def external_id_field_spec(sobject: str, name: str) -> str:
    label = name[:-3] if name.endswith("__c") else name
    return (
        f"Create a custom field on {sobject}: Text(255), External ID, Unique, "
        f"Field Name {label}, API name {name}, visible and editable for the integration user"
    )


def _type_word(sf_type: str) -> str:
    return _TYPE_WORDS.get(sf_type, sf_type)


def validate_external_id_field(describe: Mapping[str, Any], name: str) -> list[Problem]:
    sobject = str(describe.get("name", ""))
    info = find_field(describe, name)
    if info is None:
        return [
            Problem(
                "external_id_missing",
                sobject,
                name,
                f"{sobject} has no field {name} to hold Relintel's ids",
                external_id_field_spec(sobject, name)
                + " (if it exists, field-level security hides it from the integration user)",
            )
        ]
    problems = []
    qualified = f"{sobject}.{info['name']}"
    if info.get("type") not in ("string", "email") and not info.get("idLookup"):
        problems.append(
            Problem(
                "external_id_wrong_type",
                sobject,
                name,
                f"{qualified} is a {_type_word(str(info.get('type')))} field; Relintel's ids are text",
                f"Use a Text(255) field instead: {external_id_field_spec(sobject, name)}",
            )
        )
    if not info.get("externalId"):
        problems.append(
            Problem(
                "external_id_not_marked",
                sobject,
                name,
                f"{qualified} is not marked External ID, so records can't be upserted by it",
                f"In Setup, edit the field {qualified} and tick External ID and Unique",
            )
        )
    elif not info.get("unique"):
        problems.append(
            Problem(
                "external_id_not_unique",
                sobject,
                name,
                f"{qualified} is an External ID but not Unique: duplicates are possible and "
                "upserts need the View All Data permission",
                f"In Setup, edit the field {qualified} and tick Unique",
                severity=WARNING,
            )
        )
    length = int(info.get("length") or 0)
    if info.get("type") == "string" and length < EXTERNAL_ID_LENGTH:
        problems.append(
            Problem(
                "external_id_too_short",
                sobject,
                name,
                f"{qualified} holds {length} characters; Relintel's ids have {EXTERNAL_ID_LENGTH}",
                f"In Setup, change the length of {qualified} to 255",
            )
        )
    if not info.get("createable") or not info.get("updateable"):
        problems.append(
            Problem(
                "external_id_not_writable",
                sobject,
                name,
                f"{qualified} is not writable for the integration user",
                f"In Setup, open the field {qualified}, Set Field-Level Security, and make it visible and "
                "not read-only for the integration user's profile or permission set",
            )
        )
    return problems


def _check_planned(sobject: str, planned: PlannedField, info: Mapping[str, Any] | None) -> list[Problem]:
    if info is None:
        origin = f" (mapped from {planned.local_field})" if planned.local_field else ""
        return [
            Problem(
                "field_missing",
                sobject,
                planned.name,
                f"Field {sobject}.{planned.name} does not exist{origin}",
                f"Create the field on {sobject}, or remove it from the {sobject} mapping; if it exists, "
                "field-level security hides it from the integration user",
            )
        ]
    qualified = f"{sobject}.{info['name']}"
    if _is_computed(info):
        kind = "a formula" if info.get("calculated") else "an auto-number"
        return [
            Problem(
                "field_computed",
                sobject,
                planned.name,
                f"{qualified} is {kind} field and can't be written",
                f"Remove {qualified} from the {sobject} mapping",
            )
        ]
    problems = []
    needs_update = not planned.create_only
    if not info.get("createable") or (needs_update and not info.get("updateable")):
        missing = "created" if not info.get("createable") else "updated"
        problems.append(
            Problem(
                "field_not_writable",
                sobject,
                planned.name,
                f"{qualified} is not writable for the integration user (it can't be {missing})",
                f"Check field-level security: in Setup, open {qualified}, Set Field-Level Security, and make "
                "it visible and not read-only for the integration user; or remove it from the mapping",
            )
        )
    sf_type = str(info.get("type", ""))
    if planned.local_type is not None:
        allowed = COMPATIBLE_TYPES.get(planned.local_type, frozenset())
        if sf_type not in allowed:
            problems.append(
                Problem(
                    "type_mismatch",
                    sobject,
                    planned.name,
                    f"{qualified} is a {_type_word(sf_type)} field but {planned.local_field or 'the value'} "
                    f"is {_type_word(planned.local_type)}",
                    f"Map {qualified} to a local field of a matching type, or choose a "
                    f"{_type_word(planned.local_type)} field in Salesforce",
                )
            )
    if planned.reference_to:
        targets = set(info.get("referenceTo") or [])
        missing_targets = [t for t in planned.reference_to if t not in targets]
        if sf_type != "reference" or missing_targets:
            problems.append(
                Problem(
                    "reference_mismatch",
                    sobject,
                    planned.name,
                    f"{qualified} does not point to {', '.join(missing_targets or planned.reference_to)}",
                    f"Relintel links {sobject} records through {planned.name}; check the org's "
                    f"{sobject} object has its standard {planned.name} lookup",
                )
            )
    if planned.values and sf_type in ("picklist", "multipicklist") and info.get("picklistValues") is not None:
        active = {v.lower() for v in active_picklist_values(info)}
        for value in planned.values:
            if value.lower() not in active:
                problems.append(
                    Problem(
                        "picklist_value_missing",
                        sobject,
                        planned.name,
                        f"{qualified} has no active value “{value}”",
                        f"In Setup, add “{value}” to the {qualified} picklist (or activate it), or choose "
                        "another value in the mapping settings",
                    )
                )
    return problems


def validate_mapping(
    describe: Mapping[str, Any],
    planned: Iterable[PlannedField],
    *,
    external_id_field: str | None,
) -> list[Problem]:
    """Everything that would make pushing ``planned`` into this sObject fail, with remedies.

    ``external_id_field`` None: the object is created, never upserted (EventRelation).
    Errors first, then warnings; within each, in the order found.
    """
    sobject = str(describe.get("name", ""))
    problems: list[Problem] = []
    upsert = external_id_field is not None
    if not describe.get("createable", True) or (upsert and not describe.get("updateable", True)):
        problems.append(
            Problem(
                "object_not_writable",
                sobject,
                "",
                f"The integration user can't {'create and update' if upsert else 'create'} {sobject} records",
                f"Give the integration user's profile or permission set Create and Edit on {sobject}",
            )
        )
    if external_id_field is not None:
        problems.extend(validate_external_id_field(describe, external_id_field))
    by_name = fields_by_name(describe)
    planned = list(planned)
    covered = {p.name.lower() for p in planned}
    if external_id_field:
        covered.add(external_id_field.lower())
    for item in planned:
        problems.extend(_check_planned(sobject, item, by_name.get(item.name.lower())))
    for info in describe.get("fields", []):
        if is_required(info) and str(info["name"]).lower() not in covered and not _is_computed(info):
            qualified = f"{sobject}.{info['name']}"
            problems.append(
                Problem(
                    "required_not_mapped",
                    sobject,
                    str(info["name"]),
                    f"{qualified} is required and the mapping gives it no value",
                    f"Map a local field to {qualified}, or in Setup give {qualified} a default value "
                    "or make it optional",
                )
            )
    return sorted(problems, key=lambda p: p.severity != ERROR)
