"""A static, self-contained HTML report of the indicators for a period.

The report must open anywhere, offline, years later: one HTML file, charts drawn by matplotlib
as inline SVG (observatoire.publish.report_charts), no script, no external font or library. Every
aggregate is a ratio of sums (sum of environmental minutes over sum of covered minutes), never a
mean of daily shares.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from observatoire.core.themes import CAUSAL_LINKS, CRISES
from observatoire.publish.report_charts import (
    Series,
    TimeMarks,
    bar_chart,
    small_multiples,
    time_chart,
)

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

CAUSAL_LINK_LABELS: Mapping[str, str] = {
    "constat": "observation",
    "causes": "causes",
    "consequences": "consequences",
    "solutions": "solutions",
}
TV, RADIO, UNKNOWN_MEDIUM, ALL_CHANNELS = "TV", "radio", "unknown medium", "all channels"
MEDIUM_COLOURS: Mapping[str, str] = {TV: "#3a7ca5", RADIO: "#e07a5f"}
LOW_COVERAGE = 0.8
"""A day with less than this fraction of its programme grid received is marked as low coverage."""
METHODOLOGY_URL = "METHODOLOGY.md"
"""Where the report links for the full method; relative, so it can be published next to it."""

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
    by_day: pd.DataFrame  # day, share, share_<crisis>, coverage
    by_channel_day: pd.DataFrame  # channel_name, day, share
    ranking: pd.DataFrame  # channel_name, channel_title, medium, minutes, share, share_<crisis>
    top_keywords: pd.DataFrame  # keyword, crisis, windows, occurrences
    total_share: float | None
    methodology_versions: tuple[str, ...]
    dictionary_versions: tuple[str, ...]
    missing_days: tuple[date, ...] = ()
    changes: tuple[tuple[date, str], ...] = ()
    """Days from which the counting changed (dictionary, window or profile), with a label."""
    by_medium_day: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, medium, share
    breakdown: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per group (all, TV, radio): share and share_<crisis>, share_<causal link>."""
    low_coverage_days: tuple[date, ...] = ()
    low_coverage_below: float = LOW_COVERAGE


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def _with_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Ratios of sums next to the summed minutes: share overall, per crisis and causal link."""
    frame["share"] = _ratio(frame["env_minutes"], frame["covered_minutes"])
    for part in (*CRISES, *CAUSAL_LINKS):
        frame[f"share_{part}"] = _ratio(frame[f"env_minutes_{part}"], frame["covered_minutes"])
    return frame


def _channel_identities(channels: pa.Table | None, names: Sequence[str]) -> pd.DataFrame:
    """Display title and medium (TV or radio) per channel id; a channel absent from the
    reference data keeps its id as title and an unknown medium, so it is still shown."""
    reference = channels.to_pandas() if channels is not None else pd.DataFrame()
    known = (
        {
            str(r["name"]): (str(r["title"]), RADIO if bool(r["radio"]) else TV)
            for r in reference.to_dict("records")
        }
        if not reference.empty
        else {}
    )
    return pd.DataFrame(
        {
            "channel_name": list(names),
            "channel_title": [known.get(n, (n, UNKNOWN_MEDIUM))[0] for n in names],
            "medium": [known.get(n, (n, UNKNOWN_MEDIUM))[1] for n in names],
        }
    )


def report_data(
    indicators: pa.Table,
    keywords: pa.Table | None = None,
    top: int = 20,
    *,
    days: Sequence[date] | None = None,
    changes: Sequence[tuple[date, str]] = (),
    channels: pa.Table | None = None,
    low_coverage_below: float = LOW_COVERAGE,
) -> ReportData:
    """Ratios of sums per day, per medium, per channel-day and per channel, and the most counted
    keywords.

    `days` are every day of the period: those without indicator rows stay on the time axis as
    gaps (no value), never squeezed out. `changes` mark where the counting changed. `channels`
    (name, title, radio) gives display names and the TV/radio split; without it, ids are shown.
    A day whose covered minutes are below `low_coverage_below` of its grid minutes is marked.
    """
    frame = indicators.to_pandas()
    if frame.empty:
        raise ValueError("no indicator rows to report on")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    identities = _channel_identities(channels, sorted(frame["channel_name"].unique()))
    frame = frame.merge(identities, on="channel_name", how="left")
    minutes = [
        "env_minutes",
        "covered_minutes",
        "grid_minutes",
        *(f"env_minutes_{part}" for part in (*CRISES, *CAUSAL_LINKS)),
    ]
    daily = frame.groupby("day", sort=True)[minutes].sum()
    present = set(daily.index)
    axis = sorted(set(days) | present) if days is not None else sorted(present)
    daily = _with_shares(daily.reindex(axis).rename_axis("day").reset_index())
    daily["coverage"] = _ratio(daily["covered_minutes"], daily["grid_minutes"])
    per_medium_day = frame.groupby(["medium", "day"], sort=True)[minutes].sum().reset_index()
    per_medium_day = _with_shares(per_medium_day)[["day", "medium", "share"]]
    per_channel_day = frame[["channel_name", "day", "env_minutes", "covered_minutes"]].copy()
    per_channel_day["share"] = _ratio(
        per_channel_day["env_minutes"], per_channel_day["covered_minutes"]
    )
    ranking = _with_shares(
        frame.groupby(["channel_name", "channel_title", "medium"], sort=True)[minutes]
        .sum()
        .reset_index()
    )
    ranking = ranking.sort_values(
        ["share", "channel_title"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)
    groups = [frame[minutes].sum().rename(ALL_CHANNELS)]
    for medium in (TV, RADIO):
        part = frame[frame["medium"] == medium]
        if not part.empty:
            groups.append(part[minutes].sum().rename(medium))
    breakdown = _with_shares(pd.DataFrame(groups)).rename_axis("group").reset_index()
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

    low = daily[daily["coverage"] < low_coverage_below]["day"]
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
        by_medium_day=per_medium_day,
        breakdown=breakdown,
        low_coverage_days=tuple(low),
        low_coverage_below=low_coverage_below,
    )


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value * 100:.{digits}f} %"


def _optional(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


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
    return (
        f'<div class="table"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _labelled(title: str, medium: str) -> str:
    """A channel title with its medium, unless the title already says it (franceinfo (radio))."""
    return title if title.endswith(")") else f"{title} ({medium})"


def _day_list(days: Sequence[date]) -> str:
    """Days as dd/mm, three or more consecutive days as one stretch (01/11–24/11)."""
    stretches: list[list[date]] = []
    for day in sorted(days):
        if stretches and (day - stretches[-1][-1]).days == 1:
            stretches[-1].append(day)
        else:
            stretches.append([day])
    parts = []
    for stretch in stretches:
        if len(stretch) >= 3:
            parts.append(f"{stretch[0]:%d/%m}–{stretch[-1]:%d/%m}")
        else:
            parts.extend(f"{d:%d/%m}" for d in stretch)
    return ", ".join(parts)


_STYLE = """
body{font-family:"DejaVu Sans",Verdana,system-ui,sans-serif;margin:2rem auto;max-width:860px;
color:#1b1b1b;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
.headline{font-size:1.15rem}.meta{color:#555;font-size:.9rem}
.method{background:#f5f5f2;padding:.6rem .9rem;border-left:3px solid #999}
table{border-collapse:collapse;font-size:.8rem;margin-top:.6rem}
td,th{border-bottom:1px solid #e3e3e3;padding:.15rem .35rem;text-align:right;white-space:nowrap}
div.table{overflow-x:auto}
td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
svg.chart{display:block;max-width:100%;height:auto;margin:.4rem 0}
"""


def render_report(
    data: ReportData,
    *,
    title: str = "Ecology in French TV and radio news",
    methodology_url: str = METHODOLOGY_URL,
) -> str:
    """The report as one HTML document."""
    days = list(data.by_day["day"])
    marks = TimeMarks(
        missing=data.missing_days, low_coverage=data.low_coverage_days, changes=data.changes
    )
    crisis_chart = time_chart(
        "by-crisis",
        "Daily share of airtime, all channels, by crisis",
        days,
        [
            Series("all", CRISIS_LABELS["all"], CRISIS_COLOURS["all"], list(data.by_day["share"])),
            *(
                Series(c, CRISIS_LABELS[c], CRISIS_COLOURS[c], list(data.by_day[f"share_{c}"]))
                for c in CRISES
            ),
        ],
        marks,
        coverage=list(data.by_day["coverage"]),
        low_coverage_below=data.low_coverage_below,
    )
    medium_series = []
    for medium in (TV, RADIO):
        part = data.by_medium_day[data.by_medium_day["medium"] == medium]
        if part.empty:
            continue
        by_day = dict(zip(part["day"], part["share"], strict=True))
        medium_series.append(
            Series(medium.lower(), medium, MEDIUM_COLOURS[medium], [by_day.get(d) for d in days])
        )
    medium_chart = (
        time_chart("by-medium", "Daily share of airtime, TV and radio", days, medium_series, marks)
        if medium_series
        else ""
    )
    groups = list(data.breakdown["group"])
    breakdown = data.breakdown.set_index("group")

    def grouped(parts: Sequence[str]) -> dict[str, tuple[str, list[float | None]]]:
        return {
            str(g).lower().replace(" ", "-"): (
                str(g),
                [_optional(breakdown.loc[g, f"share_{p}"]) for p in parts],
            )
            for g in groups
        }

    crisis_bars = bar_chart(
        "crisis-split",
        "Share of airtime by crisis, all channels, TV and radio",
        [CRISIS_LABELS[c] for c in CRISES],
        grouped(CRISES),
    )
    link_bars = bar_chart(
        "causal-links",
        "Share of airtime by causal link, all channels, TV and radio",
        [CAUSAL_LINK_LABELS[link] for link in CAUSAL_LINKS],
        grouped(CAUSAL_LINKS),
    )
    panels = []
    for channel, group in data.by_channel_day.groupby("channel_name", sort=False):
        by_day = dict(zip(group["day"], group["share"], strict=True))
        panels.append((str(channel), [by_day.get(d) for d in days]))
    titles = dict(zip(data.ranking["channel_name"], data.ranking["channel_title"], strict=True))
    media = dict(zip(data.ranking["channel_name"], data.ranking["medium"], strict=True))
    panels.sort(key=lambda p: (media[p[0]] != TV, titles[p[0]].lower()))
    multiples = small_multiples(
        "by-channel",
        "Daily share of airtime per channel",
        days,
        [(name, _labelled(titles[name], media[name]), values) for name, values in panels],
        TimeMarks(missing=data.missing_days, changes=data.changes),
        CRISIS_COLOURS["all"],
    )
    ranked = data.ranking[data.ranking["share"].notna()]
    ranking_chart = bar_chart(
        "ranking",
        "Channels ranked by share of airtime over the period",
        [_labelled(t, m) for t, m in zip(ranked["channel_title"], ranked["medium"], strict=True)],
        {"share": ("share", list(ranked["share"]))},
        bar_colours=[MEDIUM_COLOURS.get(m, "#777777") for m in ranked["medium"]],
    )
    keywords = data.top_keywords
    keyword_section = (
        bar_chart(
            "keywords",
            "Most counted keywords",
            [
                f"{k} ({CRISIS_LABELS.get(str(c), str(c))})"
                for k, c in zip(keywords["keyword"], keywords["crisis"], strict=True)
            ],
            {"windows": ("windows", [float(w) for w in keywords["windows"]])},
            percent=False,
            value_text=[
                [f"{int(w)} window{'s' if int(w) != 1 else ''}" for w in keywords["windows"]]
            ],
            bar_colours=[CRISIS_COLOURS.get(str(c), "#555555") for c in keywords["crisis"]],
        )
        if not keywords.empty
        else "<p>No keyword evidence for this period.</p>"
    )
    ranking_table = _table(
        data.ranking,
        {
            "channel_title": "channel",
            "medium": "medium",
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
        notes.append(
            f'<p class="meta gaps">No data for {len(data.missing_days)} day(s), left as gaps: '
            f"{html.escape(_day_list(data.missing_days))}.</p>"
        )
    if data.low_coverage_days:
        notes.append(
            f'<p class="meta low-coverage">Low coverage (under '
            f"{data.low_coverage_below:.0%} of the programme grid received) on "
            f"{len(data.low_coverage_days)} day(s), shaded orange: "
            f"{html.escape(_day_list(data.low_coverage_days))}.</p>"
        )
    for day, label in data.changes:
        notes.append(
            f'<p class="meta version-change-note">From {day}: {html.escape(label)}. Figures '
            "before and after the dashed line were counted differently.</p>"
        )
    channel_count = len(data.ranking)
    media_counts = data.ranking["medium"].value_counts()
    split = ", ".join(
        f"{media_counts[m]} {m}" for m in (TV, RADIO, UNKNOWN_MEDIUM) if m in media_counts
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}, {data.start} to {data.end}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">Broadcast days {data.start} to {data.end} · {channel_count} channels
({html.escape(split)}) · {html.escape(versions)}</p>
<p class="headline">Over the period, <strong>{_pct(data.total_share, 2)}</strong> of the covered
news airtime was about ecology (climate, biodiversity or natural resources).</p>
<p class="method">Method: the captions of each channel's news programmes are cut into 20-second
windows, and a window counts as talking about ecology when it holds a keyword of the public
dictionary. The share is the time of those windows divided by all the news time received, summed
over days and channels before dividing. <a href="{html.escape(methodology_url)}">Full
methodology</a>.</p>
{"".join(notes)}

<section id="by-crisis"><h2>Share over time, by crisis</h2>
{crisis_chart}
<p class="meta">A window may hold keywords of several crises, so the crisis shares overlap and
can add up to more than the total. Grey bands: no data. Orange: low coverage. Dashed line: the
counting changed.</p></section>

<section id="by-medium"><h2>TV and radio</h2>
{medium_chart}
{crisis_bars}</section>

<section id="by-causal-link"><h2>By causal link</h2>
{link_bars}
<p class="meta">Each dictionary theme states what it says about a crisis: the observation
(constat), its causes, its consequences or its solutions.</p></section>

<section id="by-channel"><h2>Share over time, per channel</h2>
{multiples}</section>

<section id="ranking"><h2>Ranking of channels over the period</h2>
{ranking_chart}
{ranking_table}</section>

<section id="keywords"><h2>Top keywords</h2>
{keyword_section}
<p class="meta">Counted 20-second windows holding the keyword, coloured by crisis.</p></section>
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
