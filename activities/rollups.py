"""Weekly activity rollups: interactions per owner, ISO week and kind, for the team dashboards.

``ActivityRollup`` rows are derived from ``Interaction`` and always re-derivable: a dashboard
reads a few hundred of them instead of aggregating a million interactions per request.
Weeks start on Monday in the project's time zone (``TIME_ZONE``), on both the database
side (``TruncWeek``) and the Python side (``week_of``), so a refresh targets the same rows
the rebuild writes.

How they stay current:

* manual logging, edits and deletions enqueue ``activity_rollups_refresh`` for the
  (owner, week) pairs they touched, after commit (``activities.services``);
* a capture batch does the same for its owner's weeks (``activities.capture.ingest.records``);
* the nightly ``activity_rollups_refresh_all`` rebuilds every organization, the safety net
  behind everything else that deletes interactions in bulk (exclusions, removed mailboxes).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncWeek

from activities.models import ActivityRollup, Direction, Interaction

UserWeek = tuple[int, datetime.date]

# Pairs per statement in a refresh: keeps the OR of indexed ranges a reasonable size.
_CHUNK = 200


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def week_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    """The Monday of the week ``moment`` falls in (local time for a datetime)."""
    day = moment.astimezone(_zone()).date() if isinstance(moment, datetime.datetime) else moment
    return day - datetime.timedelta(days=day.weekday())


def week_start(week: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``week``'s Monday, as an aware datetime."""
    return datetime.datetime.combine(week, datetime.time(), tzinfo=_zone())


def _fresh(organization_id: int, condition: Q) -> Any:  # a values() QuerySet of aggregates
    return (
        Interaction.objects.filter(organization_id=organization_id, owner_id__isnull=False)
        .filter(condition)
        .annotate(week=TruncWeek("occurred_at", output_field=DateField(), tzinfo=_zone()))
        .values("owner_id", "week", "kind")
        .annotate(
            n=Count("id"),
            n_in=Count("id", filter=Q(direction=Direction.INBOUND)),
            n_out=Count("id", filter=Q(direction=Direction.OUTBOUND)),
        )
        .order_by()
    )


def activity_rollups_refresh(*, organization_id: int, user_weeks: Iterable[UserWeek]) -> int:
    """Re-derive the rollups of these (user, week) pairs from their interactions.

    Idempotent and set-based: one aggregate over the pairs' indexed time ranges, one read of
    the rows stored for them, one upsert and one delete of rows whose week emptied (per chunk
    of pairs). Returns the number of rows written.
    """
    pairs = sorted({(int(user_id), week_of(week)) for user_id, week in user_weeks})
    written = 0
    for offset in range(0, len(pairs), _CHUNK):
        written += _refresh_chunk(organization_id, pairs[offset : offset + _CHUNK])
    return written


@transaction.atomic
def _refresh_chunk(organization_id: int, pairs: list[UserWeek]) -> int:
    in_range = Q()
    stored = Q()
    for user_id, week in pairs:
        start = week_start(week)
        in_range |= Q(
            owner_id=user_id, occurred_at__gte=start, occurred_at__lt=week_start(week + datetime.timedelta(days=7))
        )
        stored |= Q(user_id=user_id, week=week)
    rows = {
        (r["owner_id"], r["week"], r["kind"]): ActivityRollup(
            organization_id=organization_id,
            user_id=r["owner_id"],
            week=r["week"],
            kind=r["kind"],
            count=r["n"],
            inbound=r["n_in"],
            outbound=r["n_out"],
        )
        for r in _fresh(organization_id, in_range)
    }
    existing = ActivityRollup.objects.filter(organization_id=organization_id).filter(stored)
    emptied = [pk for pk, *key in existing.values_list("pk", "user_id", "week", "kind") if tuple(key) not in rows]
    if emptied:
        ActivityRollup.objects.filter(pk__in=emptied).delete()
    if rows:
        ActivityRollup.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["user", "week", "kind"],
            update_fields=["organization", "count", "inbound", "outbound"],
        )
    return len(rows)


@transaction.atomic
def activity_rollups_rebuild(*, organization_id: int) -> int:
    """Rebuild every rollup row of an organization: one DELETE and one INSERT … SELECT GROUP BY.

    The aggregate is the same ORM query a refresh runs (so both agree on weeks and time
    zones on every database backend), compiled and wrapped in an ``INSERT``: nothing travels
    through Python, which keeps it to a couple of seconds at a million interactions.
    Readers keep seeing the old rows until the transaction commits. Returns the row count.
    """
    table = connection.ops.quote_name(ActivityRollup._meta.db_table)
    query, params = _fresh(organization_id, Q()).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization_id])  # noqa: S608
        # date(): the truncated week is a timestamp on the wire; the column is a date.
        cursor.execute(
            f"""
            INSERT INTO {table} (organization_id, user_id, week, kind, count, inbound, outbound)
            SELECT %s, fresh.owner_id, date(fresh.week), fresh.kind, fresh.n, fresh.n_in, fresh.n_out
            FROM ({query}) AS fresh
            """,  # noqa: S608 - table name from model meta, the subquery from the ORM
            [organization_id, *params],
        )
        return cursor.rowcount


def activity_rollups_enqueue(*, organization_id: int, user_weeks: Iterable[UserWeek]) -> None:
    """After the current transaction commits, refresh these pairs in a worker."""
    from activities import tasks

    payload = sorted({(int(user_id), week_of(week).isoformat()) for user_id, week in user_weeks})
    if not payload:
        return
    transaction.on_commit(lambda: tasks.activity_rollups_refresh.delay(organization_id, [list(p) for p in payload]))


def interaction_user_week(interaction: Interaction) -> list[UserWeek]:
    """The rollup pair an interaction counts in (none without an owner)."""
    if interaction.owner_id is None or interaction.occurred_at is None:
        return []
    return [(interaction.owner_id, week_of(interaction.occurred_at))]
