"""The team dashboard's CSV exports: one per chart or table, rows built from ``TeamFigures``.

Each export lists the numbers its chart draws, per rep and for the team, so a manager can
take them into a spreadsheet. ``CHARTS`` maps the ``chart`` parameter to the sections of
the dashboard it needs (so an export computes only those) and to its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.text import slugify

from relintel.dashboards.team import TeamFigures

Row = Sequence[object]


def _activity(f: TeamFigures) -> Iterator[Row]:
    """Per week: the team's counts by kind (rollups are per rep, so per rep follow)."""
    yield ["week", "member", *[label for _, label in f.kinds], "total"]
    for week in f.weeks:
        counts = [f.weekly.get((week, kind), 0) for kind, _ in f.kinds]
        yield [week.isoformat(), "Team", *counts, sum(counts)]
    for m in f.members:
        yield ["period", m.name, *m.kind_counts, m.interactions]


def _relationships(f: TeamFigures) -> Iterator[Row]:
    yield ["member", *[label for _, label in f.bands], "total", "moved up", "moved down", "new"]
    for m in f.members:
        yield [m.name, *m.band_counts, m.relationships, m.moved_up, m.moved_down, m.new]
    yield ["Team", *f.band_totals, sum(f.band_totals), f.moved_up, f.moved_down, f.new]


def _givefirst(f: TeamFigures) -> Iterator[Row]:
    yield ["member", "help delivered", "intros made", "asks", "give-first index"]
    for m in f.members:
        g = m.give
        yield [m.name, g.help_delivered, g.intros_made, g.asks, f"{g.index:.2f}"]
    g = f.give
    yield ["Team", g.help_delivered, g.intros_made, g.asks, f"{g.index:.2f}"]


def _replies(f: TeamFigures) -> Iterator[Row]:
    yield ["member", "replies owed"]
    for m in f.members:
        yield [m.name, "" if m.replies_owed is None else m.replies_owed]
    yield ["Team", f.replies_owed]


def _at_risk(f: TeamFigures) -> Iterator[Row]:
    yield ["company", "reason", "teammate", "contact", "best band now", "fell from", "relationships medium+"]
    risk = f.at_risk
    if risk is None:
        return
    for a in risk.going_cold:
        yield [a.company_name, "going cold", "", "", a.band_label, a.was_band_label, ""]
    for a in risk.one_person:
        yield [a.company_name, "hangs on one person", a.holder_name, a.contact_name, a.band_label, "", a.relationships]


def _targets(f: TeamFigures) -> Iterator[Row]:
    yield ["company", "list", "coverage", "teammates medium+", "relationships medium+", "best teammate", "best band"]
    for t in f.targets:
        yield [
            t.company_name,
            "organization" if t.org_wide else "team",
            t.status,
            t.teammates_well,
            t.relationships_well,
            t.best_name,
            t.best_band_label,
        ]


@dataclass(frozen=True)
class CsvChart:
    title: str
    sections: frozenset[str]
    rows: Callable[[TeamFigures], Iterator[Row]]


CHARTS: dict[str, CsvChart] = {
    "activity": CsvChart("Interactions by kind per week", frozenset({"activity"}), _activity),
    "relationships": CsvChart("Relationships by band and how they moved", frozenset({"relationships"}), _relationships),
    "givefirst": CsvChart("Give-first index", frozenset({"givefirst"}), _givefirst),
    "replies": CsvChart("Replies owed", frozenset({"replies"}), _replies),
    "at_risk": CsvChart("Accounts at risk", frozenset({"at_risk"}), _at_risk),
    "targets": CsvChart("Target accounts coverage", frozenset({"targets"}), _targets),
}


def csv_filename(*, figures: TeamFigures, chart: str) -> str:
    team = slugify(figures.team.name if figures.team else "team") or "team"
    return f"relintel-{team}-{chart.replace('_', '-')}-{figures.period.slug}.csv"


def csv_safe(value: object) -> object:
    """Neutralise spreadsheet formulas in text cells (names are user-entered)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
