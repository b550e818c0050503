"""The emulated org's objects: the standard fields the sync uses, plus the Relintel external-id field."""

from __future__ import annotations

from typing import Any

from .schema import EXTERNAL_ID_FIELD, FieldDef, ObjectDef


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
            FieldDef("MobilePhone", "phone", "Mobile Phone", 40),
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
            FieldDef("MobilePhone", "phone", "Mobile Phone", 40),
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
            # Set by lead conversion, never by the API.
            FieldDef(
                "ConvertedContactId",
                "reference",
                "Converted Contact ID",
                18,
                createable=False,
                updateable=False,
                reference_to=("Contact",),
                relationship_name="ConvertedContact",
            ),
            FieldDef(
                "ConvertedAccountId",
                "reference",
                "Converted Account ID",
                18,
                createable=False,
                updateable=False,
                reference_to=("Account",),
                relationship_name="ConvertedAccount",
            ),
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
            FieldDef("CallType", "picklist", "Call Type", 40, picklist=("Internal", "Inbound", "Outbound")),
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
    # Users are read (the sync finds each rep's Salesforce user by email), never written here.
    user = _object(
        "User",
        "User",
        "Users",
        [
            FieldDef("Username", "string", "Username", 80, nillable=False, createable=False, updateable=False),
            FieldDef("Email", "email", "Email", 128, nillable=False, createable=False, updateable=False),
            FieldDef("Name", "string", "Full Name", 121, createable=False, updateable=False, name_field=True),
            FieldDef("IsActive", "boolean", "Active", nillable=False, createable=False, updateable=False, default=True),
        ],
        owner=False,
        external_id=False,
    )
    return {o.name: o for o in (account, contact, lead, task, event, relation, user)}
