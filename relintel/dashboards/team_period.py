"""The team dashboard's period: the last 4, 12 or 26 weeks, or custom dates (``from``/``to``).

A preset covers whole weeks: from the Monday ``n - 1`` weeks before this week's Monday to
today. A custom period is any run of days up to two years. Figures counted by moment
(help delivered, band changes) use the half-open range ``[start, end)`` of the period's
days in the project's time zone; weekly figures use the weeks the period touches.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from activities.rollups import week_of, week_start

PRESETS = {"4w": 4, "12w": 12, "26w": 26}
DEFAULT_PRESET = "12w"
CUSTOM = "custom"
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    key: str  # a PRESETS key or CUSTOM
    first_day: datetime.date
    last_day: datetime.date  # inclusive

    @property
    def start(self) -> datetime.datetime:
        return week_start(self.first_day)

    @property
    def end(self) -> datetime.datetime:
        return week_start(self.last_day + datetime.timedelta(days=1))

    @property
    def weeks(self) -> list[datetime.date]:
        """Mondays of the weeks the period touches, oldest first."""
        first, last = week_of(self.first_day), week_of(self.last_day)
        return [first + datetime.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]

    @property
    def label(self) -> str:
        span = f"{_day_label(self.first_day)} – {_day_label(self.last_day)}"
        if self.key in PRESETS:
            return f"Last {PRESETS[self.key]} weeks ({span})"
        return span

    @property
    def slug(self) -> str:
        return f"{self.first_day.isoformat()}_{self.last_day.isoformat()}"

    def query(self) -> dict[str, str]:
        """The GET parameters that choose this period again (links, CSV exports)."""
        if self.key in PRESETS:
            return {"period": self.key}
        return {"period": CUSTOM, "from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def _day_label(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def period_preset(key: str, *, today: datetime.date) -> Period:
    weeks = PRESETS[key]
    return Period(key=key, first_day=week_of(today) - datetime.timedelta(weeks=weeks - 1), last_day=today)


def _day(raw: str, field: str, errors: dict[str, list[str]]) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = [f"“{raw[:20]}” is not a date: use YYYY-MM-DD."]
        return None


def period_parse(params: Mapping[str, str], *, today: datetime.date) -> Period:
    """The period the GET parameters ask for; a ``ValidationError`` naming the field if they are wrong.

    ``period`` is ``4w``, ``12w``, ``26w`` or ``custom`` (default ``12w``; giving ``from``
    or ``to`` alone implies ``custom``); a custom period needs ``from`` and ``to``.
    """
    key = (params.get("period") or "").strip()
    if not key:
        key = CUSTOM if (params.get("from") or params.get("to")) else DEFAULT_PRESET
    if key in PRESETS:
        return period_preset(key, today=today)
    if key != CUSTOM:
        raise ValidationError({"period": [f"Choose one of {', '.join(PRESETS)} or custom."]})
    errors: dict[str, list[str]] = {}
    raw_from, raw_to = params.get("from") or "", params.get("to") or ""
    first = _day(raw_from, "from", errors) if raw_from.strip() else None
    last = _day(raw_to, "to", errors) if raw_to.strip() else None
    if not raw_from.strip():
        errors["from"] = ["Give the first day of the period."]
    if not raw_to.strip():
        errors["to"] = ["Give the last day of the period."]
    if first and last:
        if last < first:
            errors["to"] = ["The last day comes before the first."]
        elif (last - first).days >= MAX_DAYS:
            errors["to"] = ["Choose at most two years."]
        elif first > today + datetime.timedelta(days=366):
            errors["from"] = ["That is more than a year in the future."]
    if errors:
        raise ValidationError(errors)
    assert first is not None and last is not None
    return Period(key=CUSTOM, first_day=first, last_day=last)
