"""The outbox: what is owed to Salesforce, written in the same transaction as the change.

``outbox_enqueue`` and ``outbox_enqueue_many`` are what domain services call (through
``sync.services``). They insert with ``ON CONFLICT DO UPDATE`` against the partial unique
constraint ``outbox_one_open_per_key`` (one pending or in-flight row per object), so two
concurrent changes to one contact never make two rows, and never fail each other.

A change that arrives while its row is in flight bumps the row's ``updated_at``: the worker
finishing the push sees that its claim is stale and puts the row back to ``pending`` instead
of ``synced`` (see ``sync.salesforce.push``), so the later change is pushed too.

Nothing is written for an organization without a live Salesforce connection; that fact is
looked up once per transaction (private interactions and notes are never written at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection as db_connection
from django.db import transaction

from sync.models import ConnectionStatus, LocalKind, OutboxOperation, SalesforceConnection

# What interactions become, by kind: notes stay in Relintel.
PUSHED_INTERACTION_KINDS = (LocalKind.EMAIL, LocalKind.CALL, LocalKind.MEETING)
INTERACTION = "interaction"  # "look the kind up": for callers that hold interaction ids only

_INSERT_HEAD = """
INSERT INTO sync_outboxentry
    (organization_id, object_kind, local_id, operation, dedupe_key, state, attempts,
     next_attempt_at, claimed_by, claimed_until, last_error_code, last_error_message, created_at, updated_at)
"""
# The partial unique index's predicate must be repeated for PostgreSQL to infer it.
_ON_CONFLICT = """
ON CONFLICT (organization_id, dedupe_key) WHERE state IN ('pending', 'in_flight')
DO UPDATE SET operation = EXCLUDED.operation, updated_at = clock_timestamp(),
              next_attempt_at = LEAST(sync_outboxentry.next_attempt_at, EXCLUDED.next_attempt_at)
"""
_VALUES = "(%s, %s, %s, %s, %s, 'pending', 0, NULL, '', NULL, '', '', now(), clock_timestamp())"


def dedupe_key(kind: str, local_id: int) -> str:
    return f"{kind}:{local_id}"


# --- is the organization connected? (once per transaction) ------------------------------------


def _sentinel() -> None:
    """Registered with ``on_commit`` only to mark the transaction the cache belongs to."""


def _cached(organization_id: int) -> bool | None:
    cache: dict[int, bool] | None = getattr(db_connection, "_relintel_sync_active", None)
    # The sentinel leaves run_on_commit when the transaction commits or rolls back: then the
    # cache belongs to a finished transaction and is not trusted.
    if cache is None or not db_connection.in_atomic_block:
        return None
    if not any(entry[1] is _sentinel for entry in db_connection.run_on_commit):
        db_connection._relintel_sync_active = None  # type: ignore[attr-defined]
        return None
    return cache.get(organization_id)


def _remember(organization_id: int, active: bool) -> None:
    if not db_connection.in_atomic_block:
        return
    cache = getattr(db_connection, "_relintel_sync_active", None)
    if cache is None or not any(entry[1] is _sentinel for entry in db_connection.run_on_commit):
        cache = {}
        transaction.on_commit(_sentinel)
        db_connection._relintel_sync_active = cache  # type: ignore[attr-defined]
    cache[organization_id] = active


def sync_active(*, organization_id: int) -> bool:
    """Does the organization have a Salesforce connection that changes should be queued for?"""
    known = _cached(organization_id)
    if known is not None:
        return known
    active = (
        SalesforceConnection.objects.filter(organization_id=organization_id)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .exists()
    )
    _remember(organization_id, active)
    return active


# --- enqueue -----------------------------------------------------------------------------------


def outbox_enqueue(*, organization_id: int, kind: str, local_id: int, operation: str = OutboxOperation.UPSERT) -> bool:
    """Queue one local row for Salesforce, in the caller's transaction. True when queued.

    ``kind`` is a ``LocalKind`` (``company``, ``contact``, ``email``, ``call``, ``meeting``,
    ``help_offer``); use ``outbox_enqueue_interaction`` or ``kind="interaction"`` with
    ``outbox_enqueue_many`` for interactions, so private ones and notes are left out.
    """
    if kind not in LocalKind.values:
        raise ValueError(f"Unknown outbox kind “{kind}”.")
    if operation not in OutboxOperation.values:
        raise ValueError(f"Unknown outbox operation “{operation}”.")
    if not sync_active(organization_id=organization_id):
        return False
    with db_connection.cursor() as cursor:
        cursor.execute(
            _INSERT_HEAD + " VALUES " + _VALUES + _ON_CONFLICT,
            [organization_id, kind, local_id, operation, dedupe_key(kind, local_id)],
        )
    return True


def outbox_enqueue_interaction(
    *, organization_id: int, interaction_id: int, kind: str, visibility: str, operation: str = OutboxOperation.UPSERT
) -> bool:
    """An interaction: private ones and notes never leave Relintel (a delete always may)."""
    if kind not in PUSHED_INTERACTION_KINDS:
        return False
    if visibility == "private" and operation != OutboxOperation.DELETE:
        return False
    return outbox_enqueue(organization_id=organization_id, kind=kind, local_id=interaction_id, operation=operation)


def outbox_enqueue_many(
    *, organization_id: int, kind: str, local_ids: Iterable[int], operation: str = OutboxOperation.UPSERT
) -> int:
    """Queue many rows of one kind in one statement; returns how many rows were written or folded.

    For interactions pass ``kind="interaction"`` (or a pushed kind): the kind is read from
    each row, and private interactions and notes are left out by the same statement.
    """
    ids = sorted({int(i) for i in local_ids})
    if not ids or not sync_active(organization_id=organization_id):
        return 0
    if kind == INTERACTION or kind in PUSHED_INTERACTION_KINDS:
        kinds = list(PUSHED_INTERACTION_KINDS) if kind == INTERACTION else [kind]
        # Driven by the ids (primary-key lookups), so a capture batch never scans the organization's
        # interactions, whatever the planner's statistics say about it.
        select = """
            SELECT i.organization_id, i.kind, i.id, %s, i.kind || ':' || i.id, 'pending', 0, NULL, '', NULL, '', '',
                   now(), clock_timestamp()
            FROM unnest(%s::bigint[]) AS wanted(id)
            JOIN activities_interaction i ON i.id = wanted.id
            WHERE i.organization_id = %s AND i.kind = ANY(%s) AND i.visibility <> 'private'
        """
        params: list[Any] = [operation, ids, organization_id, kinds]
    elif kind in LocalKind.values:
        select = """
            SELECT %s, %s, local_id, %s, %s || ':' || local_id, 'pending', 0, NULL, '', NULL, '', '',
                   now(), clock_timestamp()
            FROM unnest(%s::bigint[]) AS local_id
        """
        params = [organization_id, kind, operation, kind, ids]
    else:
        raise ValueError(f"Unknown outbox kind “{kind}”.")
    with db_connection.cursor() as cursor:
        cursor.execute(_INSERT_HEAD + select + _ON_CONFLICT, params)
        return cursor.rowcount


_UNLINKED_COMPANIES_OF_CONTACTS = """
    SELECT %s, 'company', company_id, 'upsert', 'company:' || company_id, 'pending', 0, NULL, '', NULL, '', '',
           now(), clock_timestamp()
    FROM (SELECT DISTINCT c.company_id FROM contacts_contact c
          WHERE c.organization_id = %s AND c.id = ANY(%s) AND c.company_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM sync_salesforcelink l
                            WHERE l.organization_id = c.organization_id AND l.local_kind = 'company'
                              AND l.local_id = c.company_id AND l.salesforce_id <> '')) AS unlinked
"""
_CAPTURED = """
    SELECT %s, kind, id, 'upsert', kind || ':' || id, 'pending', 0, NULL, '', NULL, '', '', now(), clock_timestamp()
    FROM unnest(%s::bigint[], %s::text[]) AS captured(id, kind)
"""


def captured_enqueue(
    *,
    organization_id: int,
    new: Iterable[tuple[int, str]],
    visibility: str,
    changed_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
) -> int:
    """What a capture batch owes: its new interactions (``(id, kind)``, all of the batch's
    ``visibility``), the stored ones it changed (newer meeting versions), the contacts it created
    and those contacts' companies not yet in Salesforce (a Contact names its Account, so it can't
    arrive before it). One connection check per transaction, then one statement per kind that has
    rows; the new interactions are written from what the batch knows, without reading them back.
    Returns how many rows were written or folded."""
    pushed = {str(kind) for kind in PUSHED_INTERACTION_KINDS}
    rows = sorted({(int(i), kind) for i, kind in new if kind in pushed}) if visibility != "private" else []
    changed = sorted({int(i) for i in changed_ids})
    contacts = sorted({int(i) for i in contact_ids})
    if not (rows or changed or contacts) or not sync_active(organization_id=organization_id):
        return 0
    written = 0
    with db_connection.cursor() as cursor:
        if contacts:
            cursor.execute(
                _INSERT_HEAD + _UNLINKED_COMPANIES_OF_CONTACTS + _ON_CONFLICT,
                [organization_id, organization_id, contacts],
            )
            written += cursor.rowcount
        if rows:
            cursor.execute(
                _INSERT_HEAD + _CAPTURED + _ON_CONFLICT, [organization_id, [i for i, _ in rows], [k for _, k in rows]]
            )
            written += cursor.rowcount
    written += outbox_enqueue_many(organization_id=organization_id, kind=LocalKind.CONTACT, local_ids=contacts)
    return written + outbox_enqueue_many(organization_id=organization_id, kind=INTERACTION, local_ids=changed)


def initial_sync_enqueue(*, organization_id: int) -> dict[str, int]:
    """Everything mappable, set-based: companies, contacts, non-private interactions, help offers."""
    if not sync_active(organization_id=organization_id):
        return {}
    statements = {
        LocalKind.COMPANY: ("contacts_company", "'company'", ""),
        LocalKind.CONTACT: ("contacts_contact", "'contact'", "AND merged_into_id IS NULL"),
        INTERACTION: (
            "activities_interaction",
            "kind",
            "AND kind IN ('email', 'call', 'meeting') AND visibility <> 'private'",
        ),
        LocalKind.HELP_OFFER: ("contacts_helpoffer", "'help_offer'", ""),
    }
    counts: dict[str, int] = {}
    with db_connection.cursor() as cursor:
        for name, (table, kind_sql, where) in statements.items():
            select = f"""
                SELECT organization_id, {kind_sql}, id, 'upsert', {kind_sql} || ':' || id, 'pending', 0, NULL, '',
                       NULL, '', '', now(), clock_timestamp()
                FROM {table} WHERE organization_id = %s {where} ORDER BY id
            """  # noqa: S608 - fixed table and column names, values are parameters
            cursor.execute(_INSERT_HEAD + select + _ON_CONFLICT, [organization_id])
            counts[str(name)] = cursor.rowcount
    return counts
