"""Server-side SVG charts for the dashboard: stacked bars and horizontal bars, as strings.

The SVG scales to its container (`viewBox`, `width="100%"`), carries class names for the
stylesheet (`chart`, `chart-plot`, `chart-segment`, `chart-bar`, `chart-axis`, `chart-grid`,
`chart-tick`, `chart-label`, `chart-value`, `chart-legend`), draws text and axes in
`currentColor` so it follows the page's colour scheme, and takes bar colours from its arguments.
Every piece of text is escaped; the charts hold no words of their own, so they need no
translation. `role="img"` with the title as `aria-label` lets a screen reader announce them;
each bar has a `<title>` tooltip with its exact value.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

# Okabe-Ito based colours, each at least 3:1 against white (WCAG 1.4.11) and told apart by
# lightness as well as hue, so colour-blind readers can still separate adjacent segments.
SEVERITY_COLOURS: Mapping[str, str] = {
    "critical": "#B2182B",  # dark red
    "high": "#D55E00",  # vermillion
    "medium": "#0072B2",  # blue
}
TARGET_COLOURS: Mapping[str, str] = {
    "l2": "#0072B2",  # blue
    "engineering": "#D55E00",  # vermillion
    "product": "#009E73",  # bluish green
    "security": "#CC79A7",  # reddish purple
    "leadership": "#4B5563",  # slate
}
DEFAULT_COLOUR = "#0072B2"

_FONT_SIZE = 11
_CHAR_WIDTH = 6.5  # average advance of an 11 px sans-serif character, for layout estimates


def _units(text: str) -> int:
    """Layout width of `text` in average characters: a Chinese character counts as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, units: int) -> str:
    """`text` cut (with "…") to at most `units` layout characters."""
    if _units(text) <= units:
        return text
    out, used = "", 1
    for ch in text:
        used += _units(ch)
        if used > units:
            break
        out += ch
    return out + "…"
_LEGEND_ROW = 18
_SWATCH = 10
_TICK_TARGET = 4  # about this many intervals on the value axis
_ROW = 22  # horizontal bars: one row per item
_BAR_THICKNESS = 14
_PAD = 8
# Characters XML 1.0 cannot hold at all, even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int], str]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
) -> str:
    """One vertical bar per label, stacked from `series` of (name, values per label, colour)."""
    for name, values, _ in series:
        if len(values) != len(labels):
            raise ValueError(
                f"series {name!r} has {len(values)} values for {len(labels)} labels: "
                "give one value per label"
            )
        for value in values:
            if value < 0:
                raise ValueError(f"series {name!r} has a negative value {value}: counts only")
    if width < 160 or height < 120:
        raise ValueError(f"the chart needs width >= 160 and height >= 120, got {width}x{height}")

    totals = [sum(values[i] for _, values, _ in series) for i in range(len(labels))]
    ticks = _ticks(max(totals, default=0))
    top_value = ticks[-1]

    legend, legend_rows = _legend([(name, colour) for name, _, colour in series], width)
    left = max(32.0, max(_units(_count(t)) for t in ticks) * _CHAR_WIDTH + 12)
    plot_top = legend_rows * _LEGEND_ROW + _PAD + (_FONT_SIZE / 2 if legend_rows else 0)
    plot_bottom = height - 22
    plot_left, plot_right = left, width - _PAD
    plot_height = plot_bottom - plot_top
    if plot_height < 20:
        raise ValueError(f"height {height} leaves no room to plot below the legend")
    plot_width = plot_right - plot_left

    parts = [_open_svg("chart chart-stacked", width, height, title)]
    parts += legend
    parts.append(
        f'<rect class="chart-plot" x="{_n(plot_left)}" y="{_n(plot_top)}" '
        f'width="{_n(plot_width)}" height="{_n(plot_height)}" fill="none"/>'
    )
    for tick in ticks:
        y = plot_bottom - (tick / top_value * plot_height if top_value else 0)
        parts.append(
            f'<line class="chart-grid" x1="{_n(plot_left)}" x2="{_n(plot_right)}" '
            f'y1="{_n(y)}" y2="{_n(y)}" stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text class="chart-tick" x="{_n(plot_left - 6)}" y="{_n(y)}" '
            f'text-anchor="end" dominant-baseline="middle" fill="currentColor">'
            f"{_count(tick)}</text>"
        )

    slot = plot_width / len(labels) if labels else plot_width
    bar_width = max(slot * 0.7, 1.0)
    # Show every `step`-th label when they would otherwise overlap.
    widest = max((_units(label) for label in labels), default=0) * _CHAR_WIDTH + 4
    step = max(1, math.ceil(widest / slot)) if labels else 1
    for i, label in enumerate(labels):
        x = plot_left + i * slot + (slot - bar_width) / 2
        parts.append(f'<g class="chart-bar" data-label="{_escape(label)}">')
        below: float = plot_bottom
        running = 0
        for name, values, colour in series:
            value = values[i]
            if value == 0:
                continue
            running += value
            above = round(plot_bottom - running / top_value * plot_height, 2)
            parts.append(
                f'<rect class="chart-segment" x="{_n(x)}" y="{_n(above)}" '
                f'width="{_n(bar_width)}" height="{_n(below - above)}" fill="{_escape(colour)}" '
                f'stroke="white" stroke-width="0.5">'
                f"<title>{_escape(name)}: {_count(value)}</title></rect>"
            )
            below = above
        parts.append("</g>")
        if i % step == 0:
            parts.append(
                f'<text class="chart-label" x="{_n(x + bar_width / 2)}" y="{_n(plot_bottom + 15)}" '
                f'text-anchor="middle" fill="currentColor">{_escape(label)}</text>'
            )
    parts.append(
        f'<line class="chart-axis" x1="{_n(plot_left)}" x2="{_n(plot_left)}" '
        f'y1="{_n(plot_top)}" y2="{_n(plot_bottom)}" stroke="currentColor"/>'
        f'<line class="chart-axis" x1="{_n(plot_left)}" x2="{_n(plot_right)}" '
        f'y1="{_n(plot_bottom)}" y2="{_n(plot_bottom)}" stroke="currentColor"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    colour: str = DEFAULT_COLOUR,
) -> str:
    """One labelled bar per (label, value), its value printed at its end; taller with more items."""
    for label, value in items:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"item {label!r} has value {value}: expected a finite number >= 0")
    texts = [_amount(value, unit) for _, value in items]
    label_width = min(
        max((_units(label) for label, _ in items), default=0) * _CHAR_WIDTH + 2 * _PAD, width * 0.4
    )
    value_width = max((_units(text) for text in texts), default=0) * _CHAR_WIDTH + 2 * _PAD
    bar_space = width - label_width - value_width
    if bar_space < 20:
        raise ValueError(f"width {width} leaves no room for the bars: make it wider")
    height = 2 * _PAD + max(len(items), 1) * _ROW
    top_value = max((value for _, value in items), default=0.0)
    fits = max(1, int((label_width - 2 * _PAD) / _CHAR_WIDTH))

    parts = [_open_svg("chart chart-horizontal", width, height, title)]
    parts.append(
        f'<rect class="chart-plot" x="{_n(label_width)}" y="{_PAD}" width="{_n(bar_space)}" '
        f'height="{height - 2 * _PAD}" fill="none"/>'
    )
    for row, ((label, value), text) in enumerate(zip(items, texts, strict=True)):
        middle = _PAD + row * _ROW + _ROW / 2
        length = value / top_value * bar_space if top_value else 0.0
        shown = _clip(label, fits)
        parts.append(
            f'<text class="chart-label" x="{_n(label_width - _PAD)}" y="{_n(middle)}" '
            f'text-anchor="end" dominant-baseline="middle" fill="currentColor">'
            f"{_escape(shown)}</text>"
            f'<rect class="chart-bar" x="{_n(label_width)}" y="{_n(middle - _BAR_THICKNESS / 2)}" '
            f'width="{_n(length)}" height="{_BAR_THICKNESS}" fill="{_escape(colour)}">'
            f"<title>{_escape(label)}: {_escape(text)}</title></rect>"
            f'<text class="chart-value" x="{_n(label_width + length + 4)}" y="{_n(middle)}" '
            f'dominant-baseline="middle" fill="currentColor">{_escape(text)}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{_n(label_width)}" x2="{_n(label_width)}" '
        f'y1="{_PAD}" y2="{height - _PAD}" stroke="currentColor"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _open_svg(classes: str, width: int, height: int, title: str) -> str:
    label = _escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{label}" '
        f'font-family="system-ui, sans-serif" font-size="{_FONT_SIZE}">'
        f"<title>{label}</title>"
    )


def _legend(entries: Sequence[tuple[str, str]], width: int) -> tuple[list[str], int]:
    """Legend items laid out left to right, wrapping to new rows; the SVG parts and row count."""
    if not entries:
        return [], 0
    parts = ['<g class="chart-legend">']
    x, row = float(_PAD), 0
    for name, colour in entries:
        item_width = _SWATCH + 4 + _units(name) * _CHAR_WIDTH + 14
        if x > _PAD and x + item_width > width - _PAD:
            x, row = float(_PAD), row + 1
        y = _PAD + row * _LEGEND_ROW
        parts.append(
            f'<g class="chart-legend-item">'
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_SWATCH}" height="{_SWATCH}" '
            f'fill="{_escape(colour)}"/>'
            f'<text x="{_n(x + _SWATCH + 4)}" y="{_n(y + _SWATCH / 2)}" '
            f'dominant-baseline="middle" fill="currentColor">{_escape(name)}</text></g>'
        )
        x += item_width
    parts.append("</g>")
    return parts, row + 1


def _ticks(largest: int) -> list[int]:
    """Round tick values from 0 up to at least `largest` (1, 2 or 5 times a power of ten)."""
    if largest <= 0:
        return [0]
    rough = largest / _TICK_TARGET
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    whole = max(1, round(step))
    return list(range(0, whole * math.ceil(largest / whole) + 1, whole))


def _escape(text: str) -> str:
    """Text safe in SVG content and attributes: escaped, characters XML forbids dropped."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _count(value: int) -> str:
    return f"{value:,}"


def _amount(value: float, unit: str) -> str:
    number = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return f"{number} {unit}" if unit else number
