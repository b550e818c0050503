"""The SVG charts are well-formed, accessible, and draw the values they are given (no database)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from relintel.dashboards.charts import Series, horizontal_bars, nice_ticks, stacked_columns

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


def test_nice_ticks_cover_the_maximum_in_round_steps():
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(100) == [0, 25, 50, 75, 100] or nice_ticks(100)[-1] >= 100
    assert nice_ticks(0.9)[-1] >= 0.9
    ticks = nice_ticks(1234)
    assert ticks[0] == 0 and ticks[-1] >= 1234 and len(ticks) <= 6


def test_stacked_columns_are_well_formed_with_a_title_description_and_legend():
    svg = stacked_columns(
        chart_id="activity",
        title="Interactions per week",
        categories=["3 Nov", "10 Nov"],
        series=[Series("email", "Emails", [3, 0]), Series("call", "Calls", [1, 2])],
        value_label="Interactions",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "activity-title activity-desc"
    assert root.find(f"{SVG}title").text == "Interactions per week"
    assert "6 interactions in all" in (root.find(f"{SVG}desc").text or "")
    tooltips = [b.find(f"{SVG}title").text for b in bars(root)]
    assert tooltips == ["3 Nov · Emails: 3", "3 Nov · Calls: 1", "10 Nov · Calls: 2"]  # zero values draw nothing
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "Emails" in legend and "Calls" in legend and "3 Nov" in legend and "Interactions" in legend


def test_a_taller_total_draws_a_taller_column_and_colours_come_from_classes():
    root = parse(
        stacked_columns(chart_id="c", title="t", categories=["a", "b"], series=[Series("email", "Emails", [2, 4])])
    )
    a, b = bars(root)
    assert float(b.get("height")) == pytest.approx(2 * float(a.get("height")))
    assert a.get("class") == "chart-s-email"
    assert "fill" not in a.attrib


def test_horizontal_bars_stack_per_category_and_print_the_total():
    root = parse(
        horizontal_bars(
            chart_id="bands",
            title="Relationships by band",
            categories=["Rita Rep", "Tom Teammate"],
            series=[Series("strong", "Strong", [2, 0]), Series("weak", "Weak", [1, 5])],
        )
    )
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Rita Rep" in texts and "Tom Teammate" in texts
    assert "3" in texts and "5" in texts  # totals at the end of each bar
    rita_strong, rita_weak, tom_weak = bars(root)
    assert float(rita_weak.get("x")) == pytest.approx(float(rita_strong.get("x")) + float(rita_strong.get("width")))
    assert float(tom_weak.get("width")) == pytest.approx(5 * float(rita_weak.get("width")), abs=0.5)


def test_text_is_escaped():
    svg = horizontal_bars(
        chart_id="x", title="<script>", categories=["A & B <c>"], series=[Series("give", "Index", [1.5])]
    )
    root = parse(svg)  # would raise on raw markup
    assert root.find(f"{SVG}title").text == "<script>"
    assert "<script>" not in svg


def test_empty_charts_still_render_and_mismatched_series_are_refused():
    root = parse(stacked_columns(chart_id="e", title="Nothing", categories=[], series=[]))
    assert root.find(f"{SVG}desc").text == "No data."
    with pytest.raises(ValueError, match="2 values for 1 categories"):
        horizontal_bars(chart_id="x", title="t", categories=["a"], series=[Series("k", "K", [1, 2])])
