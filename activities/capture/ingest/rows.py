"""The capture writer's bulk statements: plain tuples in, one statement per table per batch.

On PostgreSQL each insert is one ``INSERT … SELECT … FROM unnest(%s::type[], …)``: one
array per column, adapted by psycopg2 in C, no Django model instance per row (building
and preparing those was most of the writer's time). Columns that are the same for the
whole batch (organization, owner, source, timestamps) are single parameters.

SQLite (the embedded mode) takes the slower ORM path with the same rows.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
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


# --- COPY -------------------------------------------------------------------------------------
# For rows that cannot conflict (or whose conflict is an error the writer retries), ``COPY …
# FROM STDIN`` straight into the table is the cheapest insert PostgreSQL has: its text format
# is parsed far faster than the literal arrays psycopg2 interpolates into an ``unnest``
# statement (measured ~40 % less per statement for participants, see BENCHMARKS.md).

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNSAFE = re.compile(r"[\\\t\n\r]")
_NULL = "\\N"


def _text(value: object) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES) if _UNSAFE.search(value) else value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _copy(sql: str, lines: Iterable[str]) -> None:
    """Run ``COPY … FROM STDIN`` with these lines, like any other statement of the connection.

    Through Django's execute wrappers and query log (so query budgets and timers see it)
    and its error translation (a unique violation is an ``IntegrityError`` the writer retries).
    """
    data = io.StringIO("".join(lines))
    with connection.cursor() as cursor:

        def copy(sql: str, params: object, many: bool, context: object) -> None:
            with connection.wrap_database_errors:
                cursor.cursor.copy_expert(sql, data)

        debug = getattr(cursor, "debug_sql", None)
        with debug(sql) if debug is not None else contextlib.nullcontext():
            cursor._execute_with_wrappers(sql, None, False, executor=copy)


# --- interactions ---------------------------------------------------------------------------

_INTERACTION_IDS = """
SELECT nextval(s.name) FROM (SELECT pg_get_serial_sequence('activities_interaction', 'id') AS name) AS s,
    generate_series(1, %s)
"""
_COPY_INTERACTIONS = (
    "COPY activities_interaction (id, organization_id, owner_id, team_id, source, visibility, created_at, updated_at,"
    " kind, occurred_at, duration_minutes, subject, body, direction, external_id, thread_id, attachments,"
    " external_version) FROM STDIN"
)


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
    """Insert the interactions; returns (kind, external_id) → id (external ids are never empty here).

    On PostgreSQL: their ids drawn from the table's sequence (one query), then one COPY. A
    message stored meanwhile by another batch is a unique violation (``IntegrityError``),
    which ``capture_ingest`` retries, exactly as with an INSERT.
    """
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
    with connection.cursor() as cursor:
        cursor.execute(_INTERACTION_IDS, [len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
    shared = "\t".join(map(_text, (organization_id, owner_id, team_id, source, visibility, now, now)))
    _copy(
        _COPY_INTERACTIONS,
        (
            f"{pk}\t{shared}\t"
            + "\t".join(
                map(
                    _text,
                    (
                        row.kind,
                        row.occurred_at,
                        row.duration_minutes,
                        row.subject,
                        row.body,
                        row.direction,
                        row.external_id,
                        row.thread_id,
                        json.dumps(row.attachments) if row.attachments else "[]",
                        row.external_version,
                    ),
                )
            )
            + "\n"
            for pk, row in zip(ids, rows, strict=True)
        ),
    )
    return {(row.kind, row.external_id): pk for pk, row in zip(ids, rows, strict=True)}


# --- participants ---------------------------------------------------------------------------

_COPY_PARTICIPANTS = (
    "COPY activities_participant (interaction_id, contact_id, user_id, address, display_name, role, response_status)"
    " FROM STDIN"
)


def participants_insert(*, rows: Sequence[ParticipantRow]) -> None:
    if not rows:
        return
    if not is_postgres():
        Participant.objects.bulk_create([Participant(**row._asdict()) for row in rows])
        return
    # The hottest loop of the writer (~2 rows a message): one f-string a row.
    n, esc, unsafe = _NULL, _COPY_ESCAPES, _UNSAFE.search
    _copy(
        _COPY_PARTICIPANTS,
        (
            f"{r[0]}\t{n if r[1] is None else r[1]}\t{n if r[2] is None else r[2]}"
            f"\t{r[3].translate(esc) if unsafe(r[3]) else r[3]}\t{r[4].translate(esc) if unsafe(r[4]) else r[4]}"
            f"\t{r[5].translate(esc) if unsafe(r[5]) else r[5]}\t{r[6].translate(esc) if unsafe(r[6]) else r[6]}\n"
            for r in rows
        ),
    )


# --- sightings --------------------------------------------------------------------------------

_INSERT_SIGHTINGS = """
INSERT INTO activities_capturesighting (interaction_id, user_id, account_id, source, created_at)
SELECT v.interaction_id, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS v(interaction_id)
ON CONFLICT DO NOTHING
"""
_COPY_SIGHTINGS = "COPY activities_capturesighting (interaction_id, user_id, account_id, source, created_at) FROM STDIN"


def sightings_insert(
    *,
    interaction_ids: Sequence[int],
    user_id: int,
    account_id: int | None,
    source: str,
    now: datetime.datetime,
    new_ids: Sequence[int] = (),
) -> None:
    """This rep's sighting of each interaction (already there: nothing happens).

    ``new_ids`` are interactions this transaction created: no sighting of them can exist
    yet, so they are copied in; the others are inserted ``ON CONFLICT DO NOTHING``.
    """
    if not interaction_ids and not new_ids:
        return
    if not is_postgres():
        CaptureSighting.objects.bulk_create(
            [
                CaptureSighting(interaction_id=i, user_id=user_id, account_id=account_id, source=source)
                for i in [*new_ids, *interaction_ids]
            ],
            ignore_conflicts=True,
        )
        return
    if new_ids:
        shared = "\t" + "\t".join(map(_text, (user_id, account_id, source, now))) + "\n"
        _copy(_COPY_SIGHTINGS, (f"{pk}{shared}" for pk in new_ids))
    if interaction_ids:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SIGHTINGS, [user_id, account_id, source, now, list(interaction_ids)])


# --- skips ------------------------------------------------------------------------------------

_DELETE_SKIPS = """
DELETE FROM activities_skippedmessage
WHERE organization_id = %s AND user_id = %s AND source = %s AND external_id = ANY(%s::text[])
"""
_COPY_SKIPS = (
    "COPY activities_skippedmessage (organization_id, user_id, account_id, source, created_at,"
    " external_id, subject, sender, reason, detail, occurred_at) FROM STDIN"
)


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
        # The DELETE just removed this rep's rows for these messages: a conflict can only be
        # a concurrent batch of the same rep and source, an IntegrityError the writer retries.
        shared = "\t".join(map(_text, (organization_id, user_id, account_id, source, now))) + "\t"
        _copy(_COPY_SKIPS, (shared + "\t".join(map(_text, row)) + "\n" for row in rows))


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
