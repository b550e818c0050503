"""Server-drawn SVG charts for the dashboards: stacked columns and horizontal bars.

Pure functions over plain numbers (no database, no Django), tested on their own. Each
chart is one ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what a screen
reader announces), a ``<title>`` on every bar (its tooltip: category, series, value), axis
labels and a legend. Colours are not in the markup: every bar carries the class
``chart-s-<series key>`` and the stylesheet (``static/css/dashboards.css``) colours it, so
the charts follow the site's palette. Text is escaped; the caller marks the result safe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = 12  # px, the size the stylesheet uses for chart text
_KEY = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class Series:
    """One stacked layer: ``values[i]`` belongs to ``categories[i]``."""

    key: str  # CSS class suffix: chart-s-<key>
    label: str
    values: Sequence[float]


def nice_ticks(maximum: float, *, count: int = 4) -> list[float]:
    """Round tick values from 0 that cover ``maximum`` in about ``count`` steps (1-2-5 steps)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = math.ceil(maximum / step) * step
    return [round(i * step, 10) for i in range(round(top / step) + 1)]


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _css_key(key: str) -> str:
    return _KEY.sub("-", key.lower()).strip("-") or "x"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(*, chart_id: str, title: str, description: str, width: int, height: int, css_class: str) -> list[str]:
    cid = _attr(_css_key(chart_id))
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]


def _legend(series: Sequence[Series], *, x: float, y: float, width: float) -> list[str]:
    """Swatches and labels in a row, wrapping to the next line when it runs out of room."""
    parts = ['<g class="chart-legend">']
    cx, cy = x, y
    for s in series:
        item = 18 + len(s.label) * FONT * 0.6 + 16
        if cx + item > x + width and cx > x:
            cx, cy = x, cy + FONT + 8
        parts.append(
            f'<rect class="chart-s-{_css_key(s.key)}" x="{cx:.1f}" y="{cy - FONT + 2:.1f}" width="12" height="12" rx="2"/>'
        )
        parts.append(f'<text x="{cx + 17:.1f}" y="{cy:.1f}">{escape(s.label)}</text>')
        cx += item
    parts.append("</g>")
    return parts


def _legend_rows(series: Sequence[Series], width: float) -> int:
    rows, cx = 1, 0.0
    for s in series:
        item = 18 + len(s.label) * FONT * 0.6 + 16
        if cx + item > width and cx > 0:
            rows, cx = rows + 1, 0.0
        cx += item
    return rows


def stacked_columns(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    description: str = "",
    value_label: str = "",
    width: int = 720,
    height: int = 240,
    max_labels: int = 13,
) -> str:
    """Vertical stacked columns, one per category (e.g. a week), one layer per series."""
    _check(categories, series)
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    left, right, top = 48, 12, 12
    legend_rows = _legend_rows(series, width - left - right)
    bottom = 28 + legend_rows * (FONT + 8) + 8
    full_height = height + legend_rows * (FONT + 8)
    plot_w, plot_h = width - left - right, full_height - top - bottom
    scale = plot_h / ticks[-1]
    parts = _open(
        chart_id=chart_id,
        title=title,
        description=description or _describe(categories, totals, value_label),
        width=width,
        height=full_height,
        css_class="chart-columns",
    )
    parts.append('<g class="chart-grid">')
    for tick in ticks:
        y = top + plot_h - tick * scale
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart-tick" x="{left - 6}" y="{y + FONT / 3:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    parts.append("</g>")
    if value_label:
        parts.append(
            f'<text class="chart-axis-label" transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" '
            f'text-anchor="middle">{escape(value_label)}</text>'
        )
    n = max(len(categories), 1)
    slot = plot_w / n
    bar = max(slot * 0.7, 1.0)
    every = max(1, math.ceil(len(categories) / max_labels))
    parts.append('<g class="chart-bars">')
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar) / 2
        base = float(top + plot_h)
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            h = value * scale
            base -= h
            parts.append(
                f'<rect class="chart-s-{_css_key(s.key)}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}"><title>{escape(category)} · {escape(s.label)}: {_number(value)}</title></rect>'
            )
    parts.append("</g>")
    parts.append('<g class="chart-axis">')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    for i, category in enumerate(categories):
        if i % every:
            continue
        x = left + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + FONT + 6}" text-anchor="middle">{escape(category)}</text>')
    parts.append("</g>")
    parts += _legend(series, x=left, y=full_height - legend_rows * (FONT + 8) + 4, width=plot_w)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    description: str = "",
    value_label: str = "",
    width: int = 720,
    row_height: int = 24,
    label_width: int = 150,
) -> str:
    """One horizontal bar per category (e.g. a rep), stacked by series, with its total at the end."""
    _check(categories, series)
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    left, right, top = label_width + 8, 48, 8
    legend_rows = _legend_rows(series, width - left - right) if len(series) > 1 else 0
    plot_w = width - left - right
    plot_h = max(len(categories), 1) * row_height
    axis = top + plot_h
    height = axis + FONT + 14 + (FONT + 6 if value_label else 0) + legend_rows * (FONT + 8) + 6
    scale = plot_w / ticks[-1]
    parts = _open(
        chart_id=chart_id,
        title=title,
        description=description or _describe(categories, totals, value_label),
        width=width,
        height=height,
        css_class="chart-bars-h",
    )
    parts.append('<g class="chart-grid">')
    for tick in ticks:
        x = left + tick * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis}"/>')
        parts.append(
            f'<text class="chart-tick" x="{x:.1f}" y="{axis + FONT + 4}" text-anchor="middle">{_number(tick)}</text>'
        )
    parts.append("</g>")
    if value_label:
        parts.append(
            f'<text class="chart-axis-label" x="{left + plot_w / 2:.1f}" y="{axis + 2 * FONT + 12}" '
            f'text-anchor="middle">{escape(value_label)}</text>'
        )
    bar = row_height * 0.66
    parts.append('<g class="chart-bars">')
    for i, category in enumerate(categories):
        y = top + i * row_height + (row_height - bar) / 2
        parts.append(
            f'<text class="chart-category" x="{left - 8}" y="{y + bar / 2 + FONT / 3:.1f}" text-anchor="end">'
            f"{escape(_shorten(category, label_width // 7))}</text>"
        )
        x = float(left)
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            w = value * scale
            parts.append(
                f'<rect class="chart-s-{_css_key(s.key)}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar:.1f}">'
                f"<title>{escape(category)} · {escape(s.label)}: {_number(value)}</title></rect>"
            )
            x += w
        parts.append(
            f'<text class="chart-value" x="{x + 5:.1f}" y="{y + bar / 2 + FONT / 3:.1f}">{_number(totals[i])}</text>'
        )
    parts.append("</g>")
    if legend_rows:
        parts += _legend(series, x=left, y=height - legend_rows * (FONT + 8) + 6, width=plot_w)
    parts.append("</svg>")
    return "".join(parts)


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"Series {s.key!r} has {len(s.values)} values for {len(categories)} categories.")


def _describe(categories: Sequence[str], totals: Sequence[float], value_label: str) -> str:
    if not categories:
        return "No data."
    unit = f" {value_label.lower()}" if value_label else ""
    peak = max(range(len(totals)), key=lambda i: totals[i])
    return (
        f"{len(categories)} bars, {_number(sum(totals))}{unit} in all; "
        f"highest: {categories[peak]} with {_number(totals[peak])}."
    )
