"""Demo captions for any country: each channel speaks its language, in the country's slots."""

from __future__ import annotations

from datetime import date

import pytest

from observatoire.intake.day_intake import (
    DemoDays,
    DemoIntakeInputs,
    demo_intake_day,
    prepare_demo_intake,
)
from observatoire.intake.demo import (
    demo_day,
    number_in_words,
    write_demo_drop_folder,
)
from observatoire.intake.drop_folder import DropFolder
from observatoire.intake.intake import captions_of_day
from observatoire.matching.language_matchers import LanguageMatchers
from observatoire.reference.channel_names import channel_names
from observatoire.reference.countries import load_country
from observatoire.reference.reference import channels_reference_table

DAY = date(2024, 7, 1)  # a Monday in summer: UTC+2 in Brussels


@pytest.fixture(scope="module")
def belgium():
    return load_country("be")


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (21, "eenentwintig"),
        (22, "tweeëntwintig"),
        (23, "drieëntwintig"),
        (40, "veertig"),
        (150, "honderdvijftig"),
        (999, "negenhonderdnegenennegentig"),
        (2026, "tweeduizend zesentwintig"),
        (15000, "vijftienduizend"),
    ],
)
def test_dutch_numbers_in_words(n, words):
    assert number_in_words(n, "nl") == words


def test_french_numbers_are_unchanged():
    assert number_in_words(2019) == "deux mille dix-neuf"
    with pytest.raises(ValueError, match="no demo numbers in language 'pt'"):
        number_in_words(3, "pt")


def test_each_belgian_channel_speaks_its_language_in_its_slots(belgium):
    generated = demo_day(DAY, belgium.channels(), belgium.grid(), seed=3)
    rows = generated.chunks.to_pylist()
    text = {
        name: " ".join(r["plaintext"] for r in rows if r["channel_name"] == name)
        for name in ("vrt1", "la-une")
    }
    assert " het " in text["vrt1"] and " les " not in text["vrt1"] and "euh" not in text["vrt1"]
    assert " les " in text["la-une"] and " het " not in text["la-une"]
    # Het Journaal at 13:00 and 19:00 Brussels time: 11:00 and 17:00 UTC in July.
    hours = sorted({r["start"].hour for r in rows if r["channel_name"] == "vrt1"})
    assert hours == [11, 17]
    assert {r["day"] for r in rows} == {DAY}


def test_demo_days_for_a_country(belgium):
    days = DemoDays(7, belgium.grid(), tuple(belgium.channels()))
    assert days.zone == belgium.zone
    fetch = days.generate(DAY, ["vtm", "radio1", "tf1"])
    assert fetch.missing == [("tf1", "the demo generator has no such channel")]
    assert fetch.chunks is not None
    assert set(fetch.chunks["channel_name"].to_pylist()) <= {"vtm", "radio1"}


def test_dutch_demo_captions_are_measured_by_the_dutch_dictionary(belgium):
    matchers = LanguageMatchers(belgium.dictionaries(), belgium.channels())
    found: dict[str, int] = {}
    for offset in range(1, 29):
        generated = demo_day(date(2024, 8, offset), belgium.channels(), belgium.grid(), seed=1)
        keywords = matchers.match_table(generated.chunks).keywords
        for row in keywords.select(["channel_name", "keyword"]).to_pylist():
            language = "nl" if row["channel_name"] in {"vrt1", "vtm", "radio1"} else "fr"
            found[language] = found.get(language, 0) + 1
    assert found.get("nl", 0) > 20 and found.get("fr", 0) > 20


def test_demo_drop_folder_runs_through_the_files_source(belgium, tmp_path):
    channels, grid = belgium.channels(), belgium.grid()
    written = write_demo_drop_folder(tmp_path, [DAY, date(2024, 7, 2)], channels, grid, seed=5)
    assert (tmp_path / "2024-07-01" / "vrt1.jsonl") in written
    names = channel_names(channels)
    read = DropFolder(str(tmp_path), zone=belgium.zone).read_day(DAY)
    assert read.pre_rejected == []
    parsed = captions_of_day(
        read.items, "files", DAY, names=names, origins=read.origins, zone=belgium.zone
    )
    # The same chunks as the demo source itself gives for the day.
    inputs = DemoIntakeInputs(
        DemoDays(5, grid, tuple(channels)),
        tuple(c.name for c in channels),
        channels_reference_table(channels),
    )
    direct = demo_intake_day(prepare_demo_intake(inputs), DAY).parsed
    assert sorted(parsed.table["chunk_id"].to_pylist()) == sorted(
        direct.table["chunk_id"].to_pylist()
    )
    assert parsed.table["plaintext"].to_pylist() == direct.table["plaintext"].to_pylist()
    assert parsed.rejected.num_rows == direct.rejected.num_rows >= 1
