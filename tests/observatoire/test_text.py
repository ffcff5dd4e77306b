"""Normalisation and inflections (METHODOLOGY §3.1–§3.2)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatoire.core.text import (
    MAX_VARIANTS_PER_KEYWORD,
    keyword_variants,
    normalize,
    tokenize,
    word_forms,
    word_tokens,
)


def test_normalize_lowercases_and_composes_unicode() -> None:
    decomposed = unicodedata.normalize("NFD", "Écologie Énergétique")
    assert decomposed != "Écologie Énergétique"
    assert normalize(decomposed) == "écologie énergétique"


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u2018", "\u02bc", "`", "\u00b4"])
def test_typographic_apostrophes_become_plain_and_elisions_split(apostrophe: str) -> None:
    assert normalize(f"L{apostrophe}eau") == "l' eau"
    assert normalize(f"l{apostrophe} eau") == "l' eau"


def test_elided_and_split_forms_are_the_same_text() -> None:
    assert normalize("la qualité de l'eau d'ici") == normalize("la qualité de l' eau d' ici")


def test_unknown_words_are_removed_without_gluing_neighbours() -> None:
    assert normalize("<unk> la <unk> forêt <unk>") == "la forêt"
    assert normalize("forêt<unk>amazonienne") == "forêt amazonienne"
    assert normalize("<unk>") == ""


def test_runs_of_unknown_words_leave_single_spaces() -> None:
    assert normalize("<unk> <unk> <unk> le <unk> <unk> climat <unk> <unk>") == "le climat"
    assert normalize("l'<unk> <unk>'eau") == "l' ' eau"


# Latin-1 text takes a byte-mapping shortcut; any other character sends the whole text through
# the general path. Both must give the same tokens.
_LATIN1_PIECES = st.sampled_from(
    [chr(code) for code in range(256)] + ["<unk>", " <unk> ", "'", "l'", " ", "  ", "É", "e"]
)


@given(st.lists(_LATIN1_PIECES, max_size=24).map("".join))
def test_latin1_text_normalises_as_in_the_general_path(text: str) -> None:
    expected = " ".join(token for token in (normalize(text), "œuvre") if token)
    assert normalize(text + " Œuvre") == expected
    assert normalize(text + "\u2003Œuvre") == expected


def test_whitespace_is_collapsed_and_punctuation_separates_words() -> None:
    assert normalize("  le\tclimat,\n la\u00a0planète. ") == "le climat la planète"


def test_hyphenated_compounds_stay_one_token() -> None:
    assert tokenize("cet après-midi à terre-neuve") == ["cet", "après-midi", "à", "terre-neuve"]


def test_word_tokens_of_caption_words() -> None:
    assert word_tokens("<unk>") == ()
    assert word_tokens("l'eau") == ("l'", "eau")
    assert word_tokens("Forêts") == ("forêts",)


def test_default_plurals() -> None:
    assert set(word_forms("forêt")) == {"forêt", "forêts"}
    assert "réseaux" in word_forms("réseau")
    assert "feux" in word_forms("feu")
    assert "végétaux" in word_forms("végétal")
    assert word_forms("gaz") == ("gaz",)
    assert word_forms("bois") == ("bois",)


def test_a_plural_keyword_word_matches_its_singular() -> None:
    assert word_forms("déchets") == ("déchets", "déchet")
    assert "végétal" in word_forms("végétaux")
    assert "feu" in word_forms("feux")
    assert "énergie renouvelable" in keyword_variants("énergies renouvelables")
    assert "énergie renouvelable" in keyword_variants("énergies renouvelables", "ome-2024")


def test_past_participles_take_feminine_and_plural_forms() -> None:
    assert set(word_forms("pollué")) == {"pollué", "polluée", "pollués", "polluées"}


def test_ome_2024_profile_makes_a_final_s_or_x_optional_on_every_word() -> None:
    # Reproduced for parity: `océans` also matches `océan`, but `réseau` misses `réseaux`.
    assert word_forms("réseau", "ome-2024") == ("réseau", "réseaus")
    assert word_forms("pollué", "ome-2024") == ("pollué", "pollués")
    assert word_forms("végétal", "ome-2024") == ("végétal", "végétals")
    assert word_forms("océans", "ome-2024") == ("océans", "océan")
    assert word_forms("feux", "ome-2024") == ("feux", "feu")
    assert word_forms("des", "ome-2024") == ("des", "de")
    assert "acidification des océan" in keyword_variants("acidification des océans", "ome-2024")


def test_function_words_are_never_inflected() -> None:
    variants = keyword_variants("gaz à effet de serre")
    assert set(variants) == {
        "gaz à effet de serre",
        "gaz à effets de serre",
        "gaz à effet de serres",
        "gaz à effets de serres",
    }
    assert all(" des " not in v and " aux " not in v for v in variants)
    assert keyword_variants("l'eau")[0] == "l' eau"
    assert "l' eaux" in keyword_variants("l'eau")


def test_keyword_variants_start_with_the_keyword_and_are_capped() -> None:
    assert keyword_variants("énergie renouvelable")[0] == "énergie renouvelable"
    assert "énergies renouvelables" in keyword_variants("énergie renouvelable")
    long = keyword_variants("forêt pollué réseau végétal arbre fleuve lac")
    assert len(long) <= MAX_VARIANTS_PER_KEYWORD
    assert long[0] == "forêt pollué réseau végétal arbre fleuve lac"
    assert "forêts polluées réseau végétal arbre fleuve lac" not in long  # beyond the cap...
    assert "forêt pollué réseaux végétal arbre fleuve lac" in long  # ...one word at a time


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        word_forms("forêt", "ome-2023")
