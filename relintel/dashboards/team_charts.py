"""The team dashboard's charts, drawn from ``TeamFigures`` with ``relintel.dashboards.charts``."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from relintel.dashboards.charts import Series, horizontal_bars, stacked_columns
from relintel.dashboards.team import TeamFigures


@dataclass(frozen=True)
class TeamCharts:
    activity: SafeString
    bands: SafeString
    givefirst: SafeString


def _week_label(figures: TeamFigures) -> list[str]:
    return [f"{week.day} {week:%b}" for week in figures.weeks]


def team_charts(figures: TeamFigures) -> TeamCharts:
    team = figures.team.name if figures.team else "the team"
    names = [m.name for m in figures.members]
    activity = stacked_columns(
        chart_id="chart-activity",
        title=f"Interactions by kind per week, {team}",
        categories=_week_label(figures),
        series=[Series(kind, f"{label}s", figures.week_counts(kind)) for kind, label in figures.kinds],
        value_label="Interactions",
    )
    bands = horizontal_bars(
        chart_id="chart-bands",
        title=f"Relationships by band now, per rep of {team}",
        categories=names,
        series=[Series(band, label, [m.bands.get(band, 0) for m in figures.members]) for band, label in figures.bands],
        value_label="Relationships",
    )
    givefirst = horizontal_bars(
        chart_id="chart-givefirst",
        title=f"Give-first index per rep of {team}: help delivered and intros made per ask",
        categories=names,
        series=[Series("give", "Give-first index", [round(m.give.index, 2) for m in figures.members])],
        value_label="Given per ask",
    )
    return TeamCharts(activity=mark_safe(activity), bands=mark_safe(bands), givefirst=mark_safe(givefirst))  # noqa: S308 - escaped by charts
