"""The report's charts, drawn by matplotlib and kept as inline SVG.

matplotlib renders offline, lays out ticks with its own locators (steps of 1, 2, 2.5 and 5 so an
axis reads 0/2/4/6 %) and, saved with a tight bounding box, grows the figure to hold every label,
so nothing is clipped. Text stays text (`svg.fonttype: none`) so that it can be searched, read
aloud and measured; it is set in DejaVu Sans, the font matplotlib measures with, with wide
fallbacks. Element ids are prefixed per chart, so several charts live in one page without clashes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

import matplotlib
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.typing import RcKeyType

CHANGE_COLOUR = "#7a4fbf"
MISSING_COLOUR = "#d9d9d9"
LOW_COVERAGE_COLOUR = "#f4a259"
NICE_STEPS = [1, 2, 2.5, 5, 10]

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "observatoire-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "grid.color": "#e3e3e3",
}


@dataclass(frozen=True)
class Series:
    """One line: a name (used in the element id), a legend label, a colour, a value per day."""

    name: str
    label: str
    colour: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class TimeMarks:
    """What the time axis shows besides the data: days without data, days of low coverage, and
    days from which the counting changed (with a label)."""

    missing: Sequence[date] = ()
    low_coverage: Sequence[date] = ()
    changes: Sequence[tuple[date, str]] = ()


def percent_label(value: float, step: float) -> str:
    """A share as a percentage with as many decimals as the tick step needs (2 %, 0.5 %)."""
    decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9)) if step > 0 else 0
    if step > 0 and decimals == 0 and not math.isclose(step * 100 % 1, 0, abs_tol=1e-9):
        decimals = 1
    return f"{value * 100:.{decimals}f} %"


def _percent_axis(axis, nbins: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Nice ticks (multiples of 1, 2, 2.5 or 5 × 10^k) labelled as percentages."""
    locator = MaxNLocator(nbins=nbins, steps=NICE_STEPS, min_n_ticks=3)
    axis.set_major_locator(locator)

    def label(value: float, _position: int) -> str:
        ticks = locator()
        step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else 0.01
        return percent_label(value, step)

    axis.set_major_formatter(FuncFormatter(label))


def _to_svg(figure: Figure, chart_id: str, title: str) -> str:
    """The figure as an inline <svg> element: ids prefixed by `chart_id`, a <title>, and
    responsive sizing (the viewBox stays, the page scales it)."""
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", bbox_inches="tight", pad_inches=0.08, metadata={"Date": None}
    )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    text = re.sub(
        r'(\bid="|url\(#|href="#)([^")]+)',
        lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}",
        text,
    )
    opening = re.match(r"<svg\b[^>]*>", text)
    if opening is None:
        raise ValueError(f"matplotlib wrote no <svg> element for the chart {chart_id}")
    tag = opening.group(0)
    tag = tag.replace(
        "<svg ",
        f'<svg class="chart" data-chart="{chart_id}" role="img" aria-label="{escape(title)}" ',
        1,
    )
    return tag + f"<title>{escape(title)}</title>" + text[opening.end() :]


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _x(moment: date | datetime) -> float:
    """Where a date or instant lies on a time axis: the number matplotlib converts dates to
    (its type hints take axis positions as numbers only)."""
    return float(mdates.date2num(moment))


def _start(day: date) -> float:
    """Half a day before `day`'s tick: the left edge of its slot on a time axis."""
    return _x(datetime.combine(day, time()) - timedelta(hours=12))


def _end(day: date) -> float:
    return _x(datetime.combine(day, time()) + timedelta(hours=12))


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into (first, last) stretches, drawn as one band each."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _draw_time_marks(ax: Axes, marks: TimeMarks, *, labels: bool, where: str = "") -> None:
    for first, last in _runs(marks.missing):
        ax.axvspan(
            _start(first),
            _end(last),
            color=MISSING_COLOUR,
            alpha=0.6,
            linewidth=0,
            gid=f"{where}missing-{first}",
        )
    for first, last in _runs(marks.low_coverage):
        ax.axvspan(
            _start(first),
            _end(last),
            color=LOW_COVERAGE_COLOUR,
            alpha=0.18,
            linewidth=0,
            gid=f"{where}low-coverage-{first}",
        )
    for day, label in marks.changes:
        edge = _start(day)
        ax.axvline(
            edge,
            color=CHANGE_COLOUR,
            linestyle=(0, (4, 3)),
            linewidth=1.3,
            gid=f"{where}change-{day}",
        )
        if labels:
            left_half = edge <= sum(ax.get_xlim()) / 2
            ax.annotate(
                label,
                xy=(edge, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4 if left_half else -4, -2),
                textcoords="offset points",
                ha="left" if left_half else "right",
                va="top",
                fontsize=8,
                color=CHANGE_COLOUR,
                gid=f"{where}change-label-{day}",
            )


def _date_axis(ax: Axes, days: Sequence[date], max_ticks: int = 8) -> None:
    ax.set_xlim(_start(days[0]), _end(days[-1]))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))


def _lines(ax: Axes, days: Sequence[date], series: Sequence[Series]) -> None:
    for line in series:
        values = [math.nan if v is None or v != v else float(v) for v in line.values]
        lonely = [
            i
            for i, v in enumerate(values)
            if v == v
            and (i == 0 or values[i - 1] != values[i - 1])
            and (i == len(values) - 1 or values[i + 1] != values[i + 1])
        ]
        ax.plot(
            [_x(day) for day in days],
            values,
            color=line.colour,
            linewidth=2 if line.name == "all" else 1.6,
            label=line.label,
            gid=f"series-{line.name}",
            marker="o" if lonely else None,
            markevery=lonely or None,
            markersize=4,
        )


def time_chart(
    chart_id: str,
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    marks: TimeMarks,
    coverage: Sequence[float | None] | None = None,
    low_coverage_below: float = 0.8,
) -> str:
    """Shares over every day of the period, with gaps, low coverage and changes marked; with
    `coverage`, a strip below shows the covered fraction of the programme grid each day."""
    with matplotlib.rc_context(_RC):
        figure = _figure(8.2, 4.2 if coverage is not None else 3.3)
        if coverage is not None:
            ax, strip = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, 1]})
        else:
            ax, strip = figure.subplots(1, 1), None
        _lines(ax, days, series)
        ax.set_ylim(bottom=0)
        _percent_axis(ax.yaxis)
        ax.set_ylabel("share of airtime")
        ax.grid(axis="y")
        _date_axis(ax, days)
        _draw_time_marks(ax, marks, labels=True)
        if len(series) > 1:
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.0),
                ncols=len(series),
                frameon=False,
                fontsize=9,
                handlelength=1.6,
            )
        if strip is not None and coverage is not None:
            values = [math.nan if v is None or v != v else float(v) for v in coverage]
            colours = [
                LOW_COVERAGE_COLOUR if v == v and v < low_coverage_below else "#9e9e9e"
                for v in values
            ]
            bars = strip.bar(days, [0 if v != v else v for v in values], width=0.8, color=colours)
            for day, bar in zip(days, bars, strict=True):
                bar.set_gid(f"coverage-bar-{day}")
            strip.axhline(low_coverage_below, color="#555555", linewidth=0.8, linestyle=":")
            strip.set_ylim(0, 1)
            strip.set_yticks([0, 0.5, 1], ["0 %", "50 %", "100 %"])
            strip.set_ylabel("coverage")
            _draw_time_marks(
                strip, TimeMarks(missing=marks.missing), labels=False, where="coverage-"
            )
            _date_axis(strip, days)
        return _to_svg(figure, chart_id, title)


def small_multiples(
    chart_id: str,
    title: str,
    days: Sequence[date],
    panels: Sequence[tuple[str, str, Sequence[float | None]]],
    marks: TimeMarks,
    colour: str,
    columns: int = 3,
) -> str:
    """One small line chart per panel (name, title, values) on a shared share axis, so panels
    compare at a glance."""
    rows = max(1, math.ceil(len(panels) / columns))
    with matplotlib.rc_context(_RC):
        figure = _figure(8.2, 1.75 * rows + 0.3)
        axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
        for index, ax in enumerate(axes.flat):
            if index >= len(panels):
                ax.set_visible(False)
                continue
            name, label, values = panels[index]
            _lines(ax, days, [Series(name, label, colour, values)])
            ax.set_title(label, fontsize=10)
            ax.grid(axis="y")
            _draw_time_marks(ax, marks, labels=False, where=f"{name}-")
            _date_axis(ax, days, max_ticks=4)
            ax.tick_params(labelsize=8)
        for index in range(len(panels)):
            if index + columns >= len(panels):
                axes.flat[index].xaxis.set_tick_params(labelbottom=True)
        first = axes.flat[0]
        first.set_ylim(bottom=0)
        _percent_axis(first.yaxis, nbins=3)
        return _to_svg(figure, chart_id, title)


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    groups: Mapping[str, tuple[str, Sequence[float | None]]],
    *,
    percent: bool = True,
    value_text: Sequence[Sequence[str]] | None = None,
    bar_colours: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one row per label and one bar per group (e.g. all / TV / radio), with the
    value written at the end of each bar. `bar_colours` colours single-group bars one by one."""
    count = len(labels)
    group_count = max(1, len(groups))
    height = 0.8 / group_count
    with matplotlib.rc_context(_RC):
        figure = _figure(8.2, max(1.3, 0.28 * count * max(1, group_count * 0.8) + 0.7))
        ax = figure.subplots(1, 1)
        top = 0.0
        for g, (group, (label, values)) in enumerate(groups.items()):
            positions = [i + (g - (group_count - 1) / 2) * height for i in range(count)]
            numbers = [0.0 if v is None or v != v else float(v) for v in values]
            colour = bar_colours if bar_colours is not None and group_count == 1 else None
            bars = ax.barh(
                positions,
                numbers,
                height=height * 0.9,
                color=colour if colour is not None else _GROUP_COLOURS[g % len(_GROUP_COLOURS)],
                label=label,
            )
            for i, (bar, value) in enumerate(zip(bars, values, strict=True)):
                bar.set_gid(f"bar-{group}-{i}")
                if value_text is not None:
                    text = value_text[g][i]
                elif value is None or value != value:
                    text = "n/a"
                else:
                    text = percent_label(float(value), 0.001) if percent else f"{value:g}"
                ax.annotate(
                    text,
                    xy=(bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
            top = max(top, *numbers) if numbers else top
        ax.set_yticks(range(count), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, (top or 1.0) * 1.18)
        if percent:
            _percent_axis(ax.xaxis)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=NICE_STEPS, integer=True))
        ax.grid(axis="x")
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        if group_count > 1:
            ax.legend(
                loc="lower left",
                bbox_to_anchor=(0, 1.0),
                ncols=group_count,
                frameon=False,
                fontsize=9,
            )
        return _to_svg(figure, chart_id, title)


_GROUP_COLOURS = ["#1b1b1b", "#3a7ca5", "#e07a5f", "#81b29a"]
