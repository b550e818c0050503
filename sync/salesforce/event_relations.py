"""A meeting's other attendees, as EventRelation rows next to its Event.

EventRelation has no external id, so it is diffed against what exists: one query per 200
Events, then creates, updates and deletes in collections. A failure here is recorded on the
record's history and leaves the Event itself synced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sync.models import SyncRecordEvent
from sync.salesforce import domain
from sync.salesforce.errors import ApiBudgetExhausted, ApiLimitExceeded, ReauthorizationNeeded, SalesforceError
from sync.salesforce.mapping import build_event_relations, diff_event_relations
from sync.salesforce.matching import soql_string

if TYPE_CHECKING:
    from sync.salesforce.push import BatchPusher, Pushed


def push_event_relations(pusher: BatchPusher, pushed: Sequence[Pushed]) -> None:
    from sync.salesforce import loading
    from sync.salesforce.push import chunks

    if not pushed:
        return
    rows = {i.pk: i for i in loading.interaction_rows([p.entry.local_id for p in pushed])}
    desired: dict[str, list[dict[str, Any]]] = {}
    for result in pushed:
        interaction = rows.get(result.entry.local_id)
        if interaction is None:
            continue
        data = domain.from_interaction(interaction, options=pusher.options)
        wanted, _skipped = build_event_relations(data, event_salesforce_id=result.salesforce_id, options=pusher.options)
        if wanted or not result.created:
            desired[result.salesforce_id] = wanted
    if not desired:
        return
    try:
        existing: dict[str, list[dict[str, Any]]] = {}
        updated_events = [event_id for event_id in desired if not _created(pushed, event_id)]
        for part in chunks(updated_events):
            soql = (
                "SELECT Id, EventId, RelationId, Status FROM EventRelation WHERE EventId IN ("  # noqa: S608
                + ", ".join(soql_string(i) for i in part)
                + ")"
            )
            for row in pusher.client.query_all(soql):
                existing.setdefault(str(row["EventId"]), []).append(row)
        creates: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        deletes: list[str] = []
        for event_id, wanted in desired.items():
            c, u, d = diff_event_relations(wanted, existing.get(event_id, []))
            creates += c
            updates += u
            deletes += d
        for part in chunks(creates):
            _check(
                pusher,
                pusher.client.restful(
                    "composite/sobjects", method="POST", json={"allOrNone": False, "records": list(part)}
                ),
            )
        for part in chunks(updates):
            _check(
                pusher,
                pusher.client.restful(
                    "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": list(part)}
                ),
            )
        for part in chunks(deletes):
            _check(
                pusher,
                pusher.client.restful(
                    "composite/sobjects", method="DELETE", params={"ids": ",".join(part), "allOrNone": "false"}
                ),
            )
    except (ApiLimitExceeded, ApiBudgetExhausted, ReauthorizationNeeded):
        raise
    except SalesforceError as error:
        _note(pusher, error.code, f"Meeting attendees were not updated: {error.message}")


def _created(pushed: Sequence[Pushed], event_id: str) -> bool:
    return any(p.salesforce_id == event_id and p.created for p in pushed)


def _check(pusher: BatchPusher, results: Any) -> None:
    for result in results or []:
        if not result.get("success"):
            errors = result.get("errors") or [{}]
            _note(pusher, str(errors[0].get("statusCode") or ""), str(errors[0].get("message") or ""))


def _note(pusher: BatchPusher, code: str, message: str) -> None:
    SyncRecordEvent.objects.create(
        organization_id=pusher.organization_id,
        run=pusher.recorder.run,
        action="failed",
        code=code[:80],
        message=f"EventRelation: {message}",
    )
