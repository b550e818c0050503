"""Fast bulk loading of generated rows: ``COPY`` on PostgreSQL, ``executemany`` elsewhere.

Rows are plain tuples in the column order given here. Ids of rows that others
point at (companies, contacts, interactions) are reserved up front so the
generator can write foreign keys without a round trip.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Sequence

from django.db import connection
from django.db.models import Max, Model

COMPANY_COLUMNS = (
    "id", "organization_id", "name", "website", "industry", "description", "owner_id", "salesforce_id",
    "created_at", "updated_at",
)  # fmt: skip
COMPANY_DOMAIN_COLUMNS = ("organization_id", "company_id", "domain")
CONTACT_COLUMNS = (
    "id", "organization_id", "full_name", "first_name", "last_name", "title", "company_id", "location",
    "linkedin_url", "interests", "needs", "expertise", "notes", "owner_id", "source", "salesforce_contact_id",
    "salesforce_lead_id", "search_text", "last_interaction_at", "created_by_id", "created_at", "updated_at",
)  # fmt: skip
CONTACT_EMAIL_COLUMNS = ("organization_id", "contact_id", "email", "is_primary")
CONTACT_PHONE_COLUMNS = ("contact_id", "number", "kind", "is_primary")
INTERACTION_COLUMNS = (
    "id", "organization_id", "kind", "occurred_at", "duration_minutes", "subject", "body", "direction", "source",
    "external_id", "thread_id", "visibility", "owner_id", "team_id", "created_at", "updated_at",
    "attachments", "external_version",
)  # fmt: skip
PARTICIPANT_COLUMNS = ("interaction_id", "contact_id", "user_id", "address", "display_name", "role", "response_status")
HELP_OFFER_COLUMNS = (
    "organization_id", "user_id", "contact_id", "direction", "kind", "description", "status", "due_date",
    "intro_contact_id", "accepted_at", "delivered_at", "closed_at", "created_at", "updated_at",
)  # fmt: skip

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: object) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):  # datetimes too: isoformat keeps the offset
        return value.isoformat()
    return str(value)


def reserve_ids(model: type[Model], count: int) -> int:
    """Reserve ``count`` consecutive primary keys for ``model``; returns the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Move the sequence past the block in one statement, so a concurrent
            # insert can never take an id inside it.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 - table name from model meta
                f"GREATEST(nextval(pg_get_serial_sequence(%s, 'id')), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table})) "
                f"+ %s - 1)",
                [table, table, max(count, 1)],
            )
            last = cursor.fetchone()[0]
            return int(last) - max(count, 1) + 1
    # SQLite's AUTOINCREMENT follows the largest id written, so MAX + 1 is enough.
    top = model._default_manager.aggregate(top=Max("id"))["top"] or 0
    return int(top) + 1


class BulkWriter:
    """Buffers rows for one table and writes them in large batches."""

    def __init__(self, model: type[Model], columns: Sequence[str], *, batch_size: int = 50_000) -> None:
        self.table = model._meta.db_table
        self.columns = tuple(columns)
        self.batch_size = batch_size
        self.buffer: list[Sequence[object]] = []
        self.written = 0
        known = {f.column for f in model._meta.concrete_fields}
        unknown = set(self.columns) - known
        if unknown:
            raise ValueError(f"{self.table} has no columns {sorted(unknown)}")
        self._flush: Callable[[], None] = self._copy if connection.vendor == "postgresql" else self._insert

    def add(self, row: Sequence[object]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def extend(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if self.buffer:
            self._flush()
            self.written += len(self.buffer)
            self.buffer = []

    def _copy(self) -> None:
        text = io.StringIO()
        text.writelines("\t".join([_copy_text(v) for v in row]) + "\n" for row in self.buffer)
        text.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {connection.ops.quote_name(self.table)} ({columns}) FROM STDIN", text)

    def _insert(self) -> None:
        ops = connection.ops
        columns = ", ".join(ops.quote_name(c) for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))

        def adapt(value: object) -> object:
            if isinstance(value, datetime.datetime):
                return ops.adapt_datetimefield_value(value)
            if isinstance(value, datetime.date):
                return ops.adapt_datefield_value(value)
            return value

        rows = [tuple(adapt(v) for v in row) for row in self.buffer]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {ops.quote_name(self.table)} ({columns}) VALUES ({marks})",  # noqa: S608 - names from model meta
                rows,  # type: ignore[arg-type]
            )
