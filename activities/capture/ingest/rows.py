"""The capture writer's bulk statements: plain tuples in, one statement per table per batch.

On PostgreSQL each insert is one ``INSERT … SELECT … FROM unnest(%s::type[], …)``: one
array per column, adapted by psycopg2 in C, no Django model instance per row (building
and preparing those was most of the writer's time). Columns that are the same for the
whole batch (organization, owner, source, timestamps) are single parameters.

SQLite (the embedded mode) takes the slower ORM path with the same rows.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.db import connection

from activities.models import CaptureSighting, Interaction, Participant, SkippedMessage


class InteractionRow(NamedTuple):
    kind: str
    occurred_at: datetime.datetime
    duration_minutes: int | None
    subject: str
    body: str
    direction: str
    external_id: str
    thread_id: str
    attachments: list[dict[str, object]]
    external_version: str


class ParticipantRow(NamedTuple):
    """A participant to insert; attribute names follow ``Participant``'s fields."""

    interaction_id: int
    contact_id: int | None
    user_id: int | None
    address: str
    display_name: str
    role: str
    response_status: str


class SkipRow(NamedTuple):
    external_id: str
    subject: str
    sender: str
    reason: str
    detail: str
    occurred_at: datetime.datetime | None


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _column(rows: Sequence[tuple[Any, ...]], index: int) -> list[Any]:
    return [row[index] for row in rows]


# --- interactions ---------------------------------------------------------------------------

_INSERT_INTERACTIONS = """
INSERT INTO activities_interaction (
    organization_id, owner_id, team_id, source, visibility, created_at, updated_at,
    kind, occurred_at, duration_minutes, subject, body, direction, external_id, thread_id,
    attachments, external_version
)
SELECT %s, %s, %s, %s, %s, %s, %s,
    v.kind, v.occurred_at, v.duration_minutes, v.subject, v.body, v.direction, v.external_id, v.thread_id,
    v.attachments::jsonb, v.external_version
FROM unnest(
    %s::text[], %s::timestamptz[], %s::integer[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
    %s::text[], %s::text[]
) AS v(kind, occurred_at, duration_minutes, subject, body, direction, external_id, thread_id,
       attachments, external_version)
RETURNING id, kind, external_id
"""


def interactions_insert(
    *,
    organization_id: int,
    owner_id: int,
    team_id: int | None,
    source: str,
    visibility: str,
    now: datetime.datetime,
    rows: Sequence[InteractionRow],
) -> dict[tuple[str, str], int]:
    """Insert the interactions; returns (kind, external_id) → id (external ids are never empty here)."""
    if not rows:
        return {}
    if not is_postgres():
        objects = [
            Interaction(
                organization_id=organization_id,
                owner_id=owner_id,
                team_id=team_id,
                source=source,
                visibility=visibility,
                **row._asdict(),
            )
            for row in rows
        ]
        Interaction.objects.bulk_create(objects)
        return {(o.kind, o.external_id): o.pk for o in objects}
    attachments = [json.dumps(row.attachments) if row.attachments else "[]" for row in rows]
    params: list[Any] = [organization_id, owner_id, team_id, source, visibility, now, now]
    params += [_column(rows, i) for i in range(8)]
    params += [attachments, _column(rows, 9)]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_INTERACTIONS, params)
        return {(kind, external_id): pk for pk, kind, external_id in cursor.fetchall()}


# --- participants ---------------------------------------------------------------------------

_INSERT_PARTICIPANTS = """
INSERT INTO activities_participant (
    interaction_id, contact_id, user_id, address, display_name, role, response_status
)
SELECT * FROM unnest(
    %s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]
)
"""


def participants_insert(*, rows: Sequence[ParticipantRow]) -> None:
    if not rows:
        return
    if not is_postgres():
        Participant.objects.bulk_create([Participant(**row._asdict()) for row in rows])
        return
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_PARTICIPANTS, [_column(rows, i) for i in range(7)])


# --- sightings --------------------------------------------------------------------------------

_INSERT_SIGHTINGS = """
INSERT INTO activities_capturesighting (interaction_id, user_id, account_id, source, created_at)
SELECT v.interaction_id, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS v(interaction_id)
ON CONFLICT DO NOTHING
"""


def sightings_insert(
    *, interaction_ids: Sequence[int], user_id: int, account_id: int | None, source: str, now: datetime.datetime
) -> None:
    """This rep's sighting of each interaction (already there: nothing happens)."""
    if not interaction_ids:
        return
    if not is_postgres():
        CaptureSighting.objects.bulk_create(
            [
                CaptureSighting(interaction_id=i, user_id=user_id, account_id=account_id, source=source)
                for i in interaction_ids
            ],
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SIGHTINGS, [user_id, account_id, source, now, list(interaction_ids)])


# --- skips ------------------------------------------------------------------------------------

_DELETE_SKIPS = """
DELETE FROM activities_skippedmessage
WHERE organization_id = %s AND user_id = %s AND source = %s AND external_id = ANY(%s::text[])
"""
_INSERT_SKIPS = """
INSERT INTO activities_skippedmessage (
    organization_id, user_id, account_id, source, created_at,
    external_id, subject, sender, reason, detail, occurred_at
)
SELECT %s, %s, %s, %s, %s, v.* FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[]
) AS v
ON CONFLICT DO NOTHING
"""


def skips_replace(
    *,
    organization_id: int,
    user_id: int,
    account_id: int | None,
    source: str,
    now: datetime.datetime,
    external_ids: Sequence[str],
    rows: Sequence[SkipRow],
) -> None:
    """Replace this rep's earlier verdicts on the batch's messages (``external_ids``) with ``rows``."""
    if not external_ids:
        return
    if not is_postgres():
        SkippedMessage.objects.filter(
            organization_id=organization_id, user_id=user_id, source=source, external_id__in=sorted(external_ids)
        ).delete()
        SkippedMessage.objects.bulk_create(
            [
                SkippedMessage(
                    organization_id=organization_id,
                    user_id=user_id,
                    account_id=account_id,
                    source=source,
                    **row._asdict(),
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_SKIPS, [organization_id, user_id, source, list(external_ids)])
        if rows:
            params: list[Any] = [organization_id, user_id, account_id, source, now]
            params += [_column(rows, i) for i in range(6)]
            cursor.execute(_INSERT_SKIPS, params)


# --- contacts' latest interaction ---------------------------------------------------------------

_LATEST_AT_LEAST = """
UPDATE contacts_contact AS c SET last_interaction_at = GREATEST(c.last_interaction_at, v.latest)
FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, latest)
WHERE c.id = v.id AND c.organization_id = %s
    AND (c.last_interaction_at IS NULL OR c.last_interaction_at < v.latest)
"""


def contacts_latest_at_least(*, organization_id: int, latest: Mapping[int, datetime.datetime]) -> None:
    """Move each contact's latest interaction forward to at least the given time (one UPDATE).

    Enough when a batch only *added* interactions: the latest one can only have moved
    forward. PostgreSQL only (the writer re-derives on SQLite).
    """
    if not latest:
        return
    ids = sorted(latest)
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_AT_LEAST, [ids, [latest[i] for i in ids], organization_id])
