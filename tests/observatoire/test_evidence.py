from __future__ import annotations

import argparse
import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import date

import pyarrow as pa
import pytest

from observatoire.commands import explain
from observatoire.matching.evidence import (
    EVIDENCE_SCHEMA,
    channel_day_evidence,
    evidence_table,
    format_evidence,
)
from observatoire.storage.lake import Lake
from tests.observatoire.analyst_fixtures import DAY, matched


def _indicator(channel: str, env_minutes: float, covered: float) -> dict:
    return {
        "channel_name": channel,
        "day": DAY,
        "env_minutes": env_minutes,
        "covered_minutes": covered,
        "share": env_minutes / covered,
        "window_seconds": 20,
        "dictionary_version": "abc123def456",
    }


def test_windows_follow_the_matcher_counters():
    _, segments, keywords = matched()
    france2 = [r for r in segments.to_pylist() if r["channel_name"] == "france2"]
    evidence = channel_day_evidence(keywords, "france2", DAY, covered_minutes=6.0)

    assert len(evidence.windows) == sum(r["number_of_keywords"] for r in france2) == 4
    assert evidence.env_minutes == pytest.approx(4 * 20 / 60)
    assert evidence.share == pytest.approx((4 * 20 / 60) / 6.0)
    assert evidence.windows_of("climat") == sum(r["number_of_keywords_climat"] for r in france2)
    assert evidence.windows_of("biodiversite") == 2
    # broadcast order: first chunk's windows 0, 1, 2 then the second chunk's window 0
    assert [(w.window, w.hits[0].keyword) for w in evidence.windows] == [
        (0, "réchauffement climatique"),
        (1, "biodiversité"),
        (2, "biodiversité"),
        (0, "pétrole"),
    ]
    promoted = [h for h in evidence.windows[3].hits if h.promoted]
    assert [h.keyword for h in promoted] == ["pétrole"]


def test_uncounted_occurrences_are_not_evidence():
    _, _, keywords = matched()
    evidence = channel_day_evidence(keywords, "tf1", DAY, covered_minutes=2.0)
    keywords_shown = {h.keyword for w in evidence.windows for h in w.hits}
    assert keywords_shown == {"eau potable"}  # the lone high-risk `pétrole` was not counted


def test_out_of_scope_chunks_are_left_out_and_counted_separately():
    captions, _, keywords = matched()
    first_chunk = captions["chunk_id"][0].as_py()
    evidence = channel_day_evidence(
        keywords, "france2", DAY, covered_minutes=6.0, in_scope_chunks=[first_chunk]
    )
    assert len(evidence.windows) == 3
    assert evidence.out_of_scope_windows == 1


def test_text_shows_windows_excerpts_and_arithmetic():
    _, _, keywords = matched()
    evidence = channel_day_evidence(
        keywords,
        "france2",
        DAY,
        covered_minutes=6.0,
        indicator=_indicator("france2", 4 * 20 / 60, 6.0),
    )
    text = format_evidence(evidence)
    assert "Evidence for france2 on 2024-03-12" in text
    assert "dictionary abc123def456" in text
    assert "12:00:00 CET  chunk" in text  # window start in Paris time, zone named
    assert "Times are Europe/Paris local time" in text
    assert "+  26.0 s  biodiversité" in text
    assert "« mot mot mot mot la biodiversité recule" in text
    assert "pétrole (high risk, promoted)" in text
    assert "4 × 20 s / 60 = 1.33 min" in text
    assert "1.33 / 6.00 = 22.22 %" in text
    assert "consistent" in text and "DIFFERENT" not in text


def test_text_flags_a_published_figure_the_evidence_does_not_support():
    _, _, keywords = matched()
    evidence = channel_day_evidence(
        keywords, "france2", DAY, covered_minutes=6.0, indicator=_indicator("france2", 2.0, 6.0)
    )
    assert evidence.consistent is False
    assert "DIFFERENT from this evidence" in format_evidence(evidence)


def test_evidence_table_has_one_row_per_counted_window():
    _, _, keywords = matched()
    table = evidence_table(channel_day_evidence(keywords, "france2", DAY, covered_minutes=6.0))
    assert table.schema == EVIDENCE_SCHEMA
    assert table.num_rows == 4
    last = table.to_pylist()[-1]
    assert last["keywords"] == "pétrole, sécheresse"
    assert last["crises"] == "climat, ressources"
    assert last["promoted_only"] is False


def main(argv: list[str]) -> int:
    """The explain subcommand as the `observatoire` dispatcher runs it."""
    parser = argparse.ArgumentParser(prog="observatoire")
    explain.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


def _write_lake(tmp_path) -> Lake:
    _, segments, keywords = matched()
    lake = Lake(str(tmp_path / "lake"))
    lake.write_day("theme_keywords", DAY, keywords)
    lake.write_day("theme_segments", DAY, segments)
    lake.write_day(
        "time_monitored",
        DAY,
        pa.Table.from_pylist(
            [
                {"channel_name": "france2", "day": DAY, "covered_minutes": 6.0},
                {"channel_name": "tf1", "day": DAY, "covered_minutes": 2.0},
            ]
        ),
    )
    lake.write_day(
        "channel_indicators",
        DAY,
        pa.Table.from_pylist(
            [_indicator("france2", 4 * 20 / 60, 6.0), _indicator("tf1", 20 / 60, 2.0)]
        ),
    )
    return lake


def test_explain_command_reads_the_lake(tmp_path):
    lake = _write_lake(tmp_path)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["explain", "--channel", "france2", "--date", "2024-03-12", "--lake", lake.url])
    assert code == 0
    text = out.getvalue()
    assert "4 × 20 s / 60 = 1.33 min" in text
    assert "consistent" in text


def test_explain_command_names_missing_data(tmp_path):
    lake = _write_lake(tmp_path)
    err = io.StringIO()
    with redirect_stderr(err):
        unknown_channel = main(
            ["explain", "--channel", "arte", "--date", "2024-03-12", "--lake", lake.url]
        )
        missing_day = main(
            ["explain", "--channel", "france2", "--date", "2024-03-13", "--lake", lake.url]
        )
    assert unknown_channel == 2 and missing_day == 2
    assert "channels seen: france2, tf1" in err.getvalue()
    assert "no theme_keywords for 2024-03-13" in err.getvalue()


def test_day_argument_is_a_date():
    with pytest.raises(SystemExit), redirect_stderr(io.StringIO()):
        main(["explain", "--channel", "france2", "--date", "12/03/2024"])
    assert date.fromisoformat("2024-03-12") == DAY
