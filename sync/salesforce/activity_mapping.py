"""Activities → Task, Event and EventRelation payloads.

* email and call interactions → **Task** (``TaskSubtype`` Email/Call, ``Status`` Completed,
  ``ActivityDate`` the day it happened), meetings → **Event** with **EventRelation** rows for
  the other attendees, help offers → **Task** ("Give-first: intro to Jane Doe").
* ``WhoId`` is the contact the activity is with (the sender of an inbound email, the first
  recipient of an outbound one, the organizer or first attendee of a meeting), ``WhatId``
  that contact's Account. Salesforce refuses a ``WhatId`` next to a Lead, so a Lead gets none.
* Private interactions, and notes, raise ``NotPushable``: they never leave Relintel.
* What the privacy level withholds (the subject at "metadata", the body below "full") is
  left out of the payload, not sent empty: Salesforce never receives it, and a note someone
  typed on the Task in Salesforce is not wiped.

Pure: no ORM, no network.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.salesforce import external_ids
from sync.salesforce.local_fields import HELP_OFFER_FIELDS, INTERACTION_FIELDS, local_date
from sync.salesforce.payloads import MappingOptions, NotPushable, Payload, assemble, mapped_values, reference
from sync.salesforce.records import (
    CALL,
    EMAIL,
    INBOUND,
    LEAD_SOBJECT,
    MEETING,
    NOTE,
    VISIBILITY_PRIVATE,
    HelpOfferData,
    InteractionData,
    ParticipantData,
    PersonRef,
)

TASK_DEFAULTS: dict[str, str] = {"Subject": "subject", "Description": "body"}
CALL_TASK_DEFAULTS: dict[str, str] = {
    **TASK_DEFAULTS,
    "CallType": "call_type",
    "CallDurationInSeconds": "duration_seconds",
}
EVENT_DEFAULTS: dict[str, str] = {"Subject": "subject", "Description": "body"}
HELP_TASK_DEFAULTS: dict[str, str] = {"Subject": "subject", "Description": "summary"}

TASK_SUBTYPES = {EMAIL: "Email", CALL: "Call"}
# Salesforce keeps an event to 14 days.
MAX_EVENT_MINUTES = 14 * 24 * 60

_WHO_ROLES_INBOUND = ("from", "organizer", "to", "cc", "attendee")
_WHO_ROLES_OUTBOUND = ("to", "organizer", "attendee", "cc", "from")

_RESPONSES = {"accepted": "Accepted", "declined": "Declined"}


def _pushable_people(participants: Iterable[ParticipantData]) -> list[ParticipantData]:
    return [p for p in participants if p.person is not None and p.person.sobject in ("Contact", "Lead")]


def primary_person(interaction: InteractionData) -> PersonRef | None:
    """The contact an activity is "with" (its WhoId), chosen by role then order."""
    roles = _WHO_ROLES_INBOUND if interaction.direction == INBOUND else _WHO_ROLES_OUTBOUND
    people = _pushable_people(interaction.participants)
    for role in roles:
        for participant in people:
            if participant.role == role:
                return participant.person
    return people[0].person if people else None


def who_what(who: PersonRef | None, *, organization_id: int, options: MappingOptions) -> dict[str, Any]:
    """``WhoId`` (or ``Who`` by external id) and, for a Contact with an Account, ``WhatId``."""
    fields: dict[str, Any] = {}
    if who is None:
        return fields
    if who.salesforce_id or who.local_id is not None:
        fields.update(
            reference(
                id_field="WhoId",
                relationship="Who",
                sobject=who.sobject,
                salesforce_id=who.salesforce_id,
                external_id=external_ids.contact_external_id(organization_id=organization_id, contact_id=who.local_id)
                if who.local_id is not None
                else "",
                external_id_field=options.external_id_field(who.sobject),
                polymorphic=True,
            )
        )
    if who.sobject != LEAD_SOBJECT and who.account is not None:
        fields.update(
            reference(
                id_field="WhatId",
                relationship="What",
                sobject="Account",
                salesforce_id=who.account.salesforce_id,
                external_id=external_ids.company_external_id(
                    organization_id=organization_id, company_id=who.account.id
                ),
                external_id_field=options.external_id_field("Account"),
                polymorphic=True,
            )
        )
    return fields


def _owner(salesforce_id: str) -> dict[str, Any]:
    return {"OwnerId": salesforce_id} if salesforce_id else {}


def check_pushable(interaction: InteractionData) -> None:
    if interaction.visibility == VISIBILITY_PRIVATE:
        raise NotPushable("Private interactions are never sent to Salesforce.")
    if interaction.kind == NOTE:
        raise NotPushable("Notes stay in Relintel.")
    if interaction.kind not in (EMAIL, CALL, MEETING):
        raise NotPushable(f"Interactions of kind “{interaction.kind}” are not synced.")


def interaction_external_id(interaction: InteractionData) -> str:
    return external_ids.interaction_external_id(
        organization_id=interaction.organization_id,
        interaction_id=interaction.id,
        kind=interaction.kind,
        external_id=interaction.external_id,
    )


def build_task(
    interaction: InteractionData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    """An email or call → Task. Raises ``NotPushable`` for private ones, meetings and notes."""
    check_pushable(interaction)
    if interaction.kind not in TASK_SUBTYPES:
        raise NotPushable("Meetings become Events, not Tasks.")
    defaults = CALL_TASK_DEFAULTS if interaction.kind == CALL else TASK_DEFAULTS
    values, dropped = mapped_values(
        local_fields=INTERACTION_FIELDS,
        defaults=defaults,
        configured=options.field_map(interaction.kind, "Task"),
        data=interaction,
        options=options,
    )
    subtype = TASK_SUBTYPES[interaction.kind]
    fixed = {
        "TaskSubtype": subtype,
        "Type": subtype,
        "Status": options.task_done_status,
        "Priority": options.task_priority,
        "ActivityDate": local_date(interaction.occurred_at, options),
        **who_what(primary_person(interaction), organization_id=interaction.organization_id, options=options),
        **_owner(interaction.owner_salesforce_id),
    }
    return assemble(
        sobject="Task",
        external_id_field=options.external_id_field("Task"),
        external_id=interaction_external_id(interaction),
        values=values,
        fixed=fixed,
        create_only=frozenset({"TaskSubtype"}),
        describe=describe,
        options=options,
        dropped=dropped,
    )


def meeting_times(interaction: InteractionData, options: MappingOptions) -> tuple[datetime.datetime, datetime.datetime]:
    start = interaction.occurred_at
    if start.tzinfo is None:
        start = start.replace(tzinfo=datetime.UTC)
    minutes = interaction.duration_minutes or options.default_meeting_minutes
    minutes = max(0, min(minutes, MAX_EVENT_MINUTES))
    return start, start + datetime.timedelta(minutes=minutes)


def build_event(
    interaction: InteractionData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    """A meeting → Event (``StartDateTime``, ``EndDateTime``, ``ActivityDateTime``)."""
    check_pushable(interaction)
    if interaction.kind != MEETING:
        raise NotPushable("Only meetings become Events.")
    values, dropped = mapped_values(
        local_fields=INTERACTION_FIELDS,
        defaults=EVENT_DEFAULTS,
        configured=options.field_map(MEETING, "Event"),
        data=interaction,
        options=options,
    )
    start, end = meeting_times(interaction, options)
    fixed = {
        "StartDateTime": start,
        "EndDateTime": end,
        "ActivityDateTime": start,
        **who_what(primary_person(interaction), organization_id=interaction.organization_id, options=options),
        **_owner(interaction.owner_salesforce_id),
    }
    return assemble(
        sobject="Event",
        external_id_field=options.external_id_field("Event"),
        external_id=interaction_external_id(interaction),
        values=values,
        fixed=fixed,
        describe=describe,
        options=options,
        dropped=dropped,
    )


def build_activity(
    interaction: InteractionData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    """Task or Event, whichever the interaction's kind becomes."""
    if interaction.kind == MEETING:
        return build_event(interaction, options=options, describe=describe)
    return build_task(interaction, options=options, describe=describe)


@dataclass(frozen=True)
class SkippedAttendee:
    name: str
    reason: str


def build_event_relations(
    interaction: InteractionData, *, event_salesforce_id: str, options: MappingOptions
) -> tuple[list[dict[str, Any]], list[SkippedAttendee]]:
    """EventRelation rows for the attendees other than the Event's Who.

    EventRelation has no custom fields, so it can't be upserted by an external id: rows are
    created with Salesforce ids (the attendees' Contacts, Leads or Users were pushed first),
    and ``diff_event_relations`` decides what to create and delete against what exists.
    """
    check_pushable(interaction)
    who = primary_person(interaction)
    rows: list[dict[str, Any]] = []
    skipped: list[SkippedAttendee] = []
    seen: set[str] = {who.salesforce_id} if who is not None and who.salesforce_id else set()
    related = options.event_relation_mode == "related"
    for participant in interaction.participants:
        person = participant.person
        name = (person.name if person else "") or participant.display_name or participant.address
        if person is None or person == who:
            if person is None and not participant.is_user:
                skipped.append(SkippedAttendee(name, "not a contact in Relintel"))
            continue
        if not person.salesforce_id:
            skipped.append(SkippedAttendee(name, f"not in Salesforce yet as a {person.sobject}"))
            continue
        if person.salesforce_id in seen:
            continue
        if related and person.sobject == "User":
            continue  # users are invitees, never "related to" an event
        seen.add(person.salesforce_id)
        row: dict[str, Any] = {
            "attributes": {"type": "EventRelation"},
            "EventId": event_salesforce_id,
            "RelationId": person.salesforce_id,
        }
        if related:
            row.update({"IsParent": True, "IsInvitee": False})
        else:
            row["Status"] = _RESPONSES.get(participant.response_status, "New")
        rows.append(row)
    return rows, skipped


def diff_event_relations(
    desired: Iterable[Mapping[str, Any]], existing: Iterable[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """``(to_create, to_update, ids_to_delete)`` by RelationId, from ``desired`` rows and
    ``existing`` ones (``SELECT Id, RelationId, Status FROM EventRelation WHERE EventId = …``).

    Only invitee rows (ones with a Status) are deleted when their person left the meeting;
    rows Salesforce made for the Who or that someone added by hand without a Status stay.
    """
    current = {str(row["RelationId"]): row for row in existing}
    wanted = {str(row["RelationId"]): row for row in desired}
    to_create = [dict(row) for key, row in wanted.items() if key not in current]
    to_update = [
        {"attributes": {"type": "EventRelation"}, "Id": current[key]["Id"], "Status": row["Status"]}
        for key, row in wanted.items()
        if key in current and "Status" in row and current[key].get("Status") != row["Status"]
    ]
    to_delete = [str(row["Id"]) for key, row in current.items() if key not in wanted and row.get("Status")]
    return to_create, to_update, sorted(to_delete)


def build_help_offer_task(
    offer: HelpOfferData, *, options: MappingOptions, describe: Mapping[str, Any] | None = None
) -> Payload:
    """A help offer → Task: "Give-first: …" or "Received: …", its status from the lifecycle."""
    values, dropped = mapped_values(
        local_fields=HELP_OFFER_FIELDS,
        defaults=HELP_TASK_DEFAULTS,
        configured=options.field_map("help_offer", "Task"),
        data=offer,
        options=options,
    )
    when: datetime.date | None = offer.due_date
    if when is None and offer.delivered_at is not None:
        when = local_date(offer.delivered_at, options)
    fixed: dict[str, Any] = {
        "TaskSubtype": "Task",
        "Type": "Other",
        "Status": options.help_statuses.get(offer.status, "Not Started"),
        "Priority": options.task_priority,
        "ActivityDate": when,
        **who_what(offer.contact, organization_id=offer.organization_id, options=options),
        **_owner(offer.owner_salesforce_id),
    }
    return assemble(
        sobject="Task",
        external_id_field=options.external_id_field("Task"),
        external_id=external_ids.help_offer_external_id(organization_id=offer.organization_id, help_offer_id=offer.id),
        values=values,
        fixed=fixed,
        create_only=frozenset({"TaskSubtype"}),
        describe=describe,
        options=options,
        dropped=dropped,
    )
