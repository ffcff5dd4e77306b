"""The keyword dictionary (METHODOLOGY §2): CSV loading and errors, version, the shipped data."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from observatoire.core.dictionary import (
    CSV_HEADER,
    DictionaryError,
    KeywordDictionary,
    KeywordEntry,
    default_dictionary,
    load_dictionary_csv,
    parse_dictionary_csv,
)
from observatoire.core.text import keyword_variants, normalize
from observatoire.core.themes import THEMES

HEADER = ",".join(CSV_HEADER)
_ACRONYMS = re.compile(r"\b(co2|cop[0-9]{2})\b")
GOOD_ROWS = [
    "réchauffement climatique,changement_climatique_constat,false,general,fr",
    "gaz à effet de serre,changement_climatique_causes,false,energy,fr",
    "climat,changement_climatique_constat,true,general,fr",
    "biodiversité,biodiversite_concepts_generaux,false,general,fr",
    "recyclage,ressources_solutions,true,waste,fr",
]


def write_csv(tmp_path: Path, rows: list[str], name: str = "dictionary.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# -- loader ------------------------------------------------------------------------------------


def test_a_valid_csv_loads_every_row_with_crisis_and_causal_link(tmp_path: Path) -> None:
    dictionary = load_dictionary_csv(write_csv(tmp_path, GOOD_ROWS))
    assert len(dictionary) == len(GOOD_ROWS)
    climat = next(e for e in dictionary.entries if e.keyword == "climat")
    assert climat.high_risk is True
    assert (climat.crisis, climat.causal_link) == ("climat", "constat")
    recycling = next(e for e in dictionary.entries if e.keyword == "recyclage")
    assert (recycling.crisis, recycling.causal_link) == ("ressources", "solutions")


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("pollution,pollution_generale,false,industry,fr", "unknown theme 'pollution_generale'"),
        ("  ,changement_climatique_causes,false,energy,fr", "empty keyword"),
        ("gaz à effet de serre,changement_climatique_causes,true,energy,fr", "duplicate of line 3"),
        ("sécheresse,changement_climatique_consequences,peut-être,water,fr", "high_risk"),
        ("sécheresse,changement_climatique_consequences", "expected 5 fields"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_named(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    # Header is line 1, the good rows lines 2-6, the bad row line 7.
    path = write_csv(tmp_path, [*GOOD_ROWS, bad_row])
    with pytest.raises(DictionaryError) as error:
        load_dictionary_csv(path)
    assert "line 7" in str(error.value)
    assert message in str(error.value)


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ["climat,climat_general,true,general,fr"])
    with pytest.raises(DictionaryError, match="line 2") as error:
        load_dictionary_csv(path)
    assert str(path) in str(error.value)


def test_a_duplicate_differing_only_in_case_and_spaces_is_still_a_duplicate(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        [*GOOD_ROWS, "Réchauffement  Climatique,changement_climatique_constat,false,general,fr"],
    )
    with pytest.raises(DictionaryError, match="line 7: duplicate of line 2"):
        load_dictionary_csv(path)


def test_the_same_keyword_under_two_themes_is_allowed(tmp_path: Path) -> None:
    rows = [
        *GOOD_ROWS,
        "déforestation,changement_climatique_causes,false,forest,fr",
        "déforestation,biodiversite_causes,false,forest,fr",
    ]
    dictionary = load_dictionary_csv(write_csv(tmp_path, rows))
    themes = {e.theme for e in dictionary.entries if e.keyword == "déforestation"}
    assert themes == {"changement_climatique_causes", "biodiversite_causes"}


def test_a_wrong_header_or_an_empty_file_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("mot,thème\nclimat,changement_climatique_constat\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="line 1: header must be"):
        load_dictionary_csv(wrong)
    with pytest.raises(DictionaryError, match="empty file"):
        parse_dictionary_csv("", source="empty.csv")
    with pytest.raises(DictionaryError, match="no entries"):
        parse_dictionary_csv(HEADER + "\n", source="header-only.csv")
    with pytest.raises(DictionaryError, match="cannot read"):
        load_dictionary_csv(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            "sécheresse,changement_climatique_consequences,,water,fr",
            "line 7, column 3 (high_risk): empty; write true or false",
        ),
        (
            "sécheresse,changement_climatique_consequences,oui,water,fr",
            "line 7, column 3 (high_risk): must be true or false, got 'oui'",
        ),
        (
            "sécheresse,changement_climatique_consequences,false,genral,fr",
            "line 7, column 4 (category): unknown category 'genral' (did you mean 'general'?)",
        ),
        (
            "[,changement_climatique_constat,false,general,fr",
            "line 7, column 1 (keyword): keyword '[' normalises to nothing",
        ),
        (
            "...,changement_climatique_constat,false,general,fr",
            "line 7, column 1 (keyword): keyword '...' normalises to nothing",
        ),
        (
            "x" * 300 + ",changement_climatique_constat,false,general,fr",
            "line 7, column 1 (keyword): keyword of 300 characters (at most 200)",
        ),
        (
            "sécheresse,changement_climatique_consequences,false,water,fr,extra",
            "line 7: expected 5 fields (keyword,theme,high_risk,category,language), got 6; "
            "extra field 'extra' in column 6",
        ),
        (
            "sécheresse,climat_general,false,water,fr",
            "line 7, column 2 (theme): unknown theme 'climat_general'",
        ),
    ],
)
def test_each_mistake_names_file_line_and_column(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    path = write_csv(tmp_path, [*GOOD_ROWS, bad_row])
    with pytest.raises(DictionaryError) as error:
        load_dictionary_csv(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_an_extra_or_missing_column_in_the_header_is_named(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + ",comment\n" + GOOD_ROWS[0] + ",note\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"line 1: .*unexpected column\(s\) comment"):
        load_dictionary_csv(extra)
    missing = tmp_path / "missing.csv"
    missing.write_text("keyword,theme,high_risk,category\nclimat,ressources,false,general\n")
    with pytest.raises(DictionaryError, match=r"line 1: .*missing column\(s\) language"):
        load_dictionary_csv(missing)


@pytest.mark.parametrize("size", [128 * 1024, 256 * 1024])
def test_a_keyword_of_128_kilobytes_or_more_is_an_error_not_a_crash(
    tmp_path: Path, size: int
) -> None:
    # beyond 131072 characters the csv module itself refuses the field
    path = write_csv(tmp_path, [*GOOD_ROWS, "é" * size + ",ressources,false,water,fr"])
    with pytest.raises(DictionaryError) as error:
        load_dictionary_csv(path)
    assert str(error.value).startswith(f"{path}: line 7")
    assert "at most 200" in str(error.value)


def test_a_latin1_file_is_refused_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([HEADER, *GOOD_ROWS]).encode("latin-1"))
    with pytest.raises(DictionaryError) as error:
        load_dictionary_csv(path)
    # "réchauffement" on line 2: the é is its second character
    assert str(error.value) == (
        f"{path}: line 2, column 2: not UTF-8 (byte 0xe9); save the dictionary as UTF-8"
    )


def test_a_latin1_stop_phrase_file_is_refused(tmp_path: Path) -> None:
    phrases = tmp_path / "stop.txt"
    phrases.write_bytes("la météo\n".encode("latin-1"))
    with pytest.raises(DictionaryError, match="line 1, column 5: not UTF-8"):
        load_dictionary_csv(write_csv(tmp_path, GOOD_ROWS), stop_phrases=phrases)


def test_stop_phrases_load_from_a_file_without_comments_or_blanks(tmp_path: Path) -> None:
    phrases = tmp_path / "stop.txt"
    phrases.write_text(
        "# advertising\nla suite après la publicité\n\nRestez  avec nous  # opener\n",
        encoding="utf-8",
    )
    dictionary = load_dictionary_csv(write_csv(tmp_path, GOOD_ROWS), stop_phrases=phrases)
    assert dictionary.stop_phrases == ("la suite après la publicité", "restez avec nous")


# -- version -----------------------------------------------------------------------------------


def test_version_ignores_row_order(tmp_path: Path) -> None:
    shuffled = GOOD_ROWS[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != GOOD_ROWS
    first = load_dictionary_csv(write_csv(tmp_path, GOOD_ROWS, "a.csv"))
    second = load_dictionary_csv(write_csv(tmp_path, shuffled, "b.csv"))
    assert first.version == second.version


@pytest.mark.parametrize(
    "changed_row",
    [
        "réchauffement climatique,changement_climatique_constat,true,general,fr",  # high risk
        "réchauffement climatique,changement_climatique_causes,false,general,fr",  # theme
        "réchauffement global,changement_climatique_constat,false,general,fr",  # keyword
        "réchauffement climatique,changement_climatique_constat,false,energy,fr",  # category
    ],
)
def test_version_changes_when_an_entry_changes(tmp_path: Path, changed_row: str) -> None:
    original = load_dictionary_csv(write_csv(tmp_path, GOOD_ROWS, "a.csv"))
    changed = load_dictionary_csv(write_csv(tmp_path, [changed_row, *GOOD_ROWS[1:]], "b.csv"))
    assert original.version != changed.version


def test_version_changes_when_a_stop_phrase_changes(tmp_path: Path) -> None:
    path = write_csv(tmp_path, GOOD_ROWS)
    without = load_dictionary_csv(path)
    with_phrase = load_dictionary_csv(path, stop_phrases=["restez avec nous"])
    reordered = load_dictionary_csv(path, stop_phrases=["b c", "a b"])
    same = load_dictionary_csv(path, stop_phrases=["a b", "b c"])
    assert without.version != with_phrase.version
    assert reordered.version == same.version


def test_an_entry_added_or_removed_changes_the_version() -> None:
    entries = tuple(parse_dictionary_csv("\n".join([HEADER, *GOOD_ROWS])))
    base = KeywordDictionary(entries)
    assert KeywordDictionary(entries[:-1]).version != base.version
    extra = KeywordEntry("surpêche", "biodiversite_causes", False, "ocean", "fr")
    assert KeywordDictionary((*entries, extra)).version != base.version


# -- the shipped dictionary ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> KeywordDictionary:
    return default_dictionary()


def test_shipped_dictionary_is_large_and_covers_all_eleven_themes(
    shipped: KeywordDictionary,
) -> None:
    assert len(shipped) >= 1500
    per_theme = Counter(entry.theme for entry in shipped.entries)
    assert set(per_theme) == set(THEMES)
    # No theme is a token presence: each has a real vocabulary of its own.
    assert min(per_theme.values()) >= 100
    assert len(shipped.stop_phrases) >= 50


def test_shipped_dictionary_round_trips_through_its_csv(shipped: KeywordDictionary) -> None:
    again = KeywordDictionary(
        tuple(parse_dictionary_csv(shipped.to_csv(), source="round-trip")), shipped.stop_phrases
    )
    assert again.version == shipped.version
    assert shipped.to_arrow().num_rows == len(shipped)


def test_shipped_keywords_are_written_as_captions_say_them(shipped: KeywordDictionary) -> None:
    """Lowercase, no digits or punctuation, elisions split: what the matcher normalises to."""
    for entry in shipped.entries:
        assert normalize(entry.keyword) == entry.keyword, entry.keyword
        # Numbers are said in words; only the written acronyms co2 and copNN keep digits.
        assert not any(ch.isdigit() for ch in _ACRONYMS.sub("", entry.keyword)), entry.keyword
        assert entry.language == "fr"
        assert entry.category, entry.keyword


def test_shipped_hyphenated_keywords_are_also_listed_as_captions_write_them_without_hyphen(
    shipped: KeywordDictionary,
) -> None:
    """Speech-to-text often writes a compound as two words ("chauves souris", "agro écologique")
    and a hyphen is one token: a compound listed only with its hyphen would be missed there."""
    forms: dict[str, set[str]] = {}
    for entry in shipped.entries:
        forms.setdefault(entry.theme, set()).update(keyword_variants(entry.keyword))
    missing = [
        (entry.keyword, entry.theme)
        for entry in shipped.entries
        if "-" in entry.keyword and entry.keyword.replace("-", " ") not in forms[entry.theme]
    ]
    assert missing == []


def test_shipped_dictionary_lists_no_regular_inflection_of_its_own_entries(
    shipped: KeywordDictionary,
) -> None:
    """Plurals and feminine participles are generated by the matcher; listing them is noise."""
    by_theme: dict[str, dict[str, bool]] = {}
    for entry in shipped.entries:
        by_theme.setdefault(entry.theme, {})[entry.keyword] = entry.high_risk
    redundant = [
        (variant, theme)
        for theme, keywords in by_theme.items()
        for keyword, risky in keywords.items()
        for variant in keyword_variants(keyword)[1:]
        if keywords.get(variant) is risky
    ]
    assert redundant == []


@pytest.mark.parametrize(
    "word",
    ["climat", "énergie", "transport", "vert", "carbone", "gaz", "pétrole", "chaleur", "eau",
     "forêt", "espèce", "nature", "pollution", "environnement", "planète", "écologie", "cop"],
)  # fmt: skip
def test_ambiguous_words_are_high_risk_everywhere(shipped: KeywordDictionary, word: str) -> None:
    entries = [e for e in shipped.entries if e.keyword == word]
    assert entries, word
    assert all(e.high_risk for e in entries)


@pytest.mark.parametrize(
    "expression",
    ["réchauffement climatique", "gaz à effet de serre", "transition énergétique",
     "énergie renouvelable", "perte de biodiversité", "espèce menacée",
     "artificialisation des sols", "cop quinze", "accord de kunming-montréal", "giec", "ipbes",
     "économie circulaire", "surpêche", "métal rare", "nappe phréatique"],
)  # fmt: skip
def test_core_expressions_are_direct_entries(shipped: KeywordDictionary, expression: str) -> None:
    entries = [e for e in shipped.entries if e.keyword == expression]
    assert entries, expression
    assert any(not e.high_risk for e in entries)


def test_shipped_stop_phrases_are_caption_style_and_never_a_whole_keyword(
    shipped: KeywordDictionary,
) -> None:
    keywords = {entry.keyword for entry in shipped.entries}
    for phrase in shipped.stop_phrases:
        assert normalize(phrase) == phrase, phrase
        assert phrase not in keywords, phrase
        assert len(phrase.split()) >= 2, phrase


def test_shipped_csv_file_has_the_published_header() -> None:
    path = Path(__file__).resolve().parents[2] / "observatoire" / "data" / "dictionary_fr.csv"
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(header) == CSV_HEADER
