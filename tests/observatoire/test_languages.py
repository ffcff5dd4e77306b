"""Language rules: Dutch and Portuguese inflections, compound heads, French unchanged."""

from __future__ import annotations

import unicodedata

import pytest

from observatoire.core.keyword_patterns import keyword_patterns, occurrences
from observatoire.core.languages import LANGUAGES, rules_for
from observatoire.core.text import keyword_variants, normalize, tokenize, word_forms, word_tokens


def test_known_languages_and_a_clear_error_for_others():
    assert set(LANGUAGES) >= {"fr", "nl", "pt"}
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        rules_for("xx")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        normalize("Klimawandel", "de")


# --------------------------------------------------------------------------------------------
# French stays as it was


def test_french_is_the_default_and_still_splits_elisions():
    assert normalize("L’eau de l'Océan") == "l' eau de l' océan"
    assert normalize("L’eau de l'Océan", "fr") == normalize("L’eau de l'Océan")
    assert word_tokens("l'eau") == ("l'", "eau")
    assert keyword_variants("énergie renouvelable") == keyword_variants(
        "énergie renouvelable", language="fr"
    )
    assert "végétaux" in word_forms("végétal")
    assert word_forms("de") == ("de",)


def test_french_refuses_compound_heads():
    with pytest.raises(ValueError, match="French does not"):
        keyword_variants("climat*")


def test_ome_profile_is_french_only():
    assert word_forms("océan", "ome-2024") == ("océan", "océans")
    with pytest.raises(ValueError, match="French only"):
        word_forms("klimaat", "ome-2024", language="nl")


# --------------------------------------------------------------------------------------------
# Dutch


def test_dutch_keeps_the_apostrophe_inside_its_token():
    assert normalize("De auto's van morgen", "nl") == "de auto's van morgen"
    assert tokenize("foto's, video's", "nl") == ["foto's", "video's"]
    assert word_tokens("'s ochtends", "nl") == ("'s", "ochtends")


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("auto", "auto's"),  # single final vowel: -'s
        ("overstroming", "overstromingen"),
        ("klimaat", "klimaten"),  # long vowel written single in the open syllable
        ("zonnepaneel", "zonnepanelen"),
        ("ecosysteem", "ecosystemen"),
        ("bos", "bossen"),  # short vowel: doubled consonant
        ("broeikasgas", "broeikasgassen"),
        ("brandstof", "brandstoffen"),
        ("huis", "huizen"),  # s -> z
        ("hittegolf", "hittegolven"),  # f -> v
        ("water", "waters"),  # unstressed ending: -s
        ("bestrijdingsmiddel", "bestrijdingsmiddelen"),
        ("bosje", "bosjes"),  # diminutive
        ("ziekte", "ziektes"),
        ("zee", "zeeën"),
        ("industrie", "industrieën"),
        ("boom", "bomen"),
    ],
)
def test_dutch_plurals(word, plural):
    assert word_forms(word, language="nl")[0] == word
    assert plural in word_forms(word, language="nl")


def test_dutch_plural_keyword_written_with_apostrophe_finds_its_singular():
    assert word_forms("auto's", language="nl") == ("auto's", "auto")


def test_dutch_function_words_do_not_inflect():
    variants = keyword_variants("opwarming van de aarde", language="nl")
    assert "opwarming van de aarde" in variants
    assert not any(" des " in v or " vanen " in v for v in variants)


def test_dutch_adjectives_before_the_noun_do_not_inflect():
    assert keyword_variants("elektrische auto", language="nl") == (
        "elektrische auto",
        "elektrische auto's",
        "elektrische autos",
    )


def test_dutch_multiword_keyword_matches_plural_captions():
    text = "Er worden nieuwe zonnepanelen en elektrische auto's verkocht."
    assert occurrences(text, "elektrische auto", language="nl") == [(5, 6)]
    assert occurrences(text, "zonnepaneel", language="nl") == [(3, 3)]


# --------------------------------------------------------------------------------------------
# Compound heads


def test_compound_head_matches_at_the_start_of_a_longer_token_only():
    text = "Klimaatverandering, het wereldklimaat en de klimaten: klimaat blijft."
    tokens = tokenize(text, "nl")
    found = occurrences(text, "klimaat*", language="nl")
    assert [tokens[first] for first, _ in found] == ["klimaatverandering", "klimaten", "klimaat"]


def test_whole_token_keyword_misses_the_compound():
    assert occurrences("De klimaatverandering is echt.", "klimaat", language="nl") == []


def test_compound_head_patterns_have_no_closing_space():
    assert keyword_patterns("klimaat*", language="nl") == (" klimaat", " klimaten")
    assert keyword_patterns("klimaat", language="nl") == (" klimaat ", " klimaten ")
    assert keyword_patterns("fossiele brandstof*", language="nl")[0] == " fossiele brandstof"


def test_compound_head_covered_inflections_are_dropped():
    # stikstoffen starts with stikstof: the head already finds it
    assert keyword_variants("stikstof*", language="nl") == ("stikstof*",)


def test_compound_head_in_a_multiword_keyword():
    text = "De fossiele brandstofprijzen stijgen."
    assert occurrences(text, "fossiele brandstof*", language="nl") == [(1, 2)]


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("zee*", "at least 5 letters"),
        ("klim*aat", "may only end a keyword"),
        ("klimaat**", "may only end a keyword"),
    ],
)
def test_bad_compound_heads_are_refused(keyword, message):
    with pytest.raises(ValueError, match=message):
        keyword_variants(keyword, language="nl")


def test_portuguese_does_not_glue_compounds():
    with pytest.raises(ValueError, match="Portuguese does not"):
        keyword_variants("clima*", language="pt")


# --------------------------------------------------------------------------------------------
# Portuguese


@pytest.mark.parametrize(
    ("word", "other"),
    [
        ("floresta", "florestas"),
        ("poluição", "poluições"),
        ("emissões", "emissão"),
        ("animal", "animais"),
        ("animais", "animal"),
        ("papel", "papéis"),
        ("combustível", "combustíveis"),
        ("combustíveis", "combustível"),
        ("fóssil", "fósseis"),
        ("mar", "mares"),
        ("mares", "mar"),
        ("emissores", "emissor"),
        ("luz", "luzes"),
        ("nuvem", "nuvens"),
        ("queimadas", "queimada"),
    ],
)
def test_portuguese_plurals_and_singulars(word, other):
    assert word_forms(word, language="pt")[0] == word
    assert other in word_forms(word, language="pt")


def test_portuguese_invariable_words_and_function_words():
    assert word_forms("vírus", language="pt") == ("vírus",)
    assert word_forms("gás", language="pt")[0] == "gás"
    assert word_forms("das", language="pt") == ("das",)


def test_portuguese_accents_match_in_either_unicode_composition():
    decomposed = unicodedata.normalize("NFD", "A POLUIÇÃO do ar e as emissões")
    assert occurrences(decomposed, "poluição", language="pt") == [(1, 1)]
    assert occurrences(decomposed, "emissão", language="pt") == [(6, 6)]


def test_portuguese_multiword_keyword_matches_its_plural():
    text = "Os combustíveis fósseis e a energia renovável"
    assert occurrences(text, "combustível fóssil", language="pt") == [(1, 2)]
    assert occurrences("energias renováveis", "energia renovável", language="pt") == [(0, 1)]
