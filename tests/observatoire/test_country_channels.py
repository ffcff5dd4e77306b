"""Channels carry their caption language, through the channels file and the lake's table."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatoire.reference.channels import channels_from_text, channels_table, default_channels
from observatoire.reference.countries import load_country
from observatoire.reference.reference import (
    channels_from_table,
    channels_reference_table,
    channels_version,
)
from observatoire.reference.reference_csv import GridError

TEST_COUNTRIES = Path(__file__).parent / "countries"


def test_french_channels_speak_french_and_their_table_is_unchanged():
    channels = default_channels()
    assert {c.language for c in channels} == {"fr"}
    table = channels_table(channels)
    assert table.column_names == ["name", "title", "radio", "all_news"]
    assert channels_from_table(table) == channels
    assert channels_version(channels) == channels_version(load_country().channels())


def test_belgian_channels_languages():
    channels = {c.name: c.language for c in load_country("be").channels()}
    assert channels == {
        "la-une": "fr",
        "rtl-tvi": "fr",
        "ln24": "fr",
        "vrt1": "nl",
        "vtm": "nl",
        "la-premiere": "fr",
        "bel-rtl": "fr",
        "radio1": "nl",
    }


def test_belgian_languages_survive_the_lake_table():
    channels = load_country("be").channels()
    table = channels_reference_table(channels)
    assert table.column("language").to_pylist()[3] == "nl"
    assert channels_from_table(table) == channels


def test_a_country_without_language_column_speaks_its_first_language():
    brazil = load_country("br", root=TEST_COUNTRIES)
    channels = brazil.channels()
    assert {c.language for c in channels} == {"pt"}
    # Portuguese is not the default: the table says it, and it comes back.
    assert channels_from_table(channels_table(channels)) == channels


def test_a_language_the_country_does_not_have_is_refused():
    text = "name,title,radio,all_news,language\nvrt1,VRT 1,false,false,de\n"
    with pytest.raises(GridError, match="line 2: channel 'vrt1' speaks 'de'"):
        channels_from_text(text, "channels.csv", ("fr", "nl"))


def test_an_empty_language_cell_is_the_first_language():
    text = "name,title,radio,all_news,language\nvrt1,VRT 1,false,false,\n"
    assert channels_from_text(text, "channels.csv", ("nl", "fr"))[0].language == "nl"


def test_language_changes_the_channels_version():
    channels = load_country("be").channels()
    french = [type(c)(c.name, c.title, c.radio, c.all_news) for c in channels]
    assert channels_version(channels) != channels_version(french)


def test_indicators_roll_up_by_language():
    from observatoire.publish.indicators import rollup
    from tests.observatoire.test_indicators import indicator_rows

    table = indicator_rows()
    french = rollup(table, "language")
    assert french["language"].tolist() == ["fr"]
    channels = [
        type(c)(c.name, c.title, c.radio, c.all_news, "nl" if c.name == "rtl" else "fr")
        for c in default_channels()
    ]
    by_language = rollup(table, "language", channels=channels_table(channels))
    rows = by_language.set_index("language")
    assert rows.loc["nl", "covered_minutes"] == 100.0  # rtl alone
    assert rows.loc["fr", "covered_minutes"] == 100.0  # tf1, 10 + 90
