"""Daily indicators per channel and their rollups (METHODOLOGY §6).

Environmental minutes are counted windows times the window length; the share divides them by every
covered minute of the grid, quiet chunks included. Numerators and denominators are kept side by
side so that any period or channel group is a ratio of sums, never a mean of daily ratios (which
would give a quiet day with few covered minutes the same weight as a full day).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from observatoire import METHODOLOGY_VERSION
from observatoire.matching.matcher import COUNTER_COLUMNS
from observatoire.reference.channels import (
    CHANNELS_SCHEMA,
    DEFAULT_LANGUAGE,
    Channel,
    channels_table,
    default_channels,
)

_COUNTER_PREFIX = "number_of_keywords"
PERIODS = ("day", "week", "month", "year")


def _suffix(counter_column: str) -> str:
    return counter_column[len(_COUNTER_PREFIX) :]


MINUTE_COLUMNS: tuple[str, ...] = tuple(f"env_minutes{_suffix(c)}" for c in COUNTER_COLUMNS)
"""env_minutes, env_minutes_no_hrfp, env_minutes_<crisis>[_no_hrfp], env_minutes_<causal link>,
env_minutes_<theme> (the theme `ressources` is env_minutes_theme_ressources, as in the segments)."""
SHARE_COLUMNS: tuple[str, ...] = tuple(f"share{_suffix(c)}" for c in COUNTER_COLUMNS)

INDICATOR_SCHEMA = pa.schema(
    [
        ("channel_name", pa.string()),
        ("day", pa.date32()),
        ("grid_minutes", pa.float64()),
        ("covered_minutes", pa.float64()),
        ("coverage", pa.float64()),
        ("chunks_in_scope", pa.int64()),
        *((name, pa.float64()) for name in MINUTE_COLUMNS),
        *((name, pa.float64()) for name in SHARE_COLUMNS),
        ("dictionary_version", pa.string()),
        ("methodology_version", pa.string()),
        ("window_seconds", pa.int32()),
    ]
)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, null where the denominator is 0 or missing.

    Divided as NumPy arrays: the same IEEE division as pandas' aligned one on these
    same-indexed columns, without its per-call overhead (called once per share column, it was
    most of a day's indicator time)."""
    above = numerator.to_numpy(dtype="float64", na_value=np.nan)
    below = denominator.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(below > 0, above / np.where(below > 0, below, 1.0), np.nan)
    return pd.Series(result, index=numerator.index, dtype="float64")


def _ratios(numerators: pd.DataFrame, denominator: pd.Series) -> pd.DataFrame:
    """`_ratio` of every column over one denominator, divided as one 2-D array: element by
    element the same division, in one block instead of a column inserted per share."""
    above = numerators.to_numpy(dtype="float64", na_value=np.nan)
    below = denominator.to_numpy(dtype="float64", na_value=np.nan)[:, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(below > 0, above / np.where(below > 0, below, 1.0), np.nan)
    return pd.DataFrame(result, index=numerators.index, columns=numerators.columns)


def channel_indicators(
    segments_with_scope: pa.Table,
    time_monitored: pa.Table,
    window_seconds: int,
    dictionary_version: str,
) -> pa.Table:
    """Indicators per (channel_name, day), INDICATOR_SCHEMA, sorted by day then channel.

    Only in-scope chunks count, each chunk_id once. Every row of time_monitored appears, so a
    channel with grid minutes but no chunk has 0 covered minutes and null shares; a channel-day
    with in-scope segments but no time_monitored row gets 0 grid and covered minutes.
    """
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}")
    missing = [
        c
        for c in ("chunk_id", "channel_name", "day", "in_scope", *COUNTER_COLUMNS)
        if c not in segments_with_scope.column_names
    ]
    if missing:
        raise ValueError(f"segments lack columns {missing} (run assign_programmes first?)")
    segments = segments_with_scope.select(
        ["chunk_id", "channel_name", "day", "in_scope", *COUNTER_COLUMNS]
        + (["window_seconds"] if "window_seconds" in segments_with_scope.column_names else [])
    ).to_pandas()
    if "window_seconds" in segments:
        found = set(segments["window_seconds"].dropna().astype(int).unique()) - {window_seconds}
        if found:
            raise ValueError(
                f"segments were counted with window_seconds {sorted(found)}, not {window_seconds}"
            )
    segments = segments[segments["in_scope"].fillna(False).astype(bool)]
    segments = segments.drop_duplicates(subset="chunk_id", keep="first")
    keys = ["channel_name", "day"]
    minutes = segments.groupby(keys, sort=False)[list(COUNTER_COLUMNS)].sum()
    minutes = minutes.astype("float64") * (window_seconds / 60)
    minutes.columns = list(MINUTE_COLUMNS)
    minutes["chunks_in_scope_segments"] = segments.groupby(keys, sort=False).size()
    minutes = minutes.reset_index()

    monitored = time_monitored.select(
        ["channel_name", "day", "grid_minutes", "covered_minutes", "chunks_in_scope"]
    ).to_pandas()
    frame = monitored.merge(minutes, on=keys, how="outer")
    frame[["grid_minutes", "covered_minutes"]] = frame[["grid_minutes", "covered_minutes"]].fillna(
        0.0
    )
    frame["chunks_in_scope"] = (
        frame["chunks_in_scope"].fillna(frame["chunks_in_scope_segments"]).fillna(0).astype("int64")
    )
    frame[list(MINUTE_COLUMNS)] = frame[list(MINUTE_COLUMNS)].fillna(0.0)
    frame["coverage"] = _ratio(frame["covered_minutes"], frame["grid_minutes"])
    shares = _ratios(frame[list(MINUTE_COLUMNS)], frame["covered_minutes"])
    shares.columns = list(SHARE_COLUMNS)
    frame = pd.concat([frame, shares], axis=1)
    frame["dictionary_version"] = dictionary_version
    frame["methodology_version"] = METHODOLOGY_VERSION
    frame["window_seconds"] = window_seconds
    frame = frame.sort_values(["day", "channel_name"], kind="stable")
    return pa.Table.from_pandas(
        frame[INDICATOR_SCHEMA.names], schema=INDICATOR_SCHEMA, preserve_index=False
    )


def _period_start(days: pd.Series, period: str | None) -> pd.Series:
    stamps = pd.to_datetime(days)
    if period is None:
        return pd.Series(0, index=days.index)  # one group for the whole range
    if period == "day":
        starts = stamps
    elif period == "week":
        starts = stamps - pd.to_timedelta(stamps.dt.weekday, unit="D")
    elif period == "month":
        starts = stamps.dt.to_period("M").dt.start_time
    elif period == "year":
        starts = stamps.dt.to_period("Y").dt.start_time
    else:
        raise ValueError(f"unknown period {period!r}, expected one of {PERIODS} or None")
    return starts.dt.date


def _joined_unique(values: pd.Series) -> str:
    return ",".join(sorted({str(v) for v in values.dropna()}))


def _joined_unique_per_group(
    values: pd.Series, grouped: pd.api.typing.DataFrameGroupBy, index: pd.Index
) -> pd.Series:
    """`_joined_unique` of each group's values; one value everywhere (the usual case: one
    dictionary, one method, one window length) is that value for every group, without a Python
    call per group."""
    if len(values) and values.notna().all():
        first = values.iloc[0]
        if (values == first).all():
            return pd.Series(str(first), index=index, dtype=object)
    return grouped[values.name].agg(_joined_unique)


def rollup(
    indicators: pa.Table | pd.DataFrame,
    by: str | Sequence[str] | None = "channel_name",
    period: str | None = None,
    channels: Iterable[Channel] | pa.Table | None = None,
) -> pd.DataFrame:
    """Sum minutes over a period ("day", "week" from Monday, "month", "year", or None for the
    whole range) and groups, then divide: every share is Σ env_minutes / Σ covered_minutes.

    `by` names indicator columns (channel_name) or channel attributes (radio, all_news, title,
    language),
    the latter joined from `channels` (the reference channels by default); None groups everything.
    The result has `period` (first day of the period, or None), the group columns, `days`,
    grid_minutes, covered_minutes, coverage, chunks_in_scope, every env_minutes_* and share_*,
    and the dictionary / methodology versions and window lengths that went into it.
    """
    frame = indicators.to_pandas() if isinstance(indicators, pa.Table) else indicators.copy()
    groups = [by] if isinstance(by, str) else list(by or [])
    attributes = [column for column in groups if column not in frame.columns]
    if attributes:
        table = (
            channels
            if isinstance(channels, pa.Table)
            else channels_table(channels if channels is not None else default_channels())
        )
        known = [*CHANNELS_SCHEMA.names, "language"]
        unknown = [c for c in attributes if c not in known]
        if unknown:
            raise ValueError(
                f"cannot group by {unknown}: neither an indicator column nor a channel "
                f"attribute ({', '.join(known)})"
            )
        if "language" not in table.column_names:
            # A channel table without languages is French (see `channels_table`).
            table = table.append_column(
                "language", pa.array([DEFAULT_LANGUAGE] * table.num_rows, pa.string())
            )
        attributes_frame = table.to_pandas()[["name", *attributes]]
        frame = frame.merge(attributes_frame, left_on="channel_name", right_on="name", how="left")
        unmatched = sorted(frame.loc[frame["name"].isna(), "channel_name"].unique())
        if unmatched:
            raise ValueError(f"channels missing from the channel list: {unmatched}")
        frame = frame.drop(columns="name")

    frame["period"] = _period_start(frame["day"], period)
    keys = ["period", *groups]
    minute_columns = [c for c in MINUTE_COLUMNS if c in frame.columns]
    sums = ["grid_minutes", "covered_minutes", "chunks_in_scope", *minute_columns]
    grouped = frame.groupby(keys, sort=True, dropna=False)
    result = grouped[sums].sum()
    result.insert(0, "days", grouped["day"].nunique())
    result.insert(1, "first_day", grouped["day"].min())
    result.insert(2, "last_day", grouped["day"].max())
    result["coverage"] = _ratio(result["covered_minutes"], result["grid_minutes"])
    shares = _ratios(result[minute_columns], result["covered_minutes"])
    shares.columns = ["share" + column[len("env_minutes") :] for column in minute_columns]
    result = pd.concat([result, shares], axis=1)
    for column in ("dictionary_version", "methodology_version", "window_seconds"):
        if column in frame.columns:
            result[column] = _joined_unique_per_group(frame[column], grouped, result.index)
    result = result.reset_index()
    result["chunks_in_scope"] = result["chunks_in_scope"].astype("int64")
    if period is None:
        result["period"] = None
    return result
