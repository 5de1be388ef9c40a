"""SVG charts: well-formed, escaped, proportional, accessible, and safe with empty data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.model import Severity, Target
from escalation.render.charts import (
    SEVERITY_COLOURS,
    TARGET_COLOURS,
    horizontal_bars,
    stacked_bars,
)

SVG = "{http://www.w3.org/2000/svg}"
NASTY = "<b>&"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def segments(root: ET.Element) -> list[ET.Element]:
    return by_class(root, "chart-segment")


def height(element: ET.Element) -> float:
    return float(element.get("height", "nan"))


def tooltip(element: ET.Element) -> str | None:
    title = element.find(f"{SVG}title")
    return None if title is None else title.text


def test_stacked_bars_is_a_scalable_accessible_svg() -> None:
    svg = stacked_bars(["W1", "W2"], [("high", [1, 2], "#D55E00")], title="Escalations by week")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 640 240"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Escalations by week"
    assert "chart" in (root.get("class") or "").split()
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == "Escalations by week"
    assert by_class(root, "chart-axis")
    assert by_class(root, "chart-legend")


def test_stacked_bars_escape_every_text() -> None:
    svg = stacked_bars(
        [NASTY, "ok"],
        [(NASTY, [1, 2], 'red" onload="alert(1)'), ("ok", [0, 1], "#0072B2")],
        title=NASTY,
    )
    assert "<b>" not in svg
    assert "&lt;b&gt;&amp;" in svg
    root = parse(svg)
    assert root.get("aria-label") == NASTY
    assert [e.text for e in by_class(root, "chart-label")] == [NASTY, "ok"]
    assert NASTY in [t.text for t in root.iter(f"{SVG}text")]
    first = segments(root)[0]
    assert first.get("fill") == 'red" onload="alert(1)'
    assert first.get("onload") is None
    assert tooltip(first) == f"{NASTY}: 1"


def test_characters_xml_cannot_hold_are_dropped() -> None:
    root = parse(stacked_bars(["a\x00b\x1b"], [("x\ud800", [1], "red")], title="t\x07"))
    assert root.get("aria-label") == "t"
    assert by_class(root, "chart-label")[0].text == "ab"
    assert tooltip(segments(root)[0]) == "x: 1"


def test_bar_heights_are_proportional_to_values() -> None:
    root = parse(stacked_bars(["a", "b", "c"], [("n", [1, 2, 4], "red")], title="t"))
    one, two, four = (height(s) for s in segments(root))
    assert two / one == pytest.approx(2, rel=1e-3)
    assert four / one == pytest.approx(4, rel=1e-3)
    # 4 is a round tick, so the tallest bar fills the plot area exactly.
    plot = by_class(root, "chart-plot")[0]
    assert four == pytest.approx(height(plot), abs=0.01)


def test_stacked_segments_sit_on_each_other_in_series_order() -> None:
    root = parse(stacked_bars(
        ["w"], [("critical", [1], "#B2182B"), ("high", [3], "#D55E00")], title="t"
    ))
    lower, upper = segments(root)
    assert height(upper) / height(lower) == pytest.approx(3, rel=1e-3)
    assert float(upper.get("y", "nan")) + height(upper) == pytest.approx(
        float(lower.get("y", "nan")), abs=0.01
    )
    assert [tooltip(s) for s in (lower, upper)] == ["critical: 1", "high: 3"]


def test_zero_segments_are_not_drawn() -> None:
    root = parse(stacked_bars(["a", "b"], [("x", [0, 2], "red"), ("y", [1, 0], "blue")],
                              title="t"))
    assert sorted(tooltip(s) or "" for s in segments(root)) == ["x: 2", "y: 1"]


def test_y_axis_ticks_are_round_and_cover_the_tallest_bar() -> None:
    root = parse(stacked_bars(["a", "b"], [("x", [7, 3], "red"), ("y", [6, 0], "blue")],
                              title="t"))
    ticks = [int(e.text or "") for e in by_class(root, "chart-tick")]
    assert ticks[0] == 0
    assert ticks[-1] >= 13
    steps = {b - a for a, b in pairwise(ticks)}
    assert len(steps) == 1
    assert steps.pop() in {1, 2, 5, 10}
    assert 3 <= len(ticks) <= 7


def test_large_counts_have_thousands_separators() -> None:
    root = parse(stacked_bars(["a"], [("x", [12000], "red")], title="t"))
    ticks = [e.text for e in by_class(root, "chart-tick")]
    assert ticks[-1] == "15,000"
    assert tooltip(segments(root)[0]) == "x: 12,000"


@pytest.mark.parametrize(
    ("labels", "series"),
    [
        (["a", "b"], [("x", [0, 0], "red"), ("y", [0, 0], "blue")]),
        (["a"], []),
        ([], [("x", [], "red")]),
        ([], []),
    ],
)
def test_empty_data_draws_the_axes_and_no_bars(
    labels: list[str], series: list[tuple[str, list[int], str]]
) -> None:
    root = parse(stacked_bars(labels, series, title="Nothing yet"))
    assert segments(root) == []
    assert len(by_class(root, "chart-axis")) == 2
    assert [e.text for e in by_class(root, "chart-tick")] == ["0"]


def test_stacked_bars_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="'x' has 1 values for 2 labels"):
        stacked_bars(["a", "b"], [("x", [1], "red")], title="t")
    with pytest.raises(ValueError, match="negative"):
        stacked_bars(["a"], [("x", [-1], "red")], title="t")
    with pytest.raises(ValueError, match="width"):
        stacked_bars(["a"], [("x", [1], "red")], title="t", width=50)


def test_crowded_x_labels_are_thinned_not_overlapping() -> None:
    labels = [f"2026-W{i:02}" for i in range(1, 53)]
    root = parse(stacked_bars(labels, [("x", [1] * 52, "red")], title="t"))
    shown = by_class(root, "chart-label")
    assert 1 < len(shown) < 52
    assert shown[0].text == labels[0]
    assert len(by_class(root, "chart-bar")) == 52


def test_horizontal_bars_lengths_values_and_tooltips() -> None:
    svg = horizontal_bars(
        [("Engineering", 12.5), ("L2", 5.0), (NASTY, 0.0)], title="Median hours", unit="h"
    )
    root = parse(svg)
    assert root.get("width") == "100%"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Median hours"
    bars = by_class(root, "chart-bar")
    widths = [float(b.get("width", "nan")) for b in bars]
    assert widths[1] / widths[0] == pytest.approx(0.4, rel=1e-3)
    assert widths[2] == 0
    assert [e.text for e in by_class(root, "chart-value")] == ["12.5 h", "5 h", "0 h"]
    assert [e.text for e in by_class(root, "chart-label")] == ["Engineering", "L2", NASTY]
    assert [tooltip(b) for b in bars] == ["Engineering: 12.5 h", "L2: 5 h", f"{NASTY}: 0 h"]
    assert "<b>" not in svg


def test_horizontal_bars_grow_taller_with_more_items() -> None:
    def view_height(count: int) -> float:
        svg = horizontal_bars([(f"item {i}", float(i)) for i in range(count)], title="t")
        return float((parse(svg).get("viewBox") or "").split()[3])

    assert view_height(1) < view_height(3) < view_height(10)


def test_horizontal_bars_empty_and_all_zero() -> None:
    root = parse(horizontal_bars([], title="Nothing"))
    assert by_class(root, "chart-bar") == []
    assert by_class(root, "chart-axis")
    zero = parse(horizontal_bars([("a", 0.0), ("b", 0.0)], title="Zero"))
    assert [b.get("width") for b in by_class(zero, "chart-bar")] == ["0", "0"]


def test_horizontal_bars_truncate_long_labels_but_keep_them_in_the_tooltip() -> None:
    long = "A customer with a remarkably long name that would push the bars off the chart"
    root = parse(horizontal_bars([(long, 3.0)], title="t", width=320))
    shown = by_class(root, "chart-label")[0].text or ""
    assert shown.endswith("…")
    assert len(shown) < len(long)
    assert tooltip(by_class(root, "chart-bar")[0]) == f"{long}: 3"


def test_horizontal_bars_refuse_bad_values() -> None:
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="'a'"):
            horizontal_bars([("a", bad)], title="t")


def test_horizontal_bars_take_their_colour_from_the_argument() -> None:
    root = parse(horizontal_bars([("a", 1.0)], title="t", colour="#009E73"))
    assert by_class(root, "chart-bar")[0].get("fill") == "#009E73"


def _contrast_with_white(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize(
    ("palette", "keys"),
    [(SEVERITY_COLOURS, {s.value for s in Severity}), (TARGET_COLOURS, {t.value for t in Target})],
)
def test_palettes_cover_the_vocabulary_with_distinct_accessible_colours(
    palette: dict[str, str], keys: set[str]
) -> None:
    assert set(palette) == keys
    assert len(set(palette.values())) == len(palette)
    for colour in palette.values():
        assert _contrast_with_white(colour) >= 3, colour


_COUNTS = st.integers(min_value=0, max_value=10**6)


@st.composite
def _stacked_input(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, list[int], str]]]:
    labels = draw(st.lists(st.text(max_size=12), max_size=20))
    series = draw(st.lists(
        st.tuples(st.text(max_size=12), st.lists(_COUNTS, min_size=len(labels),
                                                 max_size=len(labels)), st.text(max_size=10)),
        max_size=6,
    ))
    return labels, series


@settings(max_examples=200, deadline=None)
@given(_stacked_input(), st.text(max_size=30), st.integers(160, 1200), st.integers(120, 600))
def test_stacked_bars_always_parse_and_stay_inside_the_plot_area(
    data: tuple[list[str], list[tuple[str, list[int], str]]], title: str, width: int, height_: int
) -> None:
    labels, series = data
    try:
        svg = stacked_bars(labels, series, title=title, width=width, height=height_)
    except ValueError as error:  # a legend too tall for a short chart is refused, not drawn
        assert "no room" in str(error)
        return
    root = parse(svg)
    plot = by_class(root, "chart-plot")[0]
    top = float(plot.get("y", "nan"))
    bottom = top + height(plot)
    bars = by_class(root, "chart-bar")
    assert len(bars) == len(labels)
    for bar in bars:
        parts = segments(bar)
        assert sum(height(p) for p in parts) <= height(plot) + 0.01
        for part in parts:
            assert height(part) >= 0
            assert float(part.get("y", "nan")) >= top - 0.01
            assert float(part.get("y", "nan")) + height(part) <= bottom + 0.01


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.text(max_size=40), st.floats(0, 1e9)), max_size=15),
    st.text(max_size=30),
    st.text(max_size=5),
)
def test_horizontal_bars_always_parse_and_fit(
    items: list[tuple[str, float]], title: str, unit: str
) -> None:
    root = parse(horizontal_bars(items, title=title, unit=unit, width=640))
    plot = by_class(root, "chart-plot")[0]
    right = float(plot.get("x", "nan")) + float(plot.get("width", "nan"))
    for bar in by_class(root, "chart-bar"):
        assert float(bar.get("x", "nan")) + float(bar.get("width", "nan")) <= right + 0.01
