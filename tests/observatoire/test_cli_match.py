"""The `observatoire match` command on small JSONL files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from observatoire.cli import main
from observatoire.core.themes import THEMES

START = 1_700_000_000
CHUNK_FIELDS = {
    "channel_name",
    "start",
    "number_of_keywords",
    "number_of_keywords_climat",
    "number_of_keywords_biodiversite",
    "number_of_keywords_ressources",
    "themes",
    "windows",
    "keywords",
}
DICTIONARY_CSV = """keyword,theme,high_risk,category,language
climat,changement_climatique_constat,true,general,fr
réchauffement climatique,changement_climatique_constat,false,general,fr
forêt,biodiversite_concepts_generaux,false,forest,fr
forêt,ressources,false,forest,fr
"""


def item(channel: str, start: int, plaintext: str, srt: list | None = None) -> dict:
    record: dict = {
        "channel": {"name": channel, "title": channel.upper(), "radio": False},
        "start": start,
        "plaintext": plaintext,
    }
    if srt is not None:
        record["srt"] = srt
    return record


def word(second: float, text: str) -> dict:
    return {"cts_in_ms": START * 1000 + int(second * 1000), "duration_ms": 30, "text": text}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    srt = [
        word(15, "le"),
        word(16, "climat"),
        word(21, "réchauffement"),
        word(21.5, "climatique"),
        word(90, "forêts"),
    ]
    lines = [
        json.dumps(item("tf1", START, " ".join(w["text"] for w in srt), srt)),
        json.dumps(item("france2", START, "la forêt et encore la forêt")),
        json.dumps({"start": START, "plaintext": "pas de chaîne"}),
        '{"channel": {"name": "m6", "title": "M6", "radio": fal',
    ]
    records = tmp_path / "chunks.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(DICTIONARY_CSV, encoding="utf-8")
    return records, dictionary


def test_cli_prints_one_line_per_chunk_and_reports_rejects(files: tuple[Path, Path]) -> None:
    records, dictionary = files
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "observatoire.cli",
            "match",
            "--input",
            str(records),
            "--dictionary",
            str(dictionary),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 1, process.stderr
    chunks = [json.loads(line) for line in process.stdout.splitlines()]
    assert [(c["channel_name"], c["start"]) for c in chunks] == [
        ("france2", START),
        ("tf1", START),
    ]
    assert all(set(c) == CHUNK_FIELDS for c in chunks)
    france2, tf1 = chunks
    assert tf1["number_of_keywords"] == 3
    assert tf1["number_of_keywords_climat"] == 2
    assert tf1["number_of_keywords_biodiversite"] == 1
    assert tf1["number_of_keywords_ressources"] == 1
    assert set(tf1["themes"]) == set(THEMES)
    assert tf1["themes"]["changement_climatique_constat"] == 2
    assert tf1["themes"]["ressources"] == 1
    assert tf1["windows"][0] == {
        "index": 0,
        "counted": True,
        "crises": ["climat"],
        "themes": ["changement_climatique_constat"],
    }
    assert [w["counted"] for w in tf1["windows"]] == [True, True, False, False, True, False]
    assert tf1["keywords"][0] == {
        "keyword": "climat",
        "theme": "changement_climatique_constat",
        "crisis": "climat",
        "t_ms": START * 1000 + 16000,
        "window": 0,
        "promoted": True,
    }
    assert [k["keyword"] for k in tf1["keywords"]] == [
        "climat",
        "réchauffement climatique",
        "forêt",
        "forêt",
    ]
    assert france2["number_of_keywords"] == 2  # estimated times: tokens 1 and 5 of 6
    rejected = process.stderr.splitlines()
    assert len(rejected) == 2
    assert rejected[0].endswith(":3: rejected: missing field channel")
    assert ":4: rejected: not valid JSON" in rejected[1]


def test_cli_exit_code_is_zero_without_rejects_and_follows_the_options(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records, dictionary = files
    valid = tmp_path / "valid.jsonl"
    valid.write_text("\n".join(records.read_text().splitlines()[:2]) + "\n", encoding="utf-8")
    argv = ["match", "--input", str(valid), "--dictionary", str(dictionary)]

    assert main(argv) == 0
    default = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main([*argv, "--profile", "ome-2024", "--window-seconds", "15"]) == 0
    reference = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert default[0]["number_of_keywords"] == 2  # "forêt" twice, in two windows
    assert reference[0]["number_of_keywords"] == 1  # ome-2024: once per chunk
    assert len(reference[0]["windows"]) == 8
    assert len(default[0]["windows"]) == 6


def test_cli_refuses_a_bad_dictionary_or_window(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text("keyword,theme,high_risk,category,language\nclimat,météo,false,,fr\n")
    assert main(["match", "--input", str(records), "--dictionary", str(bad)]) == 2
    assert "unknown theme" in capsys.readouterr().err
    assert main(["match", "--input", str(records), "--window-seconds", "7"]) == 2
    assert "window_seconds" in capsys.readouterr().err


def test_cli_reads_standard_input_and_rejects_bad_lines_one_by_one(
    files: tuple[Path, Path],
) -> None:
    """A bad byte, nesting too deep for the decoder and invalid JSON each cost their own line;
    the good lines after them are matched."""
    records, dictionary = files
    good = records.read_bytes().splitlines()[:2]
    content = b"\n".join(
        [
            good[0].replace(b'"TF1"', b'"TF\xff1"'),
            b"[" * 100_000 + b"]" * 100_000,
            b'{"oops"',
            good[1],
        ]
    )
    process = subprocess.run(
        [
            *(sys.executable, "-m", "observatoire.cli", "match"),
            *("--input", "-", "--dictionary", str(dictionary)),
        ],
        input=content,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 1
    chunks = [json.loads(line) for line in process.stdout.decode().splitlines()]
    assert [c["channel_name"] for c in chunks] == ["france2"]
    assert chunks[0]["number_of_keywords"] == 2
    rejected = process.stderr.decode().splitlines()
    assert len(rejected) == 3
    assert rejected[0].startswith("<stdin>:1: rejected: not UTF-8 (byte ")
    assert rejected[1] == "<stdin>:2: rejected: not valid JSON: nested too deeply"
    assert rejected[2].startswith("<stdin>:3: rejected: not valid JSON")
    assert "Traceback" not in process.stderr.decode()
