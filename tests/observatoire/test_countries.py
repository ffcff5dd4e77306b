"""Country profiles: loading, strict validation, and broadcast days in each time zone."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from observatoire.core.broadcast_day import day_bounds, local_day
from observatoire.core.dictionary import default_dictionary
from observatoire.core.keyword_patterns import occurrences
from observatoire.reference.channels import default_channels
from observatoire.reference.countries import (
    CountryError,
    available_countries,
    countries_root,
    load_country,
)
from observatoire.reference.grid import ProgrammeGrid

TEST_COUNTRIES = Path(__file__).parent / "countries"


def test_packaged_countries():
    assert available_countries() == ("be", "fr")


def test_france_is_the_default_and_uses_the_shipped_files():
    france = load_country()
    assert france.code == "fr"
    assert france.time_zone == "Europe/Paris"
    assert france.languages == ("fr",)
    assert france.dictionary("fr").version == default_dictionary().version
    assert france.channels() == default_channels()
    assert france.grid().version == ProgrammeGrid.default().version


def test_belgium_has_french_and_dutch():
    belgium = load_country("be")
    assert belgium.time_zone == "Europe/Brussels"
    assert belgium.languages == ("fr", "nl")
    channels = {c.name: c for c in belgium.channels()}
    assert {"la-une", "rtl-tvi", "ln24", "vrt1", "vtm", "radio1"} <= set(channels)
    assert channels["ln24"].all_news and not channels["ln24"].radio
    assert channels["radio1"].radio
    assert set(belgium.grid().channels) == set(channels)
    dutch = belgium.dictionary("nl")
    assert 60 <= len(dutch) <= 120
    assert {e.language for e in dutch.entries} == {"nl"}
    assert {e.crisis for e in dutch.entries} == {"climat", "biodiversite", "ressources"}
    # French keywords are France's
    assert belgium.dictionary("fr").entries == load_country("fr").dictionary("fr").entries


def test_belgian_dutch_dictionary_finds_a_flemish_sentence():
    dutch = load_country("be").dictionary("nl")
    text = "De stikstofuitstoot en de hittegolven van deze zomer tonen de klimaatverandering."
    found = {
        entry.keyword for entry in dutch.entries if occurrences(text, entry.keyword, language="nl")
    }
    # `uitstoot` matches whole tokens only: `stikstofuitstoot` is found by its head `stikstof*`
    assert found == {"stikstof*", "hittegolf", "klimaatverandering", "klimaat*"}


def test_brazilian_test_profile():
    brazil = load_country("br", root=TEST_COUNTRIES)
    assert available_countries(TEST_COUNTRIES) == ("br",)
    assert brazil.time_zone == "America/Sao_Paulo"
    assert brazil.dictionary("pt").stop_phrases == ("plantão da globo",)
    assert brazil.grid().channels == ("cbn", "globo", "globonews")
    with pytest.raises(CountryError, match="no language 'fr'"):
        brazil.dictionary("fr")


# --------------------------------------------------------------------------------------------
# Validation: every mistake names the profile file and the field


@pytest.fixture
def country(tmp_path: Path) -> Path:
    """A copy of the Brazilian test profile that a test may break."""
    shutil.copytree(TEST_COUNTRIES / "br", tmp_path / "br")
    return tmp_path / "br"


def _edit(folder: Path, old: str, new: str) -> None:
    profile = folder / "profile.toml"
    text = profile.read_text(encoding="utf-8")
    assert old in text
    profile.write_text(text.replace(old, new), encoding="utf-8")


def _load_error(folder: Path) -> str:
    with pytest.raises(CountryError) as error:
        load_country(folder.name, root=folder.parent)
    message = str(error.value)
    assert str(folder / "profile.toml") in message
    return message


def test_unknown_time_zone(country):
    _edit(country, "America/Sao_Paulo", "America/Sao_Polo")
    assert "field 'time_zone': unknown time zone 'America/Sao_Polo'" in _load_error(country)


def test_missing_file(country):
    (country / "dictionary_pt.csv").unlink()
    message = _load_error(country)
    assert "field 'dictionaries.pt': file 'dictionary_pt.csv' not found" in message


def test_language_without_dictionary(country):
    _edit(country, 'languages = ["pt"]', 'languages = ["pt", "nl"]')
    assert "field 'dictionaries': language 'nl' has no file" in _load_error(country)


def test_dictionary_of_a_language_not_listed(country):
    _edit(country, 'pt = "dictionary_pt.csv"', 'pt = "dictionary_pt.csv"\nfr = "x.csv"')
    assert "field 'dictionaries.fr': language 'fr' is not in languages" in _load_error(country)


def test_unknown_language(country):
    _edit(country, 'languages = ["pt"]', 'languages = ["pt", "tlh"]')
    assert "field 'languages': unknown language 'tlh'" in _load_error(country)


def test_unknown_and_missing_fields(country):
    _edit(country, 'name = "Brasil"', 'name = "Brasil"\ntimezone = "UTC"')
    assert "field 'timezone': unknown field" in _load_error(country)
    _edit(country, 'timezone = "UTC"\n', "")
    _edit(country, 'caption_source = "files"\n', "")
    assert "field 'caption_source': missing" in _load_error(country)


def test_wrong_type_code_and_source_kind(country):
    _edit(country, 'languages = ["pt"]', 'languages = "pt"')
    assert "field 'languages': must be a list, got str" in _load_error(country)
    _edit(country, 'languages = "pt"', 'languages = ["pt"]')
    _edit(country, 'code = "br"', 'code = "bz"')
    assert "field 'code': must be the folder name 'br'" in _load_error(country)
    _edit(country, 'code = "bz"', 'code = "br"')
    _edit(country, 'caption_source = "files"', 'caption_source = "satellite"')
    assert "field 'caption_source': unknown kind 'satellite'" in _load_error(country)


def test_bad_toml(country):
    (country / "profile.toml").write_text('code = "br\n', encoding="utf-8")
    assert "not a valid TOML profile" in _load_error(country)


def test_grid_naming_an_unknown_channel(country):
    with (country / "programme_grid.csv").open("a", encoding="utf-8") as grid:
        grid.write("record,all,20:00,21:00,,,Jornal da Record,journal\n")
    message = _load_error(country)
    assert "field 'channels / programme_grid'" in message
    assert "record" in message


def test_dictionary_entry_in_another_language(country):
    with (country / "dictionary_pt.csv").open("a", encoding="utf-8") as dictionary:
        dictionary.write("deforestation,biodiversite_causes,false,forest,en\n")
    message = _load_error(country)
    assert "field 'dictionaries.pt'" in message
    assert "'deforestation' is marked language 'en'" in message


def test_bad_dictionary_line_is_named(country):
    with (country / "dictionary_pt.csv").open("a", encoding="utf-8") as dictionary:
        dictionary.write("seca,changement_climatique_consequences,maybe,water,pt\n")
    message = _load_error(country)
    assert "dictionary_pt.csv: line 11, column 3 (high_risk)" in message


def test_compound_head_in_a_language_without_compounds(country):
    with (country / "dictionary_pt.csv").open("a", encoding="utf-8") as dictionary:
        dictionary.write("desmata*,biodiversite_causes,false,forest,pt\n")
    assert "Portuguese does not" in _load_error(country)


def test_unknown_country():
    with pytest.raises(CountryError, match=r"no profile for country 'de' \(available: be, fr\)"):
        load_country("de")
    assert (countries_root() / "fr" / "profile.toml").is_file()


# --------------------------------------------------------------------------------------------
# Broadcast days in the profile's time zone


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _hours(bounds: tuple[datetime, datetime]) -> float:
    return (bounds[1] - bounds[0]) / timedelta(hours=1)


def test_paris_is_the_default_zone():
    assert day_bounds(date(2024, 6, 1)) == (_utc(2024, 5, 31, 22), _utc(2024, 6, 1, 22))
    assert load_country().day_bounds(date(2024, 6, 1)) == day_bounds(date(2024, 6, 1))


def test_brazilian_broadcast_day_boundary():
    brazil = load_country("br", root=TEST_COUNTRIES)
    start, end = brazil.day_bounds(date(2024, 3, 9))
    assert (start, end) == (_utc(2024, 3, 9, 3), _utc(2024, 3, 10, 3))  # UTC-3, no DST since 2019
    assert local_day(_utc(2024, 3, 10, 2, 59, 59), brazil.zone) == date(2024, 3, 9)
    assert local_day(_utc(2024, 3, 10, 3), brazil.zone) == date(2024, 3, 10)


def test_brazilian_day_whose_midnight_did_not_exist():
    # 2018-11-04: São Paulo clocks went from 00:00 to 01:00 (UTC-3 -> UTC-2).
    start, end = day_bounds(date(2018, 11, 4), "America/Sao_Paulo")
    assert start == _utc(2018, 11, 4, 3)  # 01:00 local, the first instant of the day
    assert end == _utc(2018, 11, 5, 2)  # 00:00 at UTC-2
    assert _hours((start, end)) == 23
    assert local_day(start - timedelta(seconds=1), "America/Sao_Paulo") == date(2018, 11, 3)
    assert local_day(start, "America/Sao_Paulo") == date(2018, 11, 4)
    assert _hours(day_bounds(date(2018, 11, 3), "America/Sao_Paulo")) == 24


def test_brazilian_day_with_a_repeated_hour():
    # 2019-02-16: at 24:00 clocks went back to 23:00 (UTC-2 -> UTC-3); the day has 25 hours.
    start, end = day_bounds(date(2019, 2, 16), "America/Sao_Paulo")
    assert (start, end) == (_utc(2019, 2, 16, 2), _utc(2019, 2, 17, 3))
    assert _hours((start, end)) == 25


def test_brussels_daylight_saving_days():
    belgium = load_country("be")
    spring = belgium.day_bounds(date(2024, 3, 31))
    autumn = belgium.day_bounds(date(2024, 10, 27))
    assert spring == (_utc(2024, 3, 30, 23), _utc(2024, 3, 31, 22))
    assert autumn == (_utc(2024, 10, 26, 22), _utc(2024, 10, 27, 23))
    assert (_hours(spring), _hours(autumn)) == (23, 25)
    assert _hours(belgium.day_bounds(date(2024, 7, 1))) == 24


def test_consecutive_days_tile_time():
    for zone in ("America/Sao_Paulo", "Europe/Brussels"):
        day = date(2018, 10, 1)
        previous_end = day_bounds(day, zone)[0]
        for _ in range(200):
            start, end = day_bounds(day, zone)
            assert start == previous_end
            previous_end = end
            day += timedelta(days=1)


def test_local_day_needs_an_aware_instant():
    with pytest.raises(ValueError, match="no time zone"):
        local_day(datetime(2024, 1, 1), "Europe/Brussels")
