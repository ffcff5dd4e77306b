"""Small real pipelines for the analyst-facing modules: captions through the real matcher."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from observatoire import METHODOLOGY_VERSION
from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.intake.records import parse_items
from observatoire.matching.matcher import Matcher
from observatoire.matching.stories import StoryRules
from observatoire.publish.indicators import INDICATOR_SCHEMA, MINUTE_COLUMNS, SHARE_COLUMNS

DAY = date(2024, 3, 12)
# 12:00 Paris (UTC+1 in March before the DST change) on DAY.
NOON = int(datetime(2024, 3, 12, 11, 0, tzinfo=UTC).timestamp())

DICTIONARY = KeywordDictionary(
    entries=(
        KeywordEntry("réchauffement climatique", "changement_climatique_constat"),
        KeywordEntry("biodiversité", "biodiversite_concepts_generaux"),
        KeywordEntry("sécheresse", "changement_climatique_consequences"),
        KeywordEntry("sécheresse", "ressources"),
        KeywordEntry("pétrole", "changement_climatique_causes", high_risk=True),
        KeywordEntry("eau potable", "ressources"),
    )
)

FILLER = "le gouvernement a présenté ce matin un nouveau texte sur les retraites et la santé"


def item(channel: str, start: int, text: str) -> dict:
    """A provider-shaped item whose words are spread one per second from `start`."""
    words = text.split()
    srt = [
        {"cts_in_ms": start * 1000 + i * 1000, "duration_ms": 500, "text": w}
        for i, w in enumerate(words)
    ]
    return {
        "channel": {"name": channel, "title": channel.upper(), "radio": False},
        "start": start,
        "plaintext": text,
        "srt": srt,
    }


def sample_items() -> list[dict]:
    """Three chunks on france2, one on tf1; keyword positions chosen to land in known windows."""
    f2_first = " ".join(
        ["le", "réchauffement", "climatique", "inquiète"]  # second 1 -> window 0
        + ["mot"] * 21
        + ["la", "biodiversité", "recule"]  # second 26 -> window 1
        + ["mot"] * 12
        + ["encore", "la", "biodiversité"]  # second 42 -> window 2
    )
    f2_second = " ".join(["du", "pétrole", "et", "de", "la", "sécheresse", "partout"])
    f2_quiet = FILLER
    tf1 = " ".join(["l'", "eau", "potable", "manque", "avec", "le", "pétrole"])
    return [
        item("france2", NOON, f2_first),
        item("france2", NOON + 120, f2_second),
        item("france2", NOON + 240, f2_quiet),
        item("tf1", NOON, tf1),
    ]


def matched() -> tuple[pa.Table, pa.Table, pa.Table]:
    """(captions, segments, keywords) of `sample_items` through the real parser and matcher."""
    parsed = parse_items(sample_items(), source="test")
    result = Matcher(DICTIONARY, window_seconds=20, story_rules=StoryRules()).match_table(
        parsed.table
    )
    return parsed.table, result.segments, result.keywords


def indicator_table(days: list[date], channels: list[str]) -> pa.Table:
    """Indicators in INDICATOR_SCHEMA with known numbers: env minutes grow with day and channel.

    Climate takes half of the environmental minutes, every other breakdown a quarter.
    """
    rows = []
    for d_index, day in enumerate(days):
        for c_index, channel in enumerate(channels):
            covered = 100.0 + 10 * c_index
            env = 1.0 + d_index + c_index
            row: dict = {
                "channel_name": channel,
                "day": day,
                "grid_minutes": 120.0,
                "covered_minutes": covered,
                "coverage": covered / 120.0,
                "chunks_in_scope": int(covered // 2),
                "dictionary_version": "abc123def456",
                "methodology_version": METHODOLOGY_VERSION,
                "window_seconds": 20,
            }
            for minutes, share in zip(MINUTE_COLUMNS, SHARE_COLUMNS, strict=True):
                if minutes == "env_minutes":
                    part = env
                elif minutes.startswith("env_minutes_climat"):
                    part = env / 2
                else:
                    part = env / 4
                row[minutes] = part
                row[share] = part / covered
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=INDICATOR_SCHEMA)
