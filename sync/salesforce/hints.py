"""What an admin can do about a record Salesforce refused, and whether trying again can help."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Per-record status codes that a later attempt can get past.
# A record's owner (the rep's Salesforce user) was deactivated: the push re-checks the users.
INACTIVE_OWNER = "INACTIVE_OWNER_OR_USER"
TRANSIENT_RECORD_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT", "API_BUDGET_EXHAUSTED"}
)

_FIELD_HINTS = {
    "LastName": "map a last name (every Contact and Lead needs one)",
    "Company": "map a company name for Leads, or choose to push contacts without a company as Contacts",
    "Name": "map a name for Accounts",
    "Subject": "map a subject for Tasks and Events",
}

_CODE_HINTS = {
    "REQUIRED_FIELD_MISSING": "Map a value for {fields}, or make the field optional in Salesforce.",
    "INVALID_FIELD": "The field {fields} does not exist or the integration user cannot see it: create it, "
    "grant field-level access, or remove it from the mapping.",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "The integration user cannot write {fields}: grant edit access to the "
    "field or remove it from the mapping.",
    "INSUFFICIENT_ACCESS_OR_READONLY": "The integration user cannot write {fields}: grant edit access or "
    "remove it from the mapping.",
    "NOT_FOUND": "The external-id field is missing: create a Text(255) field Relintel_Id__c marked "
    "“External ID” and “Unique” on the object.",
    "STRING_TOO_LONG": "A value is longer than {fields} allows: make the field longer or map a shorter one.",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "Map {fields} to a value its picklist allows, or add the value.",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "A validation rule in Salesforce refused the record: adjust the rule "
    "or the mapping, then retry.",
    "DUPLICATES_DETECTED": "A duplicate rule blocked it: merge the records in Salesforce, or let the "
    "integration user bypass the rule, then retry.",
    "DUPLICATE_VALUE": "Another record already has this unique value in Salesforce: merge the two, then retry.",
    "INVALID_EMAIL_ADDRESS": "Fix the contact's email address, then retry.",
    "ENTITY_IS_DELETED": "The record was deleted in Salesforce: restore it from the recycle bin or unlink it.",
    "INVALID_CROSS_REFERENCE_KEY": "A related record (Account, Contact or Lead) is missing in Salesforce: "
    "retry after it syncs, or fix that record's error first.",
    "INACTIVE_OWNER_OR_USER": "The rep's Salesforce user was deactivated: the next push or pull looks the "
    "members up again and unlinks them (their activity then goes to the integration user); the record is retried after it.",
}


# Salesforce names the field in the message when a whole request is refused for it.
_NAMED_FIELD = re.compile(r"No such column '(\w+)'|fields: (\w+)\.")


def hint_for(code: str, message: str = "", fields: Sequence[str] = ()) -> str:
    """A sentence for the sync health page, "" when we have nothing useful to add."""
    if not fields and (named := _NAMED_FIELD.search(message)):
        fields = [named.group(1) or named.group(2)]
    if code == "REQUIRED_FIELD_MISSING":
        for name in fields:
            if name in _FIELD_HINTS:
                return _FIELD_HINTS[name][:1].upper() + _FIELD_HINTS[name][1:] + "."
    template = _CODE_HINTS.get(code, "")
    return template.format(fields=", ".join(fields) or "the field") if template else ""


def is_transient_record_error(code: str, message: str) -> bool:
    """Locks and outages pass; so does a parent referenced by external id that isn't there *yet*."""
    if code in TRANSIENT_RECORD_CODES:
        return True
    return code == "INVALID_FIELD" and "Foreign key external ID" in message and "not found" in message


def is_create_only_refusal(errors: Sequence[dict[str, object]], create_only: frozenset[str]) -> bool:
    """Salesforce refused only fields that can be set at creation (``Task.TaskSubtype``): the upsert
    met a record that already exists under our external id. That happens when an earlier push
    reached Salesforce but its worker died before recording it; sent again without those fields,
    the record is updated, not refused."""
    if not errors or not create_only:
        return False
    for error in errors:
        code = error.get("statusCode") or error.get("errorCode")
        fields = error.get("fields") or []
        if code != "INVALID_FIELD_FOR_INSERT_UPDATE" or not isinstance(fields, list | tuple) or not fields:
            return False
        if not {str(f) for f in fields} <= create_only:
            return False
    return True
