"""The Today list's parts: its kinds, items and groups, and how an action hides an item.

A ``NudgeAction`` hides an item: a snoozed one until its ``until``, a done or dismissed one
until the fact changes (the fingerprint stored with the action no longer matches). The
hiding is part of each rule's query (``visible``), so each list's limit counts what shows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from contacts.models import (
    Band,
    NudgeAction,
    NudgeState,
)
from relintel.accounts.models import Membership

LIST_LIMIT = 5
DUE_SOON = datetime.timedelta(days=7)
# A band drop is news for two weeks; after that the relationship is simply weaker.
DROP_WINDOW = datetime.timedelta(days=14)
# Past twice its own rhythm a relationship is going quiet, but never sooner than a week.
RHYTHM_FACTOR = 2
MIN_QUIET = datetime.timedelta(days=7)

REPLY, HELP, COLD, INTRO, SUGGESTION = "reply", "help", "cold", "intro", "suggestion"
KIND_ORDER = (REPLY, HELP, COLD, INTRO, SUGGESTION)
KIND_LABELS = {
    REPLY: "Replies owed",
    HELP: "Help you promised",
    COLD: "Going cold",
    INTRO: "Introductions asked of you",
    SUGGESTION: "Introductions you could make",
}
EMPTY_TEXT = {
    REPLY: "No one is waiting for an answer from you.",
    HELP: "Nothing promised is due this week. Who could you help today?",
    COLD: "No relationship is going cold. Well kept.",
    INTRO: "No teammate is waiting for an introduction from you.",
    SUGGESTION: "No introductions to suggest right now.",
}
# What "done" means per kind; kinds without one are answered through their own flow.
DONE_LABELS = {REPLY: "Replied", HELP: "Delivered", COLD: "Reached out"}

# Bands from strongest to weakest: "dropped" means the previous band comes earlier.
BAND_RANK = [Band.STRONG, Band.MEDIUM, Band.WEAK, Band.COLD]


@dataclass(frozen=True)
class NudgeItem:
    kind: str
    key: str
    fingerprint: str
    title: str
    reason: str
    obj: Any
    contact_id: int | None = None
    # When the fact began (an email received, a band dropped, a request made), or a due date.
    since: datetime.datetime | None = None
    due: datetime.date | None = None
    overdue: bool = False

    @property
    def object_id(self) -> int:
        return int(self.key.split(":", 1)[1])

    @property
    def done_label(self) -> str:
        return DONE_LABELS.get(self.kind, "")


@dataclass(frozen=True)
class NudgeGroup:
    kind: str
    items: list[NudgeItem]
    more: bool = False  # there were more than the page shows

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def empty_text(self) -> str:
        return EMPTY_TEXT[self.kind]


@dataclass(frozen=True)
class TodayList:
    now: datetime.datetime
    groups: list[NudgeGroup] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(g.items) for g in self.groups)

    @property
    def items(self) -> list[NudgeItem]:
        return [item for group in self.groups for item in group.items]


# --- hiding ------------------------------------------------------------------------------------


def timestamp_text(name: str) -> Coalesce:
    """A timestamp as text ('' for NULL): stable in a fingerprint on one database."""
    return Coalesce(Cast(F(name), CharField()), Value(""), output_field=CharField())


class DaysSince(Func):
    """Days (fractional) from the timestamp column ``name`` to ``now``, in SQL on either database."""

    output_field = FloatField()

    def __init__(self, name: str, *, now: datetime.datetime) -> None:
        super().__init__(Value(now), F(name))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "(julianday(%(expressions)s))"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra)


def item_key(prefix: str, id_expr: Any) -> Concat:
    return Concat(Value(f"{prefix}:"), Cast(id_expr, CharField()), output_field=CharField())


def hidden_by_action(*, user_id: int, now: datetime.datetime, key: Any, fingerprint: Any) -> Exists:
    """An action of the member hides the item: snoozed until later, or done/dismissed on this fact."""
    return Exists(
        NudgeAction.objects.filter(user_id=user_id, key=key).filter(
            Q(state=NudgeState.SNOOZED, until__gt=now)
            | Q(state__in=(NudgeState.DONE, NudgeState.DISMISSED), fingerprint=fingerprint)
        )
    )


def visible(qs: QuerySet[Any], *, membership: Membership, now: datetime.datetime) -> QuerySet[Any]:
    """``qs`` annotated with ``nudge_key`` and ``nudge_fp``, without the items an action hides."""
    return qs.exclude(
        hidden_by_action(
            user_id=membership.user_id, now=now, key=OuterRef("nudge_key"), fingerprint=OuterRef("nudge_fp")
        )
    )


def group_of(kind: str, rows: list[Any], build: Callable[[Any], NudgeItem], limit: int) -> NudgeGroup:
    return NudgeGroup(kind=kind, items=[build(row) for row in rows[:limit]], more=len(rows) > limit)


def ago(now: datetime.datetime, then: datetime.datetime | None) -> str:
    if then is None:
        return "never"
    days = (now - then).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"
