"""The emulated org's metadata: objects, fields and their describe output.

Only what the sync uses, but each field carries the attributes Salesforce's describe reports, so
describe-driven code (what is writable, which field is the external id) behaves as against an org.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .ids import KEY_PREFIXES

EXTERNAL_ID_FIELD = "Relintel_Id__c"

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
STRING_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "combobox", "id", "reference"})


@dataclass
class FieldDef:
    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    id_lookup: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    default: Any = None
    defaulted_on_create: bool = False
    custom: bool = False
    name_field: bool = False

    @property
    def required_on_create(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create and self.type != "boolean"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": 18 if self.type == "double" else 0,
            "scale": 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.id_lookup,
            "caseSensitive": False,
            "custom": self.custom,
            "calculated": False,
            "autoNumber": False,
            "nameField": self.name_field,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("textarea", "datetime"),
            "defaultedOnCreate": self.defaulted_on_create,
            "defaultValue": self.default,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted_picklist,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
        }


@dataclass
class ObjectDef:
    name: str
    label: str
    label_plural: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    def field(self, name: str) -> FieldDef | None:
        """Field names are case-insensitive in Salesforce."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def relationship(self, name: str) -> FieldDef | None:
        lowered = name.lower()
        return next(
            (f for f in self.fields.values() if f.relationship_name and f.relationship_name.lower() == lowered), None
        )

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def summary(self, version: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "createable": True,
            "updateable": self.name != "EventRelation",
            "deletable": True,
            "queryable": True,
            "retrieveable": True,
            "searchable": self.name != "EventRelation",
            "replicateable": True,
            "custom": False,
            "customSetting": False,
            "layoutable": self.name != "EventRelation",
            "triggerable": True,
            "undeletable": True,
            "mergeable": self.name in ("Account", "Contact", "Lead"),
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict[str, Any]:
        return {
            **self.summary(version),
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [],
            "recordTypeInfos": [],
        }


def _system_fields(*, owner: bool = True) -> list[FieldDef]:
    audit: dict[str, Any] = {"nillable": False, "createable": False, "updateable": False, "defaulted_on_create": True}
    fields = [
        FieldDef("Id", "id", "Record ID", 18, nillable=False, createable=False, updateable=False, id_lookup=True),
        FieldDef("IsDeleted", "boolean", "Deleted", nillable=False, createable=False, updateable=False, default=False),
        FieldDef("CreatedDate", "datetime", "Created Date", **audit),
        FieldDef(
            "CreatedById",
            "reference",
            "Created By ID",
            18,
            reference_to=("User",),
            relationship_name="CreatedBy",
            **audit,
        ),
        FieldDef("LastModifiedDate", "datetime", "Last Modified Date", **audit),
        FieldDef(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            18,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
            **audit,
        ),
        FieldDef("SystemModstamp", "datetime", "System Modstamp", **audit),
    ]
    if owner:
        fields.append(
            FieldDef(
                "OwnerId",
                "reference",
                "Owner ID",
                18,
                nillable=False,
                defaulted_on_create=True,
                reference_to=("User",),
                relationship_name="Owner",
            )
        )
    return fields


def _external_id() -> FieldDef:
    return FieldDef(
        EXTERNAL_ID_FIELD, "string", "Relintel ID", 255, external_id=True, unique=True, id_lookup=True, custom=True
    )


def _object(
    name: str, label: str, plural: str, fields: list[FieldDef], *, owner: bool = True, external_id: bool = True
) -> ObjectDef:
    every = _system_fields(owner=owner) + fields + ([_external_id()] if external_id else [])
    return ObjectDef(name, label, plural, {f.name: f for f in every})


def _who_what() -> list[FieldDef]:
    return [
        FieldDef("WhoId", "reference", "Name ID", 18, reference_to=("Contact", "Lead"), relationship_name="Who"),
        FieldDef(
            "WhatId",
            "reference",
            "Related To ID",
            18,
            reference_to=("Account", "Opportunity", "Case"),
            relationship_name="What",
        ),
        FieldDef("Description", "textarea", "Description", 32000),
    ]


def default_schema() -> dict[str, ObjectDef]:
    industries = ("Agriculture", "Banking", "Consulting", "Education", "Finance", "Healthcare", "Technology", "Other")
    account = _object(
        "Account",
        "Account",
        "Accounts",
        [
            FieldDef("Name", "string", "Account Name", 255, nillable=False, name_field=True),
            FieldDef("Website", "url", "Website", 255),
            FieldDef("Industry", "picklist", "Industry", 255, picklist=industries),
            FieldDef(
                "Type", "picklist", "Account Type", 255, picklist=("Prospect", "Customer - Direct", "Partner", "Other")
            ),
            FieldDef("Phone", "phone", "Account Phone", 40),
            FieldDef("BillingCity", "string", "Billing City", 40),
            FieldDef("Description", "textarea", "Account Description", 32000),
        ],
    )
    contact = _object(
        "Contact",
        "Contact",
        "Contacts",
        [
            FieldDef("FirstName", "string", "First Name", 40),
            FieldDef("LastName", "string", "Last Name", 80, nillable=False),
            FieldDef(
                "Name",
                "string",
                "Full Name",
                121,
                nillable=False,
                createable=False,
                updateable=False,
                name_field=True,
                defaulted_on_create=True,
            ),
            FieldDef("Email", "email", "Email", 80, id_lookup=True),
            FieldDef("Phone", "phone", "Business Phone", 40),
            FieldDef("Title", "string", "Title", 128),
            FieldDef(
                "AccountId", "reference", "Account ID", 18, reference_to=("Account",), relationship_name="Account"
            ),
            FieldDef("MailingCity", "string", "Mailing City", 40),
            FieldDef(
                "LeadSource",
                "picklist",
                "Lead Source",
                255,
                picklist=("Web", "Phone Inquiry", "Partner Referral", "Other"),
            ),
            FieldDef("Description", "textarea", "Contact Description", 32000),
        ],
    )
    lead = _object(
        "Lead",
        "Lead",
        "Leads",
        [
            FieldDef("FirstName", "string", "First Name", 40),
            FieldDef("LastName", "string", "Last Name", 80, nillable=False),
            FieldDef(
                "Name",
                "string",
                "Full Name",
                121,
                nillable=False,
                createable=False,
                updateable=False,
                name_field=True,
                defaulted_on_create=True,
            ),
            FieldDef("Company", "string", "Company", 255, nillable=False),
            FieldDef("Email", "email", "Email", 80, id_lookup=True),
            FieldDef("Phone", "phone", "Phone", 40),
            FieldDef("Title", "string", "Title", 128),
            FieldDef("Website", "url", "Website", 255),
            FieldDef("Industry", "picklist", "Industry", 255, picklist=industries),
            FieldDef("City", "string", "City", 40),
            FieldDef(
                "Status",
                "picklist",
                "Status",
                255,
                nillable=False,
                defaulted_on_create=True,
                restricted_picklist=True,
                default="Open - Not Contacted",
                picklist=(
                    "Open - Not Contacted",
                    "Working - Contacted",
                    "Closed - Converted",
                    "Closed - Not Converted",
                ),
            ),
            FieldDef("IsConverted", "boolean", "Converted", nillable=False, default=False, defaulted_on_create=True),
            FieldDef("Description", "textarea", "Description", 32000),
        ],
    )
    task = _object(
        "Task",
        "Task",
        "Tasks",
        [
            FieldDef("Subject", "combobox", "Subject", 255, picklist=("Call", "Send Letter", "Send Quote", "Other")),
            FieldDef(
                "Status",
                "picklist",
                "Status",
                255,
                nillable=False,
                defaulted_on_create=True,
                restricted_picklist=True,
                default="Not Started",
                picklist=("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"),
            ),
            FieldDef(
                "Priority",
                "picklist",
                "Priority",
                255,
                nillable=False,
                defaulted_on_create=True,
                restricted_picklist=True,
                default="Normal",
                picklist=("High", "Normal", "Low"),
            ),
            FieldDef("ActivityDate", "date", "Due Date Only"),
            FieldDef(
                "TaskSubtype",
                "picklist",
                "Task Subtype",
                255,
                updateable=False,
                restricted_picklist=True,
                picklist=("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"),
            ),
            FieldDef("Type", "picklist", "Type", 255, picklist=("Call", "Email", "Meeting", "Other")),
            FieldDef("CallDurationInSeconds", "int", "Call Duration"),
            FieldDef(
                "IsClosed",
                "boolean",
                "Closed",
                nillable=False,
                createable=False,
                updateable=False,
                default=False,
                defaulted_on_create=True,
            ),
            *_who_what(),
        ],
    )
    event = _object(
        "Event",
        "Event",
        "Events",
        [
            FieldDef("Subject", "combobox", "Subject", 255, picklist=("Call", "Email", "Meeting", "Other")),
            FieldDef("StartDateTime", "datetime", "Start Date Time"),
            FieldDef("EndDateTime", "datetime", "End Date Time"),
            FieldDef("ActivityDateTime", "datetime", "Due Date Time"),
            FieldDef("ActivityDate", "date", "Due Date Only"),
            FieldDef("DurationInMinutes", "int", "Duration"),
            FieldDef(
                "IsAllDayEvent", "boolean", "All-Day Event", nillable=False, default=False, defaulted_on_create=True
            ),
            FieldDef("Location", "string", "Location", 255),
            FieldDef("Type", "picklist", "Type", 255, picklist=("Call", "Email", "Meeting", "Other")),
            *_who_what(),
        ],
    )
    relation = _object(
        "EventRelation",
        "Event Relation",
        "Event Relations",
        [
            FieldDef(
                "EventId",
                "reference",
                "Event ID",
                18,
                nillable=False,
                updateable=False,
                reference_to=("Event",),
                relationship_name="Event",
            ),
            FieldDef(
                "RelationId",
                "reference",
                "Relation ID",
                18,
                nillable=False,
                updateable=False,
                reference_to=("Contact", "Lead", "User", "Account"),
                relationship_name="Relation",
            ),
            FieldDef(
                "Status",
                "picklist",
                "Status",
                255,
                restricted_picklist=True,
                default="New",
                defaulted_on_create=True,
                picklist=("New", "Declined", "Accepted"),
            ),
            FieldDef("IsInvitee", "boolean", "Is Invitee", nillable=False, default=True, defaulted_on_create=True),
            FieldDef("IsParent", "boolean", "Is Parent", nillable=False, default=False, defaulted_on_create=True),
            FieldDef("IsWhat", "boolean", "Is What", nillable=False, default=False, defaulted_on_create=True),
            FieldDef("RespondedDate", "datetime", "Response Date"),
        ],
        owner=False,
        external_id=False,
    )  # EventRelation takes no custom fields in Salesforce.
    return {o.name: o for o in (account, contact, lead, task, event, relation)}


def copy_schema(schema: dict[str, ObjectDef]) -> dict[str, ObjectDef]:
    return copy.deepcopy(schema)
