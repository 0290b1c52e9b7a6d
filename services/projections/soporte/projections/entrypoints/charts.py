"""Charts drawn on the server as SVG (pure: data in, markup out), each with its numbers in a table for everyone.

An SVG is an image with a title and a description (``role="img"``,
``aria-labelledby``); the table beside it, made from the same ``Chart``, holds
every number it draws, so a screen reader (or a phone too narrow for the bars)
loses nothing. Sizes are in the viewBox's units: the image scales to its box.
Words come in already chosen (the caller's ``Presenter``); nothing here knows a
language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 260  # the plot's height; the legend's rows come on top of it
LEFT, RIGHT, BOTTOM = 44, 12, 30  # room for the axis numbers and the day numbers
LEGEND_ROW, CHARACTER = 20, 8.5  # a legend row's height, and about how wide a character is
ROW = 26  # a bar of a horizontal chart


@dataclass(frozen=True)
class Cell:
    text: str  # as a person reads it
    value: str = ""  # the raw number (``data-value``), for machines


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    columns: tuple[str, ...]  # a code per column (``data-column``)
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # (a row's key, its cells)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    key: str  # names the figure (``chart-<key>``) and its table (``table-<key>``)
    kind: str  # line | bars | stacked | hbars
    title: str
    description: str
    labels: tuple[str, ...]  # along the axis: days, or agents' names
    series: tuple[Series, ...]
    table: Table
    top: float | None = None  # a fixed top of the scale (100 for shares)
    target: float | None = None  # a reference line (the promise)
    target_label: str = ""
    axis_every: int = field(default=1)  # label every n-th position


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _number(value: float) -> str:
    return f"{value:g}"


class _Canvas:
    def __init__(self, chart: Chart, height: int) -> None:
        self.chart, self.height = chart, height
        self.parts: list[str] = []

    def add(self, markup: str, *values: object) -> None:
        self.parts.append(markup.format(*(escape(str(v)) for v in values)))

    def svg(self) -> Markup:
        key = self.chart.key
        head = (
            f'<svg class="chart" viewBox="0 0 {WIDTH} {self.height}" role="img" '
            f'aria-labelledby="chart-{key}-title chart-{key}-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="chart-{key}-title">{escape(self.chart.title)}</title>'
            f'<desc id="chart-{key}-desc">{escape(self.chart.description)}</desc>'
        )
        return Markup(head + "".join(self.parts) + "</svg>")


def _legend(names: Sequence[str]) -> list[tuple[float, float, str]]:
    """Where each series' name goes (x, y of the row's top, name): rows as wide as the image allows."""
    placed, x, y = [], LEFT, 8.0
    for name in names:
        width = 22 + CHARACTER * len(name)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = LEFT, y + LEGEND_ROW
        placed.append((x, y, name))
        x += width + 12
    return placed


def _draw_legend(canvas: _Canvas, placed: list[tuple[float, float, str]]) -> None:
    for n, (x, y, name) in enumerate(placed):
        canvas.add('<rect class="s{}" x="{}" y="{}" width="12" height="12"/>', n, round(x, 1), y + 2)
        canvas.add('<text x="{}" y="{}">{}</text>', round(x + 16, 1), y + 13, name)


def _top_margin(placed: list[tuple[float, float, str]]) -> float:
    return (placed[-1][1] if placed else 0) + LEGEND_ROW + 14


def _scale(chart: Chart, highest: float) -> float:
    return chart.top or nice_top(max(highest, chart.target or 0))


def _grid(canvas: _Canvas, top: float, margin: float, plot_height: float) -> None:
    for n in range(5):
        value = top * n / 4
        y = round(margin + plot_height * (1 - n / 4), 1)
        canvas.add('<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>', LEFT, WIDTH - RIGHT, y, y)
        canvas.add('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>', LEFT - 6, y + 4, _number(value))


def _columns(chart: Chart) -> Markup:
    """A chart along the days: lines, bars or stacked bars, with the scale, the legend and the reference line."""
    legend = _legend([s.name for s in chart.series])
    margin = _top_margin(legend)
    canvas = _Canvas(chart, round(margin + HEIGHT + BOTTOM))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT
    count = max(len(chart.labels), 1)
    slot = plot_w / count
    stacked = [sum(s.values[i] or 0 for s in chart.series) for i in range(len(chart.labels))]
    highest = max(stacked if chart.kind == "stacked" else [v or 0 for s in chart.series for v in s.values], default=0)
    top = _scale(chart, highest)
    _grid(canvas, top, margin, plot_h)

    def y_of(value: float) -> float:
        return margin + plot_h * (1 - min(value, top) / top)

    if chart.kind == "line":
        for n, series in enumerate(chart.series):
            points = [(LEFT + slot * (i + 0.5), y_of(v)) for i, v in enumerate(series.values) if v is not None]
            canvas.add('<polyline class="line s{}" points="{}"/>', n, " ".join(f"{x:.1f},{y:.1f}" for x, y in points))
            for x, y in points:
                canvas.add('<circle class="s{}" cx="{}" cy="{}" r="3"/>', n, round(x, 1), round(y, 1))
    else:
        width = slot * 0.7
        for i in range(len(chart.labels)):
            base = 0.0
            for n, series in enumerate(chart.series):
                value = series.values[i] or 0
                if value:
                    y_top, y_base = y_of(base + value), y_of(base)
                    x = LEFT + slot * i + (slot - width) / 2
                    canvas.add(
                        '<rect class="s{}" x="{}" y="{}" width="{}" height="{}"/>',
                        n,
                        round(x, 1),
                        round(y_top, 1),
                        round(width, 1),
                        round(y_base - y_top, 1),
                    )
                base = base + value if chart.kind == "stacked" else 0.0
    if chart.target is not None:
        y = round(y_of(chart.target), 1)
        canvas.add('<line class="target" x1="{}" x2="{}" y1="{}" y2="{}"/>', LEFT, WIDTH - RIGHT, y, y)
        canvas.add(
            '<text class="target-label" x="{}" y="{}" text-anchor="end">{}</text>',
            WIDTH - RIGHT,
            y - 5,
            chart.target_label,
        )
    for i, label in enumerate(chart.labels):
        if i % chart.axis_every == 0:
            x = round(LEFT + slot * (i + 0.5), 1)
            canvas.add(
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>', x, margin + plot_h + 18, label
            )
    _draw_legend(canvas, legend)
    return canvas.svg()


def _rows(chart: Chart) -> Markup:
    """Horizontal bars, one per label (agents), the first series."""
    legend = _legend([s.name for s in chart.series])
    margin = _top_margin(legend)
    canvas = _Canvas(chart, round(margin + ROW * max(len(chart.labels), 1) + 8))
    values = [v or 0 for v in chart.series[0].values] if chart.series else []
    top = _scale(chart, max(values, default=0))
    name_width = 140
    plot_w = WIDTH - name_width - RIGHT - 44
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        y = margin + ROW * i
        canvas.add('<text x="{}" y="{}" text-anchor="end">{}</text>', name_width - 8, y + 17, label)
        canvas.add(
            '<rect class="s0" x="{}" y="{}" width="{}" height="{}"/>',
            name_width,
            y + 4,
            round(plot_w * value / top, 1),
            ROW - 8,
        )
        canvas.add(
            '<text class="tick" x="{}" y="{}">{}</text>',
            round(name_width + plot_w * value / top + 6, 1),
            y + 17,
            _number(value),
        )
    _draw_legend(canvas, legend)
    return canvas.svg()


def svg_chart(chart: Chart) -> Markup:
    """The chart as an accessible SVG image."""
    return _rows(chart) if chart.kind == "hbars" else _columns(chart)
