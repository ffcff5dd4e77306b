"""Matching by language: each channel's chunks with its language's dictionary and text rules."""

from __future__ import annotations

import pyarrow as pa
import pytest

from observatoire.core.dictionary import (
    KeywordDictionary,
    KeywordEntry,
    default_dictionary,
    dictionaries_version,
)
from observatoire.core.text import normalize
from observatoire.intake.records import parse_items
from observatoire.matching.language_matchers import LanguageMatchers, country_matcher
from observatoire.matching.matcher import Matcher
from observatoire.reference.channels import default_channels
from observatoire.reference.countries import load_country
from observatoire.reference.reference import (
    dictionaries_from_table,
    dictionaries_table,
    dictionary_from_table,
    dictionary_table,
)

START = 1_717_236_000  # 2024-06-01 10:00 UTC


@pytest.fixture(scope="module")
def belgium():
    return load_country("be")


@pytest.fixture(scope="module")
def dutch(belgium) -> Matcher:
    return Matcher(belgium.dictionary("nl"))


@pytest.fixture(scope="module")
def matchers(belgium) -> LanguageMatchers:
    return LanguageMatchers(belgium.dictionaries(), belgium.channels())


def _keywords(matcher: Matcher | LanguageMatchers, text: str, channel: str | None = None):
    if isinstance(matcher, LanguageMatchers):
        match = matcher.match_chunk(text, START, channel=channel)
    else:
        match = matcher.match_chunk(text, START)
    return [occurrence.keyword for occurrence in match.occurrences]


def test_a_dutch_dictionary_is_matched_with_dutch_rules(dutch):
    assert dutch.language == "nl"
    # No French elision: `auto's` stays one token, the plural of `elektrische auto`.
    assert normalize("Elektrische auto's", "nl") == "elektrische auto's"
    assert _keywords(dutch, "Steeds meer elektrische auto's op de weg.") == ["elektrische auto"]


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("De overstromingen in Wallonië waren verwoestend.", "overstroming"),
        ("Er komen nieuwe windturbines langs de kust.", "windturbine"),
        ("Zonnepanelen op elk dak, zegt de minister.", "zonnepaneel"),
        ("De bosbranden in het zuiden woeden voort.", "bosbrand"),
        ("Warmtepompen worden goedkoper.", "warmtepomp"),
        ("Twee kolencentrales gaan dicht.", "kolencentrale"),
    ],
)
def test_dutch_plurals_in_captions(dutch, text, keyword):
    assert _keywords(dutch, text) == [keyword]


def test_compound_heads_match_inside_compounds_only_at_the_start(dutch):
    # `klimaat*` is a head: a compound built on it is counted under the head...
    assert _keywords(dutch, "Duizenden jongeren op de klimaatmars in Brussel.") == ["klimaat*"]
    assert _keywords(dutch, "De stikstofuitstoot van de landbouw.") == ["stikstof*"]
    # ... a compound that is itself an entry is counted as that entry, once ...
    assert _keywords(dutch, "De klimaatverandering gaat sneller.") == ["klimaatverandering"]
    # ... the head alone is a whole word too, and a word merely containing it is not matched.
    assert _keywords(dutch, "Het klimaat verandert.") == ["klimaat*"]
    assert _keywords(dutch, "Het wereldklimaat en een zeer warme zomer.") == []


def test_belgian_dutch_stop_phrases_mask_homonyms(dutch):
    assert _keywords(dutch, "Het politieke klimaat is verziekt in de Wetstraat.") == []
    assert _keywords(dutch, "Hij handelde uit noodweer, zegt zijn advocaat.") == []
    assert _keywords(dutch, "Hevig noodweer trok over Limburg.") == ["noodweer"]
    assert _keywords(dutch, "Met automatische klimaatregeling en parkeersensoren.") == []
    assert _keywords(dutch, "De opwarming van de spelers voor de match.") == []
    assert _keywords(dutch, "De opwarming van de aarde.") == ["opwarming van de aarde"]


def test_belgian_french_stop_phrases(matchers):
    assert _keywords(matchers, "Le climat politique est tendu au fédéral.", "la-une") == []
    assert _keywords(matchers, "Le gouvernement donne son feu vert.", "rtl-tvi") == []


def test_each_channel_is_matched_in_its_language(matchers):
    dutch_text = "De klimaatverandering en de overstromingen."
    french_text = "Le changement climatique et les inondations."
    assert _keywords(matchers, dutch_text, "vrt1") == ["klimaatverandering", "overstroming"]
    assert _keywords(matchers, french_text, "la-une")
    # A French chunk on a Dutch channel is not matched by the French dictionary, and a Dutch
    # chunk on a French channel not by the Dutch one.
    assert _keywords(matchers, french_text, "vrt1") == []
    assert _keywords(matchers, dutch_text, "la-une") == []


def _item(channel: str, offset: int, text: str) -> dict[str, object]:
    return {
        "channel": {"name": channel, "title": channel, "radio": False},
        "start": START + offset,
        "plaintext": text,
    }


def test_match_table_routes_rows_and_keeps_their_order(matchers):
    captions = parse_items(
        [
            _item("vrt1", 0, "De klimaatverandering en de overstromingen."),
            _item("la-une", 0, "Le changement climatique et les inondations."),
            _item("vrt1", 120, "Le changement climatique et les inondations."),
            _item("la-une", 120, "De klimaatverandering en de overstromingen."),
            _item("vtm", 0, "Hittegolf in Antwerpen."),
        ],
        "test",
    ).table
    result = matchers.match_table(captions)
    assert result.segments["chunk_id"].to_pylist() == captions["chunk_id"].to_pylist()
    keywords = result.keywords.to_pylist()
    by_chunk: dict[str, list[str]] = {}
    for row in keywords:
        by_chunk.setdefault(row["channel_name"] + str(row["start"].minute), []).append(
            row["keyword"]
        )
    assert by_chunk["vrt10"] == ["klimaatverandering", "overstroming"]
    assert by_chunk["vtm0"] == ["hittegolf"]
    assert "vrt12" not in by_chunk and "la-une2" not in by_chunk
    assert len(by_chunk["la-une0"]) >= 2
    chunk_order = [captions["chunk_id"].to_pylist().index(row["chunk_id"]) for row in keywords]
    assert chunk_order == sorted(chunk_order)
    # One language alone is exactly that language's matcher.
    dutch_only = captions.filter(pa.compute.equal(captions["channel_name"], "vtm"))
    assert matchers.match_table(dutch_only).keywords.equals(
        matchers.matchers["nl"].match_table(dutch_only).keywords
    )


def test_a_channel_language_without_dictionary_is_refused(belgium):
    with pytest.raises(ValueError, match="no dictionary for language\\(s\\) nl spoken by"):
        LanguageMatchers({"fr": belgium.dictionary("fr")}, belgium.channels())


def test_france_is_matched_as_before():
    france = load_country()
    dictionaries = france.dictionaries()
    assert list(dictionaries) == ["fr"]
    matcher = country_matcher(dictionaries, france.channels())
    assert isinstance(matcher, Matcher) and matcher.language == "fr"
    assert Matcher(default_dictionary()).language == "fr"
    table = dictionaries_table(dictionaries)
    assert table.equals(dictionary_table(default_dictionary()))
    assert table.schema.metadata == dictionary_table(default_dictionary()).schema.metadata
    assert france.dictionaries_version() == default_dictionary().version
    assert dictionaries_from_table(table) == {"fr": default_dictionary()}


def test_belgian_dictionaries_survive_the_lake_table(belgium):
    dictionaries = belgium.dictionaries()
    table = dictionaries_table(dictionaries)
    assert set(table["language"].to_pylist()) == {"fr", "nl"}
    assert dictionaries_from_table(table) == dictionaries
    merged = dictionary_from_table(table)
    assert len(merged) == sum(len(d) for d in dictionaries.values())
    assert "uit noodweer" in merged.stop_phrases


def test_the_version_of_a_country_covers_every_language(belgium):
    dictionaries = belgium.dictionaries()
    version = dictionaries_version(dictionaries)
    assert version == belgium.dictionaries_version()
    nl = dictionaries["nl"]
    changed = {**dictionaries, "nl": KeywordDictionary(nl.entries, (*nl.stop_phrases, "x y"))}
    assert dictionaries_version(changed) != version
    extra = KeywordEntry("hitteplan bis", "changement_climatique_consequences", language="nl")
    grown = {**dictionaries, "nl": KeywordDictionary((*nl.entries, extra), nl.stop_phrases)}
    assert dictionaries_version(grown) != version
    table = dictionaries_table(dictionaries)
    tampered = table.replace_schema_metadata(
        {**table.schema.metadata, b"observatoire.version": b"000000000000"}
    )
    with pytest.raises(ValueError, match="says version 000000000000"):
        dictionaries_from_table(tampered)


def test_a_keyword_of_two_languages_is_two_entries():
    entries = (
        KeywordEntry("co2", "changement_climatique_causes", language="fr"),
        KeywordEntry("co2", "changement_climatique_causes", language="nl"),
    )
    assert len(KeywordDictionary(entries)) == 2
    assert {c.language for c in default_channels()} == {"fr"}


def test_dutch_word_times_keep_apostrophe_words_whole(dutch):
    from observatoire.matching.word_timing import align_token_times

    words = ["twee", "elektrische", "auto's", "en", "een", "warmtepomp"]
    times = [0, 1000, 2000, 3000, 4000, 5000]
    tokens = normalize(" ".join(words), "nl").split(" ")
    assert align_token_times(tokens, words, times, "nl") == times
    assert align_token_times(tokens, words, times)[2] == 1000  # French rules split `auto' s`
    srt = [
        {"cts_in_ms": START * 1000 + t, "duration_ms": 500, "text": w}
        for w, t in zip(words, times, strict=True)
    ]
    match = dutch.match_chunk(" ".join(words), START, srt)
    assert match.timing == "srt"
    assert [(o.keyword, o.second) for o in match.occurrences] == [
        ("elektrische auto", 1.0),
        ("warmtepomp", 5.0),
    ]
    captions = parse_items([{**_item("vrt1", 0, " ".join(words)), "srt": srt}], "test").table
    keywords = dutch.match_table(captions).keywords
    assert keywords["second"].to_pylist() == [1.0, 5.0]
