"""Default mappings and payload builders: local rows → Salesforce records.

=========== ===================== ===============================================================
local       sObject               fields (defaults; each object's field map is configurable)
=========== ===================== ===============================================================
company     Account               Name, Website, Industry, Description
contact     Contact               FirstName, LastName (required: the full name, else "(unknown)"),
                                  Email (primary), Phone, MobilePhone, Title, MailingCity,
                                  Description (notes, interests, needs, expertise), and the Account
                                  by its id or its external id (``{"Account": {"Relintel_Id__c": …}}``)
contact     Lead (no company,     FirstName, LastName, Company (required: the email domain, else
            when configured)      "(none)"), Email, Phone, MobilePhone, Title, City, Description;
                                  Status only when configured (else the org's default)
email, call Task                  see ``activity_mapping``
meeting     Event + EventRelation see ``activity_mapping``
help offer  Task                  see ``activity_mapping``
=========== ===================== ===============================================================

A field map is ``{salesforce_field: local_field}``; the configured map is laid over the
defaults (a local field of ``""`` removes a default). Given a describe, every value is
coerced to the field's type and cut to its length, and the payload records what was cut.
``planned_fields`` lists everything a builder may send, for ``describe.validate_mapping``.
Pure: no ORM, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.salesforce import external_ids
from sync.salesforce.activity_mapping import (
    CALL_TASK_DEFAULTS,
    EVENT_DEFAULTS,
    HELP_TASK_DEFAULTS,
    TASK_DEFAULTS,
    TASK_SUBTYPES,
    build_activity,
    build_event,
    build_event_relations,
    build_help_offer_task,
    build_task,
    diff_event_relations,
    primary_person,
)
from sync.salesforce.describe import PlannedField, Problem, validate_mapping
from sync.salesforce.local_fields import COMPANY_FIELDS, CONTACT_FIELDS, LOCAL_FIELDS, company_name_for_lead
from sync.salesforce.payloads import (
    DEFAULT_EXTERNAL_ID_FIELD,
    MappingOptions,
    NotPushable,
    Payload,
    assemble,
    mapped_values,
    reference,
)
from sync.salesforce.records import CONTACT_SOBJECT, LEAD_SOBJECT, CompanyData, ContactData, PersonRef

__all__ = [
    "DEFAULT_EXTERNAL_ID_FIELD",
    "DEFAULT_FIELD_MAPS",
    "MappingOptions",
    "NotPushable",
    "Payload",
    "build_account",
    "build_activity",
    "build_contact",
    "build_event",
    "build_event_relations",
    "build_help_offer_task",
    "build_task",
    "check_mapping",
    "contact_person",
    "contact_target",
    "diff_event_relations",
    "planned_fields",
    "primary_person",
]

UNKNOWN_LAST_NAME = "(unknown)"
UNNAMED_ACCOUNT = "(unnamed company)"

ACCOUNT_DEFAULTS: dict[str, str] = {
    "Name": "name",
    "Website": "website",
    "Industry": "industry",
    "Description": "description",
}
CONTACT_DEFAULTS: dict[str, str] = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "Email": "primary_email",
    "Phone": "work_phone",
    "MobilePhone": "mobile_phone",
    "Title": "title",
    "MailingCity": "location",
    "Description": "description",
}
LEAD_DEFAULTS: dict[str, str] = {
    "FirstName": "first_name",
    "LastName": "last_name",
    "Company": "company_name",
    "Email": "primary_email",
    "Phone": "work_phone",
    "MobilePhone": "mobile_phone",
    "Title": "title",
    "City": "location",
    "Description": "description",
}

# (local kind, sObject) → the default {salesforce_field: local_field}.
DEFAULT_FIELD_MAPS: dict[tuple[str, str], dict[str, str]] = {
    ("company", "Account"): ACCOUNT_DEFAULTS,
    ("contact", "Contact"): CONTACT_DEFAULTS,
    ("contact", "Lead"): LEAD_DEFAULTS,
    ("email", "Task"): TASK_DEFAULTS,
    ("call", "Task"): CALL_TASK_DEFAULTS,
    ("meeting", "Event"): EVENT_DEFAULTS,
    ("help_offer", "Task"): HELP_TASK_DEFAULTS,
}


def effective_field_map(local_kind: str, sobject: str, options: MappingOptions) -> dict[str, str]:
    merged = {**DEFAULT_FIELD_MAPS.get((local_kind, sobject), {}), **options.field_map(local_kind, sobject)}
    return {sf: local for sf, local in merged.items() if local}


# --- companies and contacts -----------------------------------------------------------------


def build_account(
    company: CompanyData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    values, dropped = mapped_values(
        local_fields=COMPANY_FIELDS,
        defaults=ACCOUNT_DEFAULTS,
        configured=options.field_map("company", "Account"),
        data=company,
        options=options,
    )
    if not str(values.get("Name") or "").strip():
        values["Name"] = company.name.strip() or UNNAMED_ACCOUNT
    return assemble(
        sobject="Account",
        external_id_field=options.external_id_field("Account"),
        external_id=external_ids.company_external_id(organization_id=company.organization_id, company_id=company.id),
        values=values,
        fixed={},
        describe=describe,
        options=options,
        dropped=dropped,
    )


def contact_target(contact: ContactData, options: MappingOptions) -> str:
    """``Contact`` or ``Lead``: what the contact is (or becomes) in Salesforce.

    Once linked it stays what it is (a Lead converted in Salesforce comes back through the
    pull as a Contact id); otherwise a contact with a company is a Contact, and one without
    is a Lead unless the organization chose Contacts without an Account.
    """
    if contact.salesforce_contact_id:
        return CONTACT_SOBJECT
    if contact.salesforce_lead_id:
        return LEAD_SOBJECT
    if contact.company is not None or options.contact_without_company_as == "contact":
        return CONTACT_SOBJECT
    return LEAD_SOBJECT


def contact_person(contact: ContactData, options: MappingOptions) -> PersonRef:
    """How activities refer to this contact (their WhoId)."""
    sobject = contact_target(contact, options)
    salesforce_id = contact.salesforce_contact_id if sobject == CONTACT_SOBJECT else contact.salesforce_lead_id
    return PersonRef(
        sobject=sobject,
        name=contact.full_name,
        local_id=contact.id,
        salesforce_id=salesforce_id,
        account=contact.company if sobject == CONTACT_SOBJECT else None,
    )


def _last_name(values: dict[str, Any], contact: ContactData) -> str:
    last = str(values.get("LastName") or "").strip()
    return last or " ".join(contact.full_name.split()) or UNKNOWN_LAST_NAME


def build_contact(
    contact: ContactData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    """Contact → Contact or Lead (``contact_target``). ``describe`` is that sObject's."""
    sobject = contact_target(contact, options)
    defaults = CONTACT_DEFAULTS if sobject == CONTACT_SOBJECT else LEAD_DEFAULTS
    values, dropped = mapped_values(
        local_fields=CONTACT_FIELDS,
        defaults=defaults,
        configured=options.field_map("contact", sobject),
        data=contact,
        options=options,
    )
    values["LastName"] = _last_name(values, contact)
    fixed: dict[str, Any] = {}
    if sobject == LEAD_SOBJECT:
        if not str(values.get("Company") or "").strip():
            values["Company"] = company_name_for_lead(contact, options)
        if options.lead_status:
            fixed["Status"] = options.lead_status
    elif contact.company is not None:
        fixed.update(
            reference(
                id_field="AccountId",
                relationship="Account",
                sobject="Account",
                salesforce_id=contact.company.salesforce_id,
                external_id=external_ids.company_external_id(
                    organization_id=contact.organization_id, company_id=contact.company.id
                ),
                external_id_field=options.external_id_field("Account"),
                polymorphic=False,
            )
        )
    return assemble(
        sobject=sobject,
        external_id_field=options.external_id_field(sobject),
        external_id=external_ids.contact_external_id(organization_id=contact.organization_id, contact_id=contact.id),
        values=values,
        fixed=fixed,
        describe=describe,
        options=options,
        dropped=dropped,
    )


# --- what the org must have -------------------------------------------------------------------

_WHO_TARGETS = ("Contact", "Lead")


def _mapped(local_kind: str, sobject: str, options: MappingOptions) -> list[PlannedField]:
    local = LOCAL_FIELDS.get(local_kind, {})
    planned = []
    for sf_field, local_name in effective_field_map(local_kind, sobject, options).items():
        known = local.get(local_name)
        planned.append(
            PlannedField(
                name=sf_field,
                local_type=known.type if known else None,
                local_field=local_name,
            )
        )
    return planned


def planned_fields(local_kind: str, sobject: str, options: MappingOptions) -> list[PlannedField]:
    """Every field the builder for ``(local_kind, sobject)`` may send."""
    planned = _mapped(local_kind, sobject, options)
    names = {p.name for p in planned}

    def fixed(field: PlannedField) -> None:
        if field.name not in names:
            planned.append(field)
            names.add(field.name)

    if sobject == "Contact":
        fixed(PlannedField("LastName", "string", "full_name"))
        fixed(PlannedField("AccountId", reference_to=("Account",)))
    elif sobject == "Lead":
        fixed(PlannedField("LastName", "string", "full_name"))
        fixed(PlannedField("Company", "string", "company_name"))
        if options.lead_status:
            fixed(PlannedField("Status", values=(options.lead_status,)))
    elif sobject == "Account":
        fixed(PlannedField("Name", "string", "name"))
    elif sobject == "Task":
        subtype = "Task" if local_kind == "help_offer" else TASK_SUBTYPES.get(local_kind, "Task")
        statuses = (
            tuple(sorted(set(options.help_statuses.values())))
            if local_kind == "help_offer"
            else (options.task_done_status,)
        )
        fixed(PlannedField("TaskSubtype", create_only=True, values=(subtype,)))
        fixed(PlannedField("Type", values=("Other" if local_kind == "help_offer" else subtype,)))
        fixed(PlannedField("Status", values=statuses))
        fixed(PlannedField("Priority", values=(options.task_priority,)))
        fixed(PlannedField("ActivityDate", "date"))
    elif sobject == "Event":
        fixed(PlannedField("StartDateTime", "datetime"))
        fixed(PlannedField("EndDateTime", "datetime"))
        fixed(PlannedField("ActivityDateTime", "datetime"))
    if sobject in ("Task", "Event"):
        fixed(PlannedField("WhoId", reference_to=_WHO_TARGETS))
        fixed(PlannedField("WhatId", reference_to=("Account",)))
    return planned


def planned_event_relation_fields(options: MappingOptions) -> list[PlannedField]:
    fields = [
        PlannedField("EventId", create_only=True, reference_to=("Event",)),
        PlannedField("RelationId", create_only=True, reference_to=_WHO_TARGETS),
    ]
    if options.event_relation_mode == "related":
        fields += [PlannedField("IsParent", "boolean", create_only=True), PlannedField("IsInvitee", "boolean")]
    else:
        fields.append(PlannedField("Status", values=("New", "Accepted", "Declined")))
    return fields


def check_mapping(local_kind: str, sobject: str, describe: Mapping[str, Any], options: MappingOptions) -> list[Problem]:
    """What stops ``(local_kind, sobject)`` from being pushed into this org, with remedies."""
    if sobject == "EventRelation":
        return validate_mapping(describe, planned_event_relation_fields(options), external_id_field=None)
    return validate_mapping(
        describe, planned_fields(local_kind, sobject, options), external_id_field=options.external_id_field(sobject)
    )
