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
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

# COPY's text-format helpers, shared with the capture writer.
from activities.capture.ingest.rows import _copy, _text
from activities.models import Interaction, Participant, ScoringPolicy
from activities.scoring import HelpFact, InteractionFact, Score, ScoringWeights, score_relationship
from contacts.models import Contact, HelpOffer, HelpStatus, Relationship, RelationshipChange

Pair = tuple[int, int]  # (user id, contact id)
# One advisory-lock namespace for relationship writes; the second key is the organization.
_LOCK_NAMESPACE = 0x52454C  # "REL"
_FETCH = 20_000
_REBUILD_WORK_MEM = "256MB"

_FACTS_SQL = """
SELECT i.owner_id, pc.contact_id, i.kind, i.direction, EXTRACT(EPOCH FROM i.occurred_at)::float8,
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
SELECT h.user_id, h.contact_id, h.direction, EXTRACT(EPOCH FROM h.delivered_at)::float8, COALESCE(c.full_name, '')
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, organization_id])


def _facts_sql(*, contacts: bool) -> str:
    interactions = f"SELECT id FROM {_table(Interaction)} WHERE organization_id = %s AND owner_id IS NOT NULL"  # noqa: S608
    if contacts:
        # A refresh: these contacts' interactions only (their other participants still count in n).
        interactions += f" AND id IN (SELECT interaction_id FROM {_table(Participant)} WHERE contact_id = ANY(%s))"  # noqa: S608
    pairs = "pc.contact_id = ANY(%s)" if contacts else "TRUE"
    return _FACTS_SQL.format(
        participant=_table(Participant), interaction=_table(Interaction), interactions=interactions, pairs=pairs
    )


def _help_by_pair(
    cursor: object, organization_id: int, contact_ids: Sequence[int] | None
) -> dict[Pair, list[HelpFact]]:
    sql = _HELP_SQL.format(
        help_offer=_table(HelpOffer),
        contact=_table(Contact),
        contacts="AND h.contact_id = ANY(%s)" if contact_ids is not None else "",
    )
    params: list[object] = [organization_id, HelpStatus.DELIVERED]
    if contact_ids is not None:
        params.append(list(contact_ids))
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
) -> Iterator[tuple[Pair, Score]]:
    for pair, facts in fact_pairs:
        yield pair, score_relationship(facts, help_by_pair.pop(pair, ()), now=now, weights=weights)
    # Help delivered to someone never talked to is still a relationship.
    for pair, help_facts in sorted(help_by_pair.items()):
        yield pair, score_relationship((), help_facts, now=now, weights=weights)


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
        cursor.execute(_facts_sql(contacts=True), [organization_id, contact_ids, contact_ids])
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


def _copy_field(value: object) -> str:
    """One value in COPY's text format; the common types first, without a regex."""
    if value is None:
        return "\\N"
    cls = value.__class__
    if cls is int or cls is float:
        return str(value)
    if cls is dict:
        # JSON escapes control characters itself; only its backslashes need doubling for COPY.
        encoded = json.dumps(value, separators=(",", ":"))
        return encoded.replace("\\", "\\\\") if "\\" in encoded else encoded
    return _text(value)


def _copy_line(values: Sequence[object]) -> str:
    return "\t".join(map(_copy_field, values)) + "\n"


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
    _lock(organization_id)
    weights = scoring_weights_for(organization_id=organization_id)
    existing = _existing(organization_id=organization_id, contact_ids=None)
    say(f"{len(existing):,} existing relationships read")
    with connection.cursor() as cursor:
        help_by_pair = _help_by_pair(cursor, organization_id, None)
    lines: list[str] = []
    change_lines: list[str] = []
    read = 0

    def stream() -> Iterator[Sequence[object]]:
        nonlocal read
        # A server-side cursor: the facts arrive in batches, never all in memory at once.
        # The two sorts (by interaction for the mass-mail count, by pair for the stream)
        # stay in memory instead of spilling to disk; for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{_REBUILD_WORK_MEM}'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(_facts_sql(contacts=False), [organization_id])
            while batch := cursor.fetchmany(_FETCH):
                if not read:
                    say(f"facts query answered ({time.perf_counter() - started:.1f} s)")
                yield from batch
                read += len(batch)
                if read % 200_000 < _FETCH:
                    say(f"{read:,} interaction facts scored ({time.perf_counter() - started:.1f} s)")

    for pair, score in _score_all(_pairs(stream()), help_by_pair, now=now, weights=weights):
        values, change = _row(organization_id, pair, score, existing.get(pair), now)
        lines.append(_copy_line(values))
        if change is not None:
            change_lines.append(_copy_line(change))
    say(f"{read:,} interaction facts scored ({time.perf_counter() - started:.1f} s)")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Relationship)} WHERE organization_id = %s", [organization_id])  # noqa: S608
    _copy(f"COPY {_table(Relationship)} ({', '.join(_REL_COLUMNS)}) FROM STDIN", lines)
    if change_lines:
        _copy(f"COPY {_table(RelationshipChange)} ({', '.join(_CHANGE_COLUMNS)}) FROM STDIN", change_lines)
    seconds = time.perf_counter() - started
    say(f"{len(lines):,} relationships written, {len(change_lines):,} band changes ({seconds:.1f} s)")
    return RebuildResult(relationships=len(lines), changes=len(change_lines), interactions_read=read, seconds=seconds)
