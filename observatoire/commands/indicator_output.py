"""How `observatoire indicators` orders its table and explains its columns."""

from __future__ import annotations

import argparse

import pandas as pd

from observatoire.core.themes import CRISES
from observatoire.publish.indicator_table import COLUMNS, TOTAL

SORT_KEYS = {
    "share": ("share", False),
    "channel": ("channel_name", True),
    "coverage": ("coverage", False),
    "env-minutes": ("env_minutes", False),
    "covered-minutes": ("covered_minutes", False),
    **{crisis: (f"share_{crisis}", False) for crisis in CRISES},
}
"""--sort value -> (column, ascending); figures sort largest first, channels A to Z."""

LEGEND = {
    "channel": "channel id; the last row sums every channel",
    "days": "broadcast days (the country's time zone) with figures for the channel",
    "covered min": "minutes of news programmes in scope that captions covered",
    "coverage": "covered minutes / programme-grid minutes",
    "env min": "environmental minutes: counted keyword windows × window length",
    "share": "env min / covered min, a ratio of sums over the days",
    **{crisis: f"share of covered airtime about the {crisis} crisis" for crisis in CRISES},
    "share no hrfp": "share without windows counted only through a high-risk keyword "
    "(high risk of false positive) promoted by a direct keyword nearby",
}


def add_sort_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sort",
        choices=sorted(SORT_KEYS),
        default="share",
        help="order of the channels (default: share, largest first; the total stays last)",
    )


def sort_summary(summary: pd.DataFrame, key: str) -> pd.DataFrame:
    """Channels ordered by `key`, the all-channels total kept as the last row."""
    column, ascending = SORT_KEYS[key]
    total = summary[summary["channel_name"] == TOTAL]
    channels = summary[summary["channel_name"] != TOTAL]
    if column in channels.columns:
        channels = channels.sort_values(
            [column, "channel_name"], ascending=[ascending, True], na_position="last"
        )
    return pd.concat([channels, total], ignore_index=True)


def legend(summary: pd.DataFrame) -> str:
    """One line per column shown, so the table reads without the methodology at hand."""
    shown = [c.header for c in COLUMNS if c.source in summary.columns]
    width = max(len(header) for header in shown)
    lines = [f"  {header:<{width}}  {LEGEND[header]}" for header in shown if header in LEGEND]
    return "\n".join(lines)
