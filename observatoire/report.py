"""A static, self-contained HTML report of the indicators for a period.

The report must open anywhere, offline, years later: one HTML file, charts drawn as inline SVG,
no script, no external font or library. Every aggregate is a ratio of sums (sum of environmental
minutes over sum of covered minutes), never a mean of daily shares.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from observatoire.themes import CRISES

CRISIS_COLOURS: Mapping[str, str] = {
    "all": "#1b1b1b",
    "climat": "#d1495b",
    "biodiversite": "#2e8b57",
    "ressources": "#2b6cb0",
}
CRISIS_LABELS: Mapping[str, str] = {
    "all": "all crises",
    "climat": "climate",
    "biodiversite": "biodiversity",
    "ressources": "resources",
}

KEYWORD_COUNT_SCHEMA = pa.schema(
    [
        ("keyword", pa.string()),
        ("crisis", pa.string()),
        ("windows", pa.int64()),
        ("occurrences", pa.int64()),
    ]
)


def keyword_counts(keywords: pa.Table) -> pa.Table:
    """Counted occurrences and distinct counted windows per (keyword, crisis), for one day or more.

    Small enough to keep per day and sum over a period, so the report never loads the evidence
    of a whole year at once.
    """
    if keywords.num_rows == 0:
        return KEYWORD_COUNT_SCHEMA.empty_table()
    counted = keywords.filter(pc.equal(keywords["counted"], True))
    frame = counted.select(["keyword", "crisis", "chunk_id", "window"]).to_pandas()
    if frame.empty:
        return KEYWORD_COUNT_SCHEMA.empty_table()
    grouped = frame.groupby(["keyword", "crisis"], sort=True)
    out = pd.DataFrame(
        {
            "windows": grouped[["chunk_id", "window"]].apply(lambda g: len(g.drop_duplicates())),
            "occurrences": grouped.size(),
        }
    ).reset_index()
    return pa.Table.from_pandas(out, schema=KEYWORD_COUNT_SCHEMA, preserve_index=False)


def sum_keyword_counts(tables: Sequence[pa.Table]) -> pa.Table:
    """Add up per-day keyword counts."""
    if not tables:
        return KEYWORD_COUNT_SCHEMA.empty_table()
    merged = pa.concat_tables([t.cast(KEYWORD_COUNT_SCHEMA) for t in tables])
    summed = merged.group_by(["keyword", "crisis"]).aggregate(
        [("windows", "sum"), ("occurrences", "sum")]
    )
    return pa.table(
        {
            "keyword": summed["keyword"],
            "crisis": summed["crisis"],
            "windows": summed["windows_sum"],
            "occurrences": summed["occurrences_sum"],
        },
        schema=KEYWORD_COUNT_SCHEMA,
    )


@dataclass(frozen=True)
class ReportData:
    """The aggregates the report draws, computed once from the indicators."""

    start: date
    end: date
    by_day: pd.DataFrame  # day, share, share_<crisis>
    by_channel_day: pd.DataFrame  # channel_name, day, share
    ranking: pd.DataFrame  # channel_name, env_minutes, covered_minutes, share, share_<crisis>
    top_keywords: pd.DataFrame  # keyword, crisis, windows, occurrences
    total_share: float | None
    methodology_versions: tuple[str, ...]
    dictionary_versions: tuple[str, ...]
    missing_days: tuple[date, ...] = ()
    changes: tuple[tuple[date, str], ...] = ()
    """Days from which the counting changed (dictionary, window or profile), with a label."""


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def report_data(
    indicators: pa.Table,
    keywords: pa.Table | None = None,
    top: int = 20,
    *,
    days: Sequence[date] | None = None,
    changes: Sequence[tuple[date, str]] = (),
) -> ReportData:
    """Ratios of sums per day, per channel-day and per channel, and the most counted keywords.

    `days` are every day of the period: those without indicator rows stay on the time axis as
    gaps (no value), never squeezed out. `changes` mark where the counting changed.
    """
    frame = indicators.to_pandas()
    if frame.empty:
        raise ValueError("no indicator rows to report on")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    minutes = ["env_minutes", "covered_minutes"] + [f"env_minutes_{c}" for c in CRISES]
    daily = frame.groupby("day", sort=True)[minutes].sum()
    present = set(daily.index)
    axis = sorted(set(days) | present) if days is not None else sorted(present)
    daily = daily.reindex(axis).rename_axis("day").reset_index()
    daily["share"] = _ratio(daily["env_minutes"], daily["covered_minutes"])
    for crisis in CRISES:
        daily[f"share_{crisis}"] = _ratio(daily[f"env_minutes_{crisis}"], daily["covered_minutes"])
    per_channel_day = frame[["channel_name", "day", "env_minutes", "covered_minutes"]].copy()
    per_channel_day["share"] = _ratio(
        per_channel_day["env_minutes"], per_channel_day["covered_minutes"]
    )
    ranking = frame.groupby("channel_name", sort=True)[minutes].sum().reset_index()
    ranking["share"] = _ratio(ranking["env_minutes"], ranking["covered_minutes"])
    for crisis in CRISES:
        ranking[f"share_{crisis}"] = _ratio(
            ranking[f"env_minutes_{crisis}"], ranking["covered_minutes"]
        )
    ranking = ranking.sort_values(
        ["share", "channel_name"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)
    if keywords is not None and keywords.num_rows:
        kw = keywords.to_pandas().sort_values(
            ["windows", "occurrences", "keyword"], ascending=[False, False, True]
        )
        top_keywords = kw.head(top).reset_index(drop=True)
    else:
        top_keywords = pd.DataFrame(columns=["keyword", "crisis", "windows", "occurrences"])
    covered = float(frame["covered_minutes"].sum())
    total = float(frame["env_minutes"].sum()) / covered if covered > 0 else None

    def versions(column: str) -> tuple[str, ...]:
        if column not in frame:
            return ()
        return tuple(sorted({str(v) for v in frame[column].dropna()}))

    return ReportData(
        start=axis[0],
        end=axis[-1],
        by_day=daily,
        by_channel_day=per_channel_day,
        ranking=ranking,
        top_keywords=top_keywords,
        total_share=total,
        methodology_versions=versions("methodology_version"),
        dictionary_versions=versions("dictionary_version"),
        missing_days=tuple(d for d in axis if d not in present),
        changes=tuple(changes),
    )


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value * 100:.{digits}f} %"


def _nice_max(value: float) -> float:
    """Smallest of 1, 2, 2.5, 5 × 10^k percent steps above the data, so axes read cleanly."""
    if not value or value <= 0 or pd.isna(value):
        return 0.01
    step = 0.001
    while True:
        for factor in (1, 2, 2.5, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def line_chart(
    series: Mapping[str, Sequence[tuple[date, float | None]]],
    days: Sequence[date],
    colours: Mapping[str, str],
    *,
    title: str,
    width: int = 760,
    height: int = 260,
    y_max: float | None = None,
    markers: Sequence[tuple[date, str]] = (),
) -> str:
    """An SVG line chart of shares over days; one <path> per series, gaps where data is missing,
    and a dashed vertical line with its label at each marker (a change of dictionary)."""
    left, right, top, bottom = 52, 24, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for points in series.values() for _, v in points if v is not None and v == v]
    y_top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    index = {d: i for i, d in enumerate(days)}
    span = max(len(days) - 1, 1)

    def x(day: date) -> float:
        if len(days) == 1:
            return left + plot_w / 2
        return left + plot_w * index[day] / span

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, y_top) / y_top)

    parts = [
        f'<svg class="chart line-chart" role="img" aria-label="{html.escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i in range(5):
        value = y_top * i / 4
        yy = y(value)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11">'
            f"{_pct(value, 1 if y_top < 0.1 else 0)}</text>"
        )
    slots = max(2, plot_w // 56)  # about one date label per 56 pixels
    label_every = max(1, -(-len(days) // slots))
    for i, day in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(day):.1f}" y="{height - 8}" text-anchor="middle" font-size="11">'
                f"{day:%d/%m}</text>"
            )
    for day, label in markers:
        if day not in index:
            continue
        xx = x(day)
        parts.append(
            f'<line class="version-change" x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" '
            f'y2="{top + plot_h}" stroke="#7a4fbf" stroke-width="1.5" stroke-dasharray="4 3">'
            f"<title>{html.escape(label)}</title></line>"
        )
        parts.append(
            f'<text class="version-change-label" x="{xx + 3:.1f}" y="{top + 11}" '
            f'font-size="10" fill="#7a4fbf">{html.escape(label)}</text>'
        )
    for name, points in series.items():
        colour = colours.get(name, "#555")
        segments: list[list[tuple[float, float]]] = [[]]
        for day, value in points:
            if value is None or value != value:
                segments.append([])
                continue
            segments[-1].append((x(day), y(value)))
        d = " ".join(
            "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in seg) for seg in segments if seg
        )
        if d:
            parts.append(
                f'<path class="series" data-series="{html.escape(name)}" d="{d}" fill="none" '
                f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
            )
        for seg in segments:
            if len(seg) == 1:
                px, py = seg[0]
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    bars: Sequence[tuple[str, float, str, str]],
    *,
    title: str,
    width: int = 760,
    bar_height: int = 20,
    x_max: float | None = None,
) -> str:
    """Horizontal SVG bar chart; `bars` are (label, value, colour, value text), one <rect> each."""
    left, right, top = 170, 80, 6
    height = top * 2 + bar_height * len(bars)
    plot_w = width - left - right
    vmax = x_max if x_max is not None else max((b[1] for b in bars), default=0.0)
    vmax = vmax or 1.0
    parts = [
        f'<svg class="chart bar-chart" role="img" aria-label="{html.escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (label, value, colour, text) in enumerate(bars):
        yy = top + i * bar_height
        w = 0.0 if value != value else plot_w * max(value, 0.0) / vmax
        parts.append(
            f'<text x="{left - 8}" y="{yy + bar_height * 0.7:.1f}" text-anchor="end" '
            f'font-size="12">{html.escape(label)}</text>'
        )
        parts.append(
            f'<rect class="bar" x="{left}" y="{yy + 2}" width="{w:.1f}" '
            f'height="{bar_height - 4}" fill="{colour}"><title>{html.escape(label)}: '
            f"{html.escape(text)}</title></rect>"
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{yy + bar_height * 0.7:.1f}" font-size="12">'
            f"{html.escape(text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: Sequence[str]) -> str:
    items = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{CRISIS_COLOURS[n]}">'
        f"</span>{html.escape(CRISIS_LABELS[n])}</span>"
        for n in names
    )
    return f'<p class="legend">{items}</p>'


def _table(frame: pd.DataFrame, columns: Mapping[str, str], formats: Mapping[str, str]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for column in columns:
            value = record[column]
            kind = formats.get(column, "text")
            if kind == "pct":
                text = _pct(value, 2)
            elif kind == "min":
                text = "n/a" if pd.isna(value) else f"{value:,.1f}"
            else:
                text = str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:820px;
color:#1b1b1b;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
.headline{font-size:1.15rem}.meta{color:#555;font-size:.9rem}
.legend-item{margin-right:1rem;font-size:.9rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle}
.small-multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:.6rem}
.small-multiples figure{margin:0}.small-multiples figcaption{font-size:.85rem;font-weight:600}
table{border-collapse:collapse;font-size:.85rem;margin-top:.6rem}
td,th{border-bottom:1px solid #e3e3e3;padding:.15rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}
svg.chart{max-width:100%;height:auto}
"""


def render_report(data: ReportData, *, title: str = "Ecology in French TV and radio news") -> str:
    """The report as one HTML document."""
    days = list(data.by_day["day"])
    crisis_series = {
        "all": list(zip(days, data.by_day["share"], strict=True)),
        **{c: list(zip(days, data.by_day[f"share_{c}"], strict=True)) for c in CRISES},
    }
    crisis_chart = line_chart(
        crisis_series,
        days,
        CRISIS_COLOURS,
        title="Daily share of airtime, all channels",
        markers=data.changes,
    )
    channel_max = _nice_max(float(data.by_channel_day["share"].max(skipna=True) or 0.0))
    multiples = []
    for channel, group in data.by_channel_day.groupby("channel_name", sort=True):
        by_day = dict(zip(group["day"], group["share"], strict=True))
        points = [(d, by_day.get(d)) for d in days]
        chart = line_chart(
            {channel: points},
            days,
            {channel: CRISIS_COLOURS["all"]},
            title=f"Daily share, {channel}",
            width=260,
            height=120,
            y_max=channel_max,
            markers=data.changes,
        )
        multiples.append(
            f'<figure class="channel" data-channel="{html.escape(str(channel))}">'
            f"<figcaption>{html.escape(str(channel))}</figcaption>{chart}</figure>"
        )
    ranking_bars = [
        (str(r["channel_name"]), float(r["share"]), CRISIS_COLOURS["all"], _pct(r["share"], 2))
        for r in data.ranking.to_dict("records")
        if not pd.isna(r["share"])
    ]
    ranking_chart = bar_chart(ranking_bars, title="Channels ranked by share of airtime")
    keyword_bars = [
        (
            str(r["keyword"]),
            float(r["windows"]),
            CRISIS_COLOURS.get(str(r["crisis"]), "#555"),
            f"{int(r['windows'])} window{'s' if int(r['windows']) != 1 else ''}",
        )
        for r in data.top_keywords.to_dict("records")
    ]
    keyword_section = (
        bar_chart(keyword_bars, title="Most counted keywords")
        if keyword_bars
        else "<p>No keyword evidence for this period.</p>"
    )
    ranking_table = _table(
        data.ranking,
        {
            "channel_name": "channel",
            "env_minutes": "env. minutes",
            "covered_minutes": "covered minutes",
            "share": "share",
            **{f"share_{c}": CRISIS_LABELS[c] for c in CRISES},
        },
        {
            "env_minutes": "min",
            "covered_minutes": "min",
            "share": "pct",
            **{f"share_{c}": "pct" for c in CRISES},
        },
    )
    versions = (
        f"methodology {', '.join(data.methodology_versions) or 'unknown'}; "
        f"dictionary {', '.join(data.dictionary_versions) or 'unknown'}"
    )
    notes = []
    if data.missing_days:
        listed = ", ".join(f"{d:%d/%m}" for d in data.missing_days)
        notes.append(
            f'<p class="meta gaps">No data for {len(data.missing_days)} day(s), left as gaps: '
            f"{html.escape(listed)}.</p>"
        )
    for day, label in data.changes:
        notes.append(
            f'<p class="meta version-change-note">From {day}: {html.escape(label)}. Figures '
            "before and after this line were counted differently.</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}, {data.start} to {data.end}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">Broadcast days {data.start} to {data.end} · {len(data.ranking)} channels ·
{html.escape(versions)}</p>
{"".join(notes)}
<p class="headline">Over the period, <strong>{_pct(data.total_share, 2)}</strong> of the covered
news airtime was about ecology (climate, biodiversity or natural resources).</p>
<p class="meta">Share = environmental minutes / covered minutes. Environmental minutes are
20-second windows holding at least one counted keyword. Aggregates are ratios of sums.</p>

<section id="by-crisis"><h2>Share over time, by crisis</h2>
{_legend(["all", *CRISES])}
{crisis_chart}
<p class="meta">A window may hold keywords of several crises, so the crisis shares overlap and
can add up to more than the total.</p></section>

<section id="by-channel"><h2>Share over time, per channel</h2>
<div class="small-multiples">{"".join(multiples)}</div></section>

<section id="ranking"><h2>Ranking of channels over the period</h2>
{ranking_chart}
{ranking_table}</section>

<section id="keywords"><h2>Top keywords</h2>
{_legend(list(CRISES))}
{keyword_section}
<p class="meta">Counted 20-second windows holding the keyword.</p></section>
</body></html>
"""


def write_report(page: str, filesystem: pafs.FileSystem, path: str) -> str:
    """Write the page under a temporary name, then move it into place; returns `path`."""
    folder = path.rsplit("/", 1)[0]
    filesystem.create_dir(folder, recursive=True)
    temporary = f"{folder}/.{path.rsplit('/', 1)[-1]}.tmp"
    with filesystem.open_output_stream(temporary) as out:
        out.write(page.encode("utf-8"))
    filesystem.move(temporary, path)
    return path
