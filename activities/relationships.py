"""Writes for derived relationships: the incremental refresh and the full rebuild.

Both read the same facts (every interaction a user owns with a contact, and every delivered
help offer between them), score each user × contact pair with the one pure function
(``activities.scoring.score_relationship``) and record a ``RelationshipChange`` whenever a
pair enters a band. They differ only in scope and in how they write:

* ``relationships_refresh`` (after an interaction or help offer is saved, in a worker):
  the pairs of a few contacts, read in two queries, upserted.
* ``relationships_rebuild`` (``manage.py rebuild_relationships``, nightly rescoring since
  strength decays with time): the whole organization's facts streamed in (owner, contact)
  order through a server-side cursor, scored in Python, written with ``COPY``. At a million
  interactions that is one sequential read and one bulk write, never a query per pair.

Both take the organization's advisory lock, so a refresh never interleaves with a rebuild.
A pair's interactions count for the interaction's *owner* only (a private one too: it adds
to its owner's score, and nobody else ever sees its content).
"""

from __future__ import annotations

import datetime
import itertools
import json
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

# COPY through Django's cursor, shared with the capture writer.
from activities.capture.ingest.rows import _copy
from activities.models import Interaction, Participant, ScoringPolicy
from activities.scoring import (
    HelpFact,
    InteractionFact,
    Score,
    ScoreSeconds,
    ScoringWeights,
    score_relationship,
    score_relationship_seconds,
)
from contacts.models import Contact, HelpOffer, HelpStatus, Relationship, RelationshipChange

Pair = tuple[int, int]  # (user id, contact id)
# One advisory-lock namespace for relationship writes; the second key is the organization.
_LOCK_NAMESPACE = 0x52454C  # "REL"
_FETCH = 20_000
_REBUILD_WORK_MEM = "256MB"
_S = TypeVar("_S", Score, ScoreSeconds)

_FACTS_SQL = """
SELECT i.owner_id, pc.contact_id, i.kind, i.direction, {occurred_epoch},
       CASE WHEN i.kind = 'email' THEN i.thread_id ELSE '' END, pc.n
FROM (
    SELECT d.interaction_id, d.contact_id, COUNT(*) OVER (PARTITION BY d.interaction_id) AS n
    FROM (
        SELECT DISTINCT p.interaction_id, p.contact_id
        FROM {participant} p
        WHERE p.contact_id IS NOT NULL AND p.interaction_id IN ({interactions})
    ) d
) pc
JOIN {interaction} i ON i.id = pc.interaction_id
WHERE {pairs}
ORDER BY i.owner_id, pc.contact_id, i.id
"""

_HELP_SQL = """
SELECT h.user_id, h.contact_id, h.direction, {delivered_epoch}, COALESCE(c.full_name, '')
FROM {help_offer} h LEFT JOIN {contact} c ON c.id = h.intro_contact_id AND h.direction = 'given'
WHERE h.organization_id = %s AND h.status = %s {contacts}
ORDER BY h.user_id, h.contact_id, h.id
"""

_REL_COLUMNS = (
    "organization_id",
    "user_id",
    "contact_id",
    "strength",
    "band",
    "interaction_count",
    "meeting_count",
    "inbound_count",
    "outbound_count",
    "help_given_count",
    "help_received_count",
    "first_interaction_at",
    "last_interaction_at",
    "last_inbound_at",
    "last_outbound_at",
    "rhythm_days",
    "components",
    "previous_band",
    "band_changed_at",
    "updated_at",
)
_SCORE_FIELDS = _REL_COLUMNS[3:17]


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def scoring_weights_for(*, organization_id: int) -> ScoringWeights:
    """The organization's weights (its policy is created with the defaults on first use)."""
    policy, _ = ScoringPolicy.objects.get_or_create(organization_id=organization_id)
    return ScoringWeights.from_policy(policy)


def _lock(organization_id: int) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite (the embedded demo) has one writer at a time anyway
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, organization_id])


def _epoch(column: str) -> str:
    """Seconds since 1970 of a timestamp column, as a float (PostgreSQL; SQLite for the embedded demo)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    return f"((julianday({column}) - 2440587.5) * 86400.0)"


def _any(column: str, values: Sequence[int]) -> tuple[str, list[object]]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL, a list elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _facts_sql(*, contact_ids: Sequence[int] | None) -> tuple[str, list[object]]:
    """The facts query of the organization (its first parameter) and its other parameters."""
    interactions = f"SELECT id FROM {_table(Interaction)} WHERE organization_id = %s AND owner_id IS NOT NULL"  # noqa: S608
    params: list[object] = []
    pairs = "1 = 1"
    if contact_ids is not None:
        # A refresh: these contacts' interactions only (their other participants still count in n).
        inner, inner_params = _any("contact_id", contact_ids)
        interactions += f" AND id IN (SELECT interaction_id FROM {_table(Participant)} WHERE {inner})"  # noqa: S608
        pairs, pair_params = _any("pc.contact_id", contact_ids)
        params = inner_params + pair_params
    sql = _FACTS_SQL.format(
        participant=_table(Participant),
        interaction=_table(Interaction),
        interactions=interactions,
        pairs=pairs,
        occurred_epoch=_epoch("i.occurred_at"),
    )
    return sql, params


def _help_by_pair(
    cursor: object, organization_id: int, contact_ids: Sequence[int] | None
) -> dict[Pair, list[HelpFact]]:
    params: list[object] = [organization_id, HelpStatus.DELIVERED]
    contacts = ""
    if contact_ids is not None:
        condition, extra = _any("h.contact_id", contact_ids)
        contacts = f"AND {condition}"
        params += extra
    sql = _HELP_SQL.format(
        help_offer=_table(HelpOffer),
        contact=_table(Contact),
        contacts=contacts,
        delivered_epoch=_epoch("h.delivered_at"),
    )
    cursor.execute(sql, params)  # type: ignore[attr-defined]
    found: dict[Pair, list[HelpFact]] = {}
    for user_id, contact_id, direction, delivered_at, intro_name in cursor.fetchall():  # type: ignore[attr-defined]
        found.setdefault((user_id, contact_id), []).append(HelpFact(direction, delivered_at, intro_name))
    return found


def _pairs(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[Pair, list[InteractionFact]]]:
    """Group fact rows, ordered by pair, into each pair's facts.

    A row is (owner, contact, kind, direction, seconds, thread, contacts); its tail is the
    fact as ``score_relationship`` reads it (by position), so no object is built per fact.
    """
    for pair, group in itertools.groupby(rows, key=_PAIR_KEY):
        yield pair, [row[2:] for row in group]  # type: ignore[misc]


_PAIR_KEY = operator.itemgetter(0, 1)


def _score_all(
    fact_pairs: Iterable[tuple[Pair, list[InteractionFact]]],
    help_by_pair: dict[Pair, list[HelpFact]],
    *,
    now: datetime.datetime,
    weights: ScoringWeights,
    score: Callable[..., _S] = score_relationship,  # type: ignore[assignment]
) -> Iterator[tuple[Pair, _S]]:
    for pair, facts in fact_pairs:
        yield pair, score(facts, help_by_pair.pop(pair, ()), now=now, weights=weights)
    # Help delivered to someone never talked to is still a relationship.
    for pair, help_facts in sorted(help_by_pair.items()):
        yield pair, score((), help_facts, now=now, weights=weights)


@dataclass(frozen=True)
class _Existing:
    pk: int
    band: str
    previous_band: str
    band_changed_at: datetime.datetime | None


def _existing(*, organization_id: int, contact_ids: Sequence[int] | None) -> dict[Pair, _Existing]:
    rows = Relationship.objects.filter(organization_id=organization_id)
    if contact_ids is not None:
        rows = rows.filter(contact_id__in=contact_ids)
    return {
        (u, c): _Existing(pk, band, previous, changed)
        for pk, u, c, band, previous, changed in rows.values_list(
            "pk", "user_id", "contact_id", "band", "previous_band", "band_changed_at"
        ).iterator(chunk_size=_FETCH)
    }


def _row(
    organization_id: int, pair: Pair, score: Score, old: _Existing | None, now: datetime.datetime
) -> tuple[tuple[object, ...], tuple[object, ...] | None]:
    """The relationship row's values, and the band change to record (if any)."""
    change: tuple[object, ...] | None = None
    changed_at: datetime.datetime | None
    if old is None:
        previous, changed_at = "", now
        change = (organization_id, pair[0], pair[1], "", score.band, now)
    elif old.band != score.band:
        previous, changed_at = old.band, now
        change = (organization_id, pair[0], pair[1], old.band, score.band, now)
    else:
        previous, changed_at = old.previous_band, old.band_changed_at
    values = (
        organization_id,
        pair[0],
        pair[1],
        score.strength,
        score.band,
        score.interaction_count,
        score.meeting_count,
        score.inbound_count,
        score.outbound_count,
        score.help_given_count,
        score.help_received_count,
        score.first_interaction_at,
        score.last_interaction_at,
        score.last_inbound_at,
        score.last_outbound_at,
        score.rhythm_days,
        score.components,
        previous,
        changed_at,
        now,
    )
    return values, change


@transaction.atomic
def relationships_refresh(
    *, organization_id: int, contact_ids: Sequence[int], now: datetime.datetime | None = None
) -> int:
    """Re-score every user × contact pair of these contacts from all their facts.

    Idempotent: the rows are derived, so running it twice gives the same rows (and records
    no band change the second time). Returns the number of relationship rows written.
    """
    now = now or timezone.now()
    contact_ids = sorted({int(c) for c in contact_ids})
    if not contact_ids:
        return 0
    _lock(organization_id)
    weights = scoring_weights_for(organization_id=organization_id)
    with connection.cursor() as cursor:
        help_by_pair = _help_by_pair(cursor, organization_id, contact_ids)
        sql, params = _facts_sql(contact_ids=contact_ids)
        cursor.execute(sql, [organization_id, *params])  # type: ignore[list-item]  # ids and id lists
        scored = list(_score_all(_pairs(cursor.fetchall()), help_by_pair, now=now, weights=weights))
    existing = _existing(organization_id=organization_id, contact_ids=contact_ids)
    rows, changes = [], []
    for pair, score in scored:
        values, change = _row(organization_id, pair, score, existing.pop(pair, None), now)
        rows.append(Relationship(**dict(zip(_REL_COLUMNS, values, strict=True))))
        if change is not None:
            changes.append(RelationshipChange(**dict(zip(_CHANGE_COLUMNS, change, strict=True))))
    if existing:  # pairs with nothing left to score
        Relationship.objects.filter(pk__in=[old.pk for old in existing.values()]).delete()
    Relationship.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "contact"],
        update_fields=[c.removesuffix("_id") for c in _REL_COLUMNS[3:]],
    )
    RelationshipChange.objects.bulk_create(changes)
    return len(rows)


_CHANGE_COLUMNS = ("organization_id", "user_id", "contact_id", "from_band", "to_band", "changed_at")

# The rebuild stages its scores here (no index, no foreign key, dropped at commit), then
# applies them to the relationship table in four set-based statements. Times stay POSIX
# seconds until PostgreSQL turns them into timestamps (``to_timestamp``: exact to the
# microsecond for any time a timestamp can hold, as is Python's ``fromtimestamp``).
_STAGE = "relationship_rebuild_stage"
_STAGE_SQL = f"""
CREATE TEMPORARY TABLE {_STAGE} (
    user_id bigint NOT NULL, contact_id bigint NOT NULL, strength smallint NOT NULL, band varchar(10) NOT NULL,
    interaction_count integer NOT NULL, meeting_count integer NOT NULL, inbound_count integer NOT NULL,
    outbound_count integer NOT NULL, help_given_count integer NOT NULL, help_received_count integer NOT NULL,
    first_interaction_at float8, last_interaction_at float8, last_inbound_at float8, last_outbound_at float8,
    rhythm_days float8, components jsonb NOT NULL
) ON COMMIT DROP
"""
_TIMES = ("first_interaction_at", "last_interaction_at", "last_inbound_at", "last_outbound_at")
_PLAIN = tuple(c for c in _SCORE_FIELDS if c not in _TIMES)


def _staged(column: str) -> str:
    return f"to_timestamp(n.{column})" if column in _TIMES else f"n.{column}"


def _apply_sql() -> list[str]:
    """Band changes, vanished pairs, updated pairs, new pairs: %(org)s and %(now)s."""
    rel = _table(Relationship)
    same_pair = "r.user_id = n.user_id AND r.contact_id = n.contact_id AND r.organization_id = %(org)s"
    return [
        # Before the update, while the old bands are still there.
        f"""INSERT INTO {_table(RelationshipChange)} ({", ".join(_CHANGE_COLUMNS)})
        SELECT %(org)s, n.user_id, n.contact_id, COALESCE(r.band, ''), n.band, %(now)s
        FROM {_STAGE} n LEFT JOIN {rel} r ON {same_pair}
        WHERE r.id IS NULL OR r.band <> n.band ORDER BY n.user_id, n.contact_id""",  # noqa: S608
        f"""DELETE FROM {rel} r WHERE r.organization_id = %(org)s
        AND NOT EXISTS (SELECT 1 FROM {_STAGE} n WHERE n.user_id = r.user_id AND n.contact_id = r.contact_id)""",  # noqa: S608
        # An update keeps the row's keys, so no foreign key is checked again (a DELETE and
        # INSERT of every row checked three per row, at commit).
        f"""UPDATE {rel} r SET {", ".join(f"{c} = {_staged(c)}" for c in _SCORE_FIELDS)},
            previous_band = CASE WHEN r.band <> n.band THEN r.band ELSE r.previous_band END,
            band_changed_at = CASE WHEN r.band <> n.band THEN %(now)s ELSE r.band_changed_at END,
            updated_at = %(now)s
        FROM {_STAGE} n WHERE {same_pair}""",  # noqa: S608
        f"""INSERT INTO {rel} ({", ".join(_REL_COLUMNS)})
        SELECT %(org)s, n.user_id, n.contact_id, {", ".join(_staged(c) for c in _SCORE_FIELDS)}, '', %(now)s, %(now)s
        FROM {_STAGE} n WHERE NOT EXISTS (SELECT 1 FROM {rel} r WHERE {same_pair})""",  # noqa: S608
    ]


def _stage_line(pair: Pair, s: ScoreSeconds) -> str:
    """One staged row in COPY's text format (numbers, a band and JSON: nothing else to escape)."""
    components = json.dumps(s.components, separators=(",", ":"))
    if "\\" in components:  # JSON escapes control characters itself; COPY needs its backslashes doubled
        components = components.replace("\\", "\\\\")
    n = "\\N"
    return (
        f"{pair[0]}\t{pair[1]}\t{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\t{s[5]}\t{s[6]}\t{s[7]}"
        f"\t{n if s[8] is None else s[8]}\t{n if s[9] is None else s[9]}\t{n if s[10] is None else s[10]}"
        f"\t{n if s[11] is None else s[11]}\t{n if s[12] is None else s[12]}\t{components}\n"
    )


@dataclass(frozen=True)
class RebuildResult:
    relationships: int
    changes: int
    interactions_read: int
    seconds: float


@transaction.atomic
def relationships_rebuild(
    *,
    organization_id: int,
    now: datetime.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Re-score every relationship of an organization from scratch; returns the row count."""
    return relationships_rebuild_detailed(organization_id=organization_id, now=now, progress=progress).relationships


_REFRESH_CHUNK = 500


def _rebuild_by_refresh(
    *, organization_id: int, now: datetime.datetime, started: float, say: Callable[[str], None]
) -> RebuildResult:
    """The rebuild without PostgreSQL (the embedded SQLite demo, thousands of contacts): every
    contact with facts or a relationship refreshed, in chunks. Same rows, slower at scale."""
    contact_ids = sorted(
        set(
            Participant.objects.filter(interaction__organization_id=organization_id, contact_id__isnull=False)
            .values_list("contact_id", flat=True)
            .distinct()
        )
        | set(Relationship.objects.filter(organization_id=organization_id).values_list("contact_id", flat=True))
        | set(HelpOffer.objects.filter(organization_id=organization_id).values_list("contact_id", flat=True).distinct())
    )
    before = RelationshipChange.objects.filter(organization_id=organization_id).count()
    for start in range(0, len(contact_ids), _REFRESH_CHUNK):
        relationships_refresh(
            organization_id=organization_id, contact_ids=contact_ids[start : start + _REFRESH_CHUNK], now=now
        )
    total = Relationship.objects.filter(organization_id=organization_id).count()
    changes = RelationshipChange.objects.filter(organization_id=organization_id).count() - before
    seconds = time.perf_counter() - started
    say(f"{total:,} relationships written, {changes:,} band changes ({seconds:.1f} s)")
    return RebuildResult(relationships=total, changes=changes, interactions_read=0, seconds=seconds)


@transaction.atomic
def relationships_rebuild_detailed(
    *,
    organization_id: int,
    now: datetime.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> RebuildResult:
    """The rebuild, with what it read and wrote and how long it took (for the command)."""
    started = time.perf_counter()
    now = now or timezone.now()
    say = progress or (lambda _message: None)
    if connection.vendor != "postgresql":
        return _rebuild_by_refresh(organization_id=organization_id, now=now, started=started, say=say)
    _lock(organization_id)
    weights = scoring_weights_for(organization_id=organization_id)
    with connection.cursor() as cursor:
        help_by_pair = _help_by_pair(cursor, organization_id, None)
    read = 0

    def stream() -> Iterator[Sequence[object]]:
        nonlocal read
        # A server-side cursor: the facts arrive in batches, never all in memory at once.
        # The two sorts (by interaction for the mass-mail count, by pair for the stream)
        # stay in memory instead of spilling to disk. The distinct (interaction, contact)
        # pairs are sorted rather than hashed: the window that counts each interaction's
        # contacts needs them in that order anyway (hash then sort: ~20 % slower). Both
        # settings only for this query: the caller's transaction gets its own back.
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('work_mem'), current_setting('enable_hashagg')")
            previous = cursor.fetchone()
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), set_config('enable_hashagg', 'off', true)",
                [_REBUILD_WORK_MEM],
            )
        with connection.chunked_cursor() as cursor:
            cursor.execute(_facts_sql(contact_ids=None)[0], [organization_id])
            while batch := cursor.fetchmany(_FETCH):
                if not read:
                    say(f"facts query answered ({time.perf_counter() - started:.1f} s)")
                yield from batch
                read += len(batch)
                if read % 200_000 < _FETCH:
                    say(f"{read:,} interaction facts scored ({time.perf_counter() - started:.1f} s)")
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true), set_config('enable_hashagg', %s, true)", previous)

    scored = _score_all(_pairs(stream()), help_by_pair, now=now, weights=weights, score=score_relationship_seconds)
    lines = [_stage_line(pair, score) for pair, score in scored]
    say(f"{read:,} interaction facts scored ({time.perf_counter() - started:.1f} s)")
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_SQL)
    _copy(f"COPY {_STAGE} FROM STDIN", lines)
    say(f"{len(lines):,} relationships staged ({time.perf_counter() - started:.1f} s)")
    written: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_STAGE}")  # a temporary table has no statistics until asked
        for name, sql in zip(("band changes", "gone", "updated", "new"), _apply_sql(), strict=True):
            cursor.execute(sql, {"org": organization_id, "now": now})
            written[name] = cursor.rowcount
            say(f"{cursor.rowcount:,} {name} ({time.perf_counter() - started:.1f} s)")
        # Dropped now rather than at commit: an outer transaction may rebuild again.
        cursor.execute(f"DROP TABLE {_STAGE}")
    changes = written["band changes"]
    seconds = time.perf_counter() - started
    say(
        f"{len(lines):,} relationships written ({written['updated']:,} updated, {written['new']:,} new, "
        f"{written['gone']:,} gone), {changes:,} band changes ({seconds:.1f} s)"
    )
    return RebuildResult(relationships=len(lines), changes=changes, interactions_read=read, seconds=seconds)
