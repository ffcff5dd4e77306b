"""Matching, timing, windows, promotion and counters (METHODOLOGY §3–§4), on hand-made cases."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatoire.core.counting import (
    number_of_windows,
    promote_in_stories,
    window_counters,
    window_of,
)
from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.core.text import keyword_variants, normalize
from observatoire.core.themes import CAUSAL_LINKS, CRISES, THEMES
from observatoire.intake.records import parse_items
from observatoire.matching.matcher import (
    _SCAN_BATCH_ROWS,
    COUNTER_COLUMNS,
    KEYWORD_SCHEMA,
    SEGMENT_SCHEMA,
    Matcher,
    align_token_times,
    crisis_column,
    theme_column,
)
from observatoire.matching.stories import StoryRules

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
START = 1_700_000_000  # epoch seconds
CLIMATE = "changement_climatique_constat"
CLIMATE_CAUSES = "changement_climatique_causes"
BIODIVERSITY = "biodiversite_concepts_generaux"
RESOURCES = "ressources"


def dictionary(*rows: tuple, stop_phrases: tuple[str, ...] = ()) -> KeywordDictionary:
    """Entries from (keyword, theme) or (keyword, theme, high_risk) rows."""
    entries = tuple(
        KeywordEntry(keyword=row[0], theme=row[1], high_risk=row[2] if len(row) > 2 else False)
        for row in rows
    )
    return KeywordDictionary(entries=entries, stop_phrases=stop_phrases)


def timed(*words: tuple[float, str], start: int = START) -> tuple[str, list[dict]]:
    """Plaintext and srt word list from (second after start, word) pairs."""
    srt = [
        {"cts_in_ms": start * 1000 + round(second * 1000), "duration_ms": 30, "text": word}
        for second, word in words
    ]
    return " ".join(word for _, word in words), srt


def found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(o.keyword, o.theme) for o in matcher.match_chunk(text, START).occurrences]


# -- §3 matching -------------------------------------------------------------------------------


def test_plural_and_feminine_forms_match_in_default_profile() -> None:
    matcher = Matcher(dictionary(("réseau", RESOURCES), ("sol pollué", BIODIVERSITY)))
    text = "les réseaux et les sols pollués puis une terre polluée et des sols polluées"
    assert found(matcher, text) == [
        ("réseau", RESOURCES),
        ("sol pollué", BIODIVERSITY),
        ("sol pollué", BIODIVERSITY),
    ]


def test_ome_2024_takes_only_a_trailing_s() -> None:
    matcher = Matcher(
        dictionary(("réseau", RESOURCES), ("forêt", BIODIVERSITY), ("pollué", BIODIVERSITY)),
        profile="ome-2024",
    )
    assert found(matcher, "les réseaux") == []
    assert found(matcher, "les forêts") == [("forêt", BIODIVERSITY)]
    assert found(matcher, "une rivière polluée") == []


def test_matches_are_whole_tokens_only() -> None:
    matcher = Matcher(dictionary(("gaz", CLIMATE_CAUSES), ("midi", CLIMATE)))
    assert found(matcher, "le gazole cet après-midi un gazoduc") == []
    assert found(matcher, "du gaz à midi") == [("gaz", CLIMATE_CAUSES), ("midi", CLIMATE)]


def test_elided_keyword_matches_both_caption_styles() -> None:
    matcher = Matcher(dictionary(("l'eau potable", RESOURCES)))
    assert len(found(matcher, "de l' eau potable")) == 1
    assert len(found(matcher, "de l\u2019eau potable")) == 1


def test_a_keyword_inside_a_longer_match_is_dropped() -> None:
    matcher = Matcher(
        dictionary(("gaz", CLIMATE_CAUSES, True), ("gaz à effet de serre", CLIMATE_CAUSES))
    )
    occurrences = matcher.match_chunk("les gaz à effet de serre et le gaz", START).occurrences
    assert [(o.keyword, o.token_index, o.token_count) for o in occurrences] == [
        ("gaz à effet de serre", 1, 5),
        ("gaz", 8, 1),
    ]


def test_nested_removal_uses_spans_not_dictionary_order() -> None:
    matcher = Matcher(
        dictionary(
            ("effet de serre", CLIMATE_CAUSES),
            ("gaz à effet de serre", CLIMATE_CAUSES),
            ("serre", CLIMATE_CAUSES),
        )
    )
    assert found(matcher, "gaz à effets de serre") == [("gaz à effet de serre", CLIMATE_CAUSES)]
    assert found(matcher, "un effet de serre") == [("effet de serre", CLIMATE_CAUSES)]


def test_partially_overlapping_keywords_are_both_kept() -> None:
    matcher = Matcher(dictionary(("panneau solaire", CLIMATE), ("solaire thermique", CLIMATE)))
    # neither span lies inside the other: both keywords were said
    match = matcher.match_chunk("un panneau solaire thermique", START)
    assert [(o.keyword, o.token_index) for o in match.occurrences] == [
        ("panneau solaire", 1),
        ("solaire thermique", 2),
    ]


def test_same_keyword_under_two_themes_gives_one_occurrence_per_theme() -> None:
    # Without weather framing (no story rules): this pins the one-occurrence-per-theme rule.
    matcher = Matcher(
        dictionary(("sécheresse", CLIMATE), ("sécheresse", RESOURCES)), story_rules=StoryRules()
    )
    match = matcher.match_chunk("la sécheresse", START)
    assert [(o.theme, o.crisis) for o in match.occurrences] == [
        (CLIMATE, "climat"),
        (RESOURCES, "ressources"),
    ]
    assert match.counts[crisis_column("climat")] == 1
    assert match.counts[crisis_column("ressources")] == 1
    assert match.counts[theme_column(RESOURCES)] == 1
    assert match.counts["number_of_keywords"] == 1


def test_a_form_shared_by_two_keywords_counts_once_per_theme() -> None:
    matcher = Matcher(dictionary(("déchet", RESOURCES), ("déchets", RESOURCES)))
    assert found(matcher, "les déchets") == [("déchets", RESOURCES)]
    # the plural of a keyword still counts under that keyword's theme
    matcher = Matcher(dictionary(("déchet", RESOURCES), ("déchets", BIODIVERSITY)))
    assert found(matcher, "les déchets") == [("déchets", BIODIVERSITY), ("déchet", RESOURCES)]
    matcher = Matcher(dictionary(("eau polluée", RESOURCES), ("eau pollué", RESOURCES)))
    assert len(found(matcher, "une eau polluées")) == 1


def test_stop_phrases_mask_whole_tokens_and_never_cut_a_word() -> None:
    rows = (("climat", CLIMATE), ("météo", CLIMATE), ("orage", CLIMATE))
    matcher = Matcher(dictionary(*rows, stop_phrases=("météo climat",)))
    # the stop phrase hides its own tokens...
    assert found(matcher, "la météo climat de ce soir") == []
    # ...but never part of a word: "météorologie climatique" is not the phrase
    matcher_words = Matcher(
        dictionary(
            ("météorologie", CLIMATE), ("climatique", CLIMATE), stop_phrases=("météo", "climat")
        )
    )
    assert len(found(matcher_words, "la météorologie climatique")) == 2
    # words around the phrase keep their positions (hence their times)
    masked = matcher.match_chunk("orage la météo climat orage", START).occurrences
    plain = Matcher(dictionary(*rows)).match_chunk("orage la météo climat orage", START)
    assert [o.token_index for o in masked] == [0, 4]
    assert [(o.token_index, o.t_ms) for o in masked] == [
        (o.token_index, o.t_ms) for o in plain.occurrences if o.keyword == "orage"
    ]


def test_a_keyword_overlapping_a_stop_phrase_is_masked_but_nested_ones_outside_survive() -> None:
    matcher = Matcher(
        dictionary(
            ("énergie", CLIMATE, True), ("énergie verte", CLIMATE), stop_phrases=("verte et bleue",)
        )
    )
    # "énergie verte" shares "verte" with the stop phrase: masked; "énergie" alone remains
    assert found(matcher, "énergie verte et bleue") == [("énergie", CLIMATE)]


# -- §3.6 time ---------------------------------------------------------------------------------


def test_without_srt_times_are_spread_evenly_and_marked_estimated() -> None:
    matcher = Matcher(dictionary(("climat", CLIMATE)))
    text = " ".join(["mot"] * 59 + ["climat"] + ["mot"] * 60)  # token 59 of 120
    match = matcher.match_chunk(text, START)
    assert match.timing == "estimated"
    (occurrence,) = match.occurrences
    assert occurrence.t_ms == START * 1000 + 59_000
    assert occurrence.second == 59.0
    assert occurrence.window == 2


def test_each_occurrence_takes_the_time_of_its_own_first_word() -> None:
    matcher = Matcher(dictionary(("forêt", BIODIVERSITY), ("forêt tropicale", BIODIVERSITY)))
    text, srt = timed((1, "la"), (2, "forêt"), (50, "une"), (70, "forêt"), (70.5, "tropicale"))
    match = matcher.match_chunk(text, START, srt)
    assert match.timing == "srt"
    assert [(o.keyword, o.second, o.window) for o in match.occurrences] == [
        ("forêt", 2.0, 0),
        ("forêt tropicale", 70.0, 3),
    ]


def test_srt_alignment_with_elisions_and_unknown_words() -> None:
    matcher = Matcher(dictionary(("eau", RESOURCES), ("biodiversité", BIODIVERSITY)))
    # the word list writes "l'eau" as one word and has <unk> entries; the text splits it
    srt = [
        {"cts_in_ms": START * 1000 + 1_000, "duration_ms": 30, "text": "<unk>"},
        {"cts_in_ms": START * 1000 + 3_000, "duration_ms": 30, "text": "l'eau"},
        {"cts_in_ms": START * 1000 + 25_000, "duration_ms": 30, "text": "<unk>"},
        {"cts_in_ms": START * 1000 + 41_000, "duration_ms": 30, "text": "la"},
        {"cts_in_ms": START * 1000 + 45_000, "duration_ms": 30, "text": "biodiversité"},
    ]
    match = matcher.match_chunk("<unk> l' eau <unk> la biodiversité", START, srt)
    assert [(o.keyword, o.second, o.window) for o in match.occurrences] == [
        ("eau", 3.0, 0),
        ("biodiversité", 45.0, 2),
    ]


def test_srt_alignment_survives_a_plaintext_that_differs_from_the_word_list() -> None:
    tokens = normalize("euh la forêt brûle encore et la sécheresse dure").split(" ")
    words = ["la", "forêt", "brûle", "et", "la", "sécheresse", "dure"]
    times = align_token_times(tokens, words, [10_000 + 1_000 * i for i in range(len(words))])
    assert times is not None
    assert times[tokens.index("forêt")] == 11_000
    assert times[tokens.index("sécheresse")] == 15_000
    assert times[0] == 10_000  # a token before any aligned word takes the first aligned time


def test_real_word_list_times_belong_to_the_keywords_first_word() -> None:
    fixture = json.loads((CORPORA / "fixtures" / "mediatree_light.json").read_text())
    matcher = Matcher(
        dictionary(
            ("climat", CLIMATE),
            ("météo", CLIMATE, True),
            ("eau", RESOURCES),
            ("sécheresse", RESOURCES),
            ("forage", RESOURCES),
            ("pétrole", CLIMATE_CAUSES),
            ("autoroute", CLIMATE_CAUSES),
        )
    )
    occurrences = 0
    for item in fixture["data"]:
        match = matcher.match_chunk(item["plaintext"], item["start"], item["srt"])
        assert match.timing == "srt"
        words_at = {}
        for word in item["srt"]:
            words_at.setdefault(word["cts_in_ms"], set()).update(normalize(word["text"]).split(" "))
        for occ in match.occurrences:
            occurrences += 1
            first_words = {variant.split(" ")[0] for variant in keyword_variants(occ.keyword)}
            assert first_words & words_at[occ.t_ms]
            assert 0 <= occ.window < match.number_of_windows
    assert occurrences >= 5


# -- §4 windows ---------------------------------------------------------------------------------


def test_a_keyword_said_in_three_windows() -> None:
    rows = (("biodiversité", BIODIVERSITY),)
    text, srt = timed(
        (5, "biodiversité"), (10, "biodiversité"), (45, "biodiversité"), (100, "biodiversité")
    )
    default = Matcher(dictionary(*rows)).match_chunk(text, START, srt)
    assert default.counts["number_of_keywords"] == 3
    assert len(default.occurrences) == 4
    reference = Matcher(dictionary(*rows), profile="ome-2024").match_chunk(text, START, srt)
    assert reference.counts["number_of_keywords"] == 1
    assert [(o.window, o.second) for o in reference.occurrences] == [(0, 5.0)]


def test_ome_2024_keeps_the_first_occurrence_per_keyword_and_theme() -> None:
    matcher = Matcher(
        dictionary(("forêt", BIODIVERSITY), ("forêt", RESOURCES), ("arbre", BIODIVERSITY)),
        profile="ome-2024",
    )
    text, srt = timed((5, "forêt"), (30, "arbre"), (70, "forêts"), (110, "arbres"))
    match = matcher.match_chunk(text, START, srt)
    assert [(o.keyword, o.theme, o.window) for o in match.occurrences] == [
        ("forêt", BIODIVERSITY, 0),
        ("forêt", RESOURCES, 0),
        ("arbre", BIODIVERSITY, 1),
    ]


def test_ten_keywords_in_one_window_count_one() -> None:
    matcher = Matcher(dictionary(("forêt", BIODIVERSITY), ("arbre", BIODIVERSITY)))
    text, srt = timed(*((20 + i, "forêt" if i % 2 else "arbre") for i in range(10)))
    match = matcher.match_chunk(text, START, srt)
    assert len(match.occurrences) == 10
    assert match.counts["number_of_keywords"] == 1


def test_words_before_start_or_after_two_minutes_are_clamped() -> None:
    matcher = Matcher(dictionary(("climat", CLIMATE)))
    text, srt = timed((-1.5, "climat"), (60, "mot"), (131, "climat"), (400, "climat"))
    match = matcher.match_chunk(text, START, srt)
    assert [o.window for o in match.occurrences] == [0, 5, 5]
    assert [o.second for o in match.occurrences] == [-1.5, 131.0, 400.0]
    assert window_of(START * 1000 - 1_500, START, 20) == 0
    assert window_of(START * 1000 + 120_000, START, 20) == 5
    assert window_of(START * 1000 + 119_999, START, 15) == 7


def test_window_length_is_configurable() -> None:
    matcher = Matcher(dictionary(("climat", CLIMATE)), window_seconds=15)
    text, srt = timed((14, "climat"), (16, "climat"), (44, "climat"))
    match = matcher.match_chunk(text, START, srt)
    assert match.number_of_windows == 8
    assert [o.window for o in match.occurrences] == [0, 1, 2]
    assert match.counts["number_of_keywords"] == 3


@pytest.mark.parametrize("seconds", [0, 7, -20, 121])
def test_a_window_length_that_does_not_divide_two_minutes_is_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        Matcher(dictionary(("climat", CLIMATE)), window_seconds=seconds)
    assert number_of_windows(20) == 6


# -- §4 promotion and counters -------------------------------------------------------------------


def promotion_case(*said: tuple[float, str]):
    rows = (
        ("climat", CLIMATE, True),
        ("carbone", CLIMATE_CAUSES, True),
        ("réchauffement climatique", CLIMATE),
        ("espèce", BIODIVERSITY),
    )
    text, srt = timed(*said)
    return Matcher(dictionary(*rows)).match_chunk(text, START, srt)


def test_a_lone_high_risk_keyword_does_not_count() -> None:
    match = promotion_case((5, "climat"), (65, "carbone"))
    assert [o.counted for o in match.occurrences] == [False, False]
    assert match.counts["number_of_keywords"] == 0
    assert match.counts[crisis_column("climat")] == 0


def test_high_risk_is_promoted_by_a_direct_keyword_of_the_same_crisis_nearby() -> None:
    # Said before the direct keyword, in the window before: promoted from 6 s ahead at most.
    match = promotion_case(
        (19, "climat"), (25, "réchauffement"), (25.5, "climatique"), (65, "carbone")
    )
    flags = [(o.keyword, o.window, o.counted, o.promoted) for o in match.occurrences]
    assert flags == [
        ("climat", 0, True, True),
        ("réchauffement climatique", 1, True, False),
        ("carbone", 3, False, False),  # two windows away: not adjacent
    ]
    assert match.counts["number_of_keywords"] == 2
    assert match.counts["number_of_keywords_no_hrfp"] == 1
    assert match.counts[crisis_column("climat", no_hrfp=True)] == 1
    assert match.counts[theme_column(CLIMATE)] == 2
    assert match.counts[theme_column(CLIMATE_CAUSES)] == 0


def test_another_crisis_does_not_promote() -> None:
    match = promotion_case((5, "climat"), (6, "espèce"))
    assert [o.counted for o in match.occurrences] == [False, True]
    assert match.counts[crisis_column("climat")] == 0
    assert match.counts[crisis_column("biodiversite")] == 1


def test_promotion_needs_a_direct_occurrence_not_a_chain() -> None:
    # direct in window 5; high risk in 4 (promoted), 3 and 2 (a chain: not promoted) and 0
    match = promotion_case(
        (1, "carbone"),
        (45, "climat"),
        (65, "carbone"),
        (99.5, "climat"),
        (105, "réchauffement"),
        (105.5, "climatique"),
    )
    assert [(o.window, o.counted) for o in match.occurrences] == [
        (0, False),
        (2, False),
        (3, False),
        (4, True),
        (5, True),
    ]
    assert match.counts["number_of_keywords"] == 2
    assert match.counts["number_of_keywords_no_hrfp"] == 1
    assert match.counts["number_of_keywords_causes"] == 0
    assert match.counts["number_of_keywords_constat"] == 2


def reference_promotion(occurrences: list[tuple]) -> set[tuple[int, int, int]]:
    """(chunk, crisis, window) triples that count: windows with a direct occurrence, and windows
    holding an occurrence next to one of them (same chunk and crisis)."""
    present = {(k, c, w) for k, w, c, *_ in occurrences}
    direct = {(k, c, w) for k, w, c, high, *_ in occurrences if not high}
    near = {(k, c, w + step) for k, c, w in direct for step in (-1, 1)}
    return direct | (present & near)


def counted_in_order(occurrences: list[tuple], order: list[int], chunks: int = 3):
    """Promotion and counters over the occurrences listed in `order`: ({index: counted},
    counts), in one story per chunk, every occurrence eligible."""
    listed = [occurrences[i] for i in order]
    columns = [np.array([o[k] for o in listed], dtype=np.int64) for k in range(6)]
    chunk, window, crisis, high_risk, link, theme = columns
    high_risk = high_risk.astype(bool)
    story, eligible = np.zeros_like(chunk), np.ones(len(chunk), bool)
    flags, _ = promote_in_stories(chunk, window, crisis, high_risk, story, eligible)
    direct = flags & ~high_risk
    counts = window_counters(
        chunk, window, crisis, high_risk, link, theme, flags, direct, chunks, 6
    )
    return dict(zip(order, flags.tolist(), strict=True)), counts.tolist()


occurrence_strategy = st.tuples(
    st.integers(0, 2),  # chunk
    st.integers(0, 5),  # window
    st.integers(0, len(CRISES) - 1),
    st.booleans(),  # high risk
    st.integers(0, len(CAUSAL_LINKS) - 1),
    st.integers(0, len(THEMES) - 1),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(occurrence_strategy, max_size=16), st.randoms(use_true_random=False))
def test_promotion_does_not_depend_on_order(occurrences: list, random) -> None:
    order = list(range(len(occurrences)))
    shuffled = order.copy()
    random.shuffle(shuffled)
    original = counted_in_order(occurrences, order)
    assert counted_in_order(occurrences, shuffled) == original
    assert counted_in_order(occurrences, order[::-1]) == original
    expected = reference_promotion(occurrences)
    flags, counts = original
    for i, (chunk, window, crisis, *_) in enumerate(occurrences):
        assert flags[i] == ((chunk, crisis, window) in expected)
    for chunk in range(3):
        windows = {w for k, c, w in expected if k == chunk}
        assert counts[chunk][0] == len(windows)


def test_promotion_is_identical_under_every_permutation() -> None:
    # crisis 0: direct in 5, high risk in 4 (next to it), 3 and 1; crisis 1: high risk only
    occurrences = [
        (0, 5, 0, False, 0, 0),
        (0, 4, 0, True, 1, 1),
        (0, 3, 0, True, 1, 1),
        (0, 1, 0, True, 1, 1),
        (0, 2, 1, True, 0, 5),
    ]
    results = set()
    for order in itertools.permutations(range(len(occurrences))):
        flags, counts = counted_in_order(occurrences, list(order), chunks=1)
        results.add((tuple(sorted(flags.items())), tuple(counts[0])))
    assert len(results) == 1
    ((flags, counts),) = results
    assert [flag for _, flag in flags] == [True, True, False, False, False]
    assert counts[0] == 2


# -- tables -----------------------------------------------------------------------------------


def test_counter_columns_are_distinct_and_cover_every_label() -> None:
    assert len(set(COUNTER_COLUMNS)) == len(COUNTER_COLUMNS)
    assert theme_column("ressources") != crisis_column("ressources")
    assert set(SEGMENT_SCHEMA.names) >= set(COUNTER_COLUMNS)


def captions_table(items: list[dict]) -> pa.Table:
    return parse_items(items, source="test").table


def item(channel: str, start: int, plaintext: str, srt: list | None = None) -> dict:
    record = {
        "channel": {"name": channel, "title": channel.upper(), "radio": False},
        "start": start,
        "plaintext": plaintext,
    }
    if srt is not None:
        record["srt"] = srt
    return record


def test_match_table_agrees_with_match_chunk() -> None:
    matcher = Matcher(
        dictionary(
            ("climat", CLIMATE, True),
            ("réchauffement climatique", CLIMATE),
            ("forêt", BIODIVERSITY),
            ("forêt", RESOURCES),
            stop_phrases=("météo climat",),
        )
    )
    text, srt = timed(
        (15, "le"),
        (16, "climat"),
        (21, "réchauffement"),
        (21.5, "climatique"),
        (90, "forêts"),
        (118, "météo"),
        (119, "climat"),
    )
    items = [
        item("tf1", START, text, srt),
        item("tf1", START + 120, "rien à signaler"),
        item("france2", START, "la forêt brûle et le climat change la forêt"),
    ]
    table = captions_table(items)
    result = matcher.match_table(table)
    assert result.segments.schema == SEGMENT_SCHEMA
    assert result.keywords.schema == KEYWORD_SCHEMA
    assert result.segments.num_rows == 3
    segments = result.segments.to_pylist()
    keywords = result.keywords.to_pylist()
    for row, record in zip(segments, table.to_pylist(), strict=True):
        start = int(record["start"].timestamp())
        match = matcher.match_chunk(record["plaintext"], start, record["srt"])
        assert row["chunk_id"] == record["chunk_id"]
        assert row["timing"] == match.timing
        assert row["number_of_windows"] == 6 and row["window_seconds"] == 20
        assert {c: row[c] for c in COUNTER_COLUMNS} == dict(match.counts)
        evidence = [k for k in keywords if k["chunk_id"] == record["chunk_id"]]
        assert [
            (
                k["keyword"],
                k["theme"],
                k["t_ms"],
                k["window"],
                k["counted"],
                k["promoted"],
                k["token_index"],
                k["excerpt"],
            )
            for k in evidence
        ] == [
            (o.keyword, o.theme, o.t_ms, o.window, o.counted, o.promoted, o.token_index, o.excerpt)
            for o in match.occurrences
        ]
        assert all(k["day"] == date(2023, 11, 14) for k in evidence)
    tf1 = [k for k in keywords if k["channel_name"] == "tf1"]
    assert [(k["keyword"], k["second"], k["promoted"]) for k in tf1] == [
        ("climat", 16.0, True),
        ("réchauffement climatique", 21.0, False),
        ("forêt", 90.0, False),
        ("forêt", 90.0, False),
    ]
    assert tf1[0]["excerpt"].startswith("le climat réchauffement")


def test_match_table_of_an_empty_table() -> None:
    result = Matcher(dictionary(("climat", CLIMATE))).match_table(captions_table([]))
    assert result.segments.num_rows == 0 and result.segments.schema == SEGMENT_SCHEMA
    assert result.keywords.num_rows == 0 and result.keywords.schema == KEYWORD_SCHEMA


def test_excerpt_shows_five_words_either_side_of_the_keyword() -> None:
    matcher = Matcher(dictionary(("forêt tropicale", BIODIVERSITY)))
    words = [f"mot{i}" for i in range(40)]
    words[20:22] = ["forêt", "tropicale"]
    text = " ".join(words)
    (occurrence,) = matcher.match_chunk(text, START).occurrences
    assert occurrence.excerpt == " ".join(words[15:27])
    (at_start,) = matcher.match_chunk("forêt tropicale et un mot", START).occurrences
    assert at_start.excerpt == "forêt tropicale et un mot"
    tail = " ".join(words[30:]) + " forêts tropicales"
    (at_end,) = matcher.match_chunk(tail, START).occurrences
    assert at_end.excerpt == " ".join([*words[-5:], "forêts", "tropicales"])


def test_excerpt_keeps_only_whole_words_within_reach_of_the_keyword() -> None:
    matcher = Matcher(dictionary(("forêt", BIODIVERSITY)))
    before, after = ["a" * 40] * 10, ["b" * 40] * 10
    (occurrence,) = matcher.match_chunk(" ".join([*before, "forêt", *after]), START).occurrences
    # 150 characters either side hold three whole 40-letter words, not five
    assert occurrence.excerpt == " ".join([*before[-3:], "forêt", *after[:3]])


def test_match_table_agrees_with_match_chunk_across_scan_batches() -> None:
    matcher = Matcher(
        dictionary(
            ("climat", CLIMATE, True),
            ("énergie", CLIMATE, True),
            ("énergie verte", CLIMATE),
            ("forêt", BIODIVERSITY),
            ("forêt tropicale", BIODIVERSITY),
            stop_phrases=("verte et bleue", "météo climat"),
        )
    )
    texts = [
        "la forêt tropicale brûle",
        "énergie verte et bleue pour le climat",
        "la météo climat de ce soir",
        "<unk> <unk>",
        "forêts forêt tropicale forêts",
        "rien à signaler",
        "énergie verte",
    ]
    rows = _SCAN_BATCH_ROWS + 20
    items = [item("tf1", START + 120 * i, texts[i % len(texts)]) for i in range(rows)]
    items[_SCAN_BATCH_ROWS - 1]["plaintext"] = "le climat et la forêt"
    items[_SCAN_BATCH_ROWS]["plaintext"] = "forêt tropicale et énergie verte"
    table = captions_table(items)
    result = matcher.match_table(table)
    evidence: dict[str, list[tuple]] = {}
    for k in result.keywords.to_pylist():
        evidence.setdefault(k["chunk_id"], []).append(
            (k["keyword"], k["theme"], k["t_ms"], k["counted"], k["token_index"], k["excerpt"])
        )
    segments = result.segments.to_pylist()
    assert len(segments) == rows
    for segment, record in zip(segments, table.to_pylist(), strict=True):
        match = matcher.match_chunk(record["plaintext"], int(record["start"].timestamp()))
        assert {c: segment[c] for c in COUNTER_COLUMNS} == dict(match.counts)
        assert evidence.get(record["chunk_id"], []) == [
            (o.keyword, o.theme, o.t_ms, o.counted, o.token_index, o.excerpt)
            for o in match.occurrences
        ]


def test_real_corpus_chunks_all_match_the_packaged_dictionary_consistently() -> None:
    lines = (CORPORA / "cop15_mediatree" / "chunks.jsonl").read_text().splitlines()[:200]
    items = []
    for line in lines:
        record = json.loads(line)
        items.append(item(record["channel_name"], record["start"], record["plaintext"]))
    from observatoire.core.dictionary import default_dictionary

    matcher = Matcher(default_dictionary())
    result = matcher.match_table(captions_table(items))
    counts = result.segments.column("number_of_keywords").to_pylist()
    assert all(0 <= n <= 6 for n in counts)
    keywords = result.keywords
    assert all(0 <= w <= 5 for w in keywords.column("window").to_pylist())
    assert all(0.0 <= s < 120.0 for s in keywords.column("second").to_pylist())


@pytest.mark.parametrize(
    ("environmental", "everyday"),
    [
        ("deux repas sans viande pour alléger l' empreinte des menus", "alléger le régime"),
        ("une façon de faire durer les habits explique la gérante", "faire durer le suspense"),
        ("les restes des assiettes sont pesés chaque midi", "les restes du repas de noël"),
        ("il y a de moins en moins d' oiseaux dans nos campagnes", "de moins en moins de clients"),
        ("presque plus d' insectes écrasés sur les pare-brise", "il gratte son pare-brise"),
        ("les étés sont de plus en plus secs ici", "les prix sont de plus en plus hauts"),
        ("le maire a interdit de remplir les piscines", "la piscine municipale rouvre lundi"),
        ("ils n' ont plus le droit de pomper dans la rivière", "il n' a plus le droit de conduire"),
        ("vingt hectares de terres agricoles deviendront un entrepôt", "vingt hectares à vendre"),
        ("au café de la réparation on sauve les grille-pain", "le café de la gare rouvre"),
        ("la mode ultra rapide remplit nos placards", "la mode des années quatre-vingt revient"),
        ("en aval de l' usine les truites meurent", "en aval de l' usine les salariés manifestent"),
        ("le glacier a reculé de deux cents mètres", "le glacier du port a ouvert une boutique"),
        ("les maisons fissurées par la sécheresse", "les murs fissurés du vieux théâtre"),
        ("le poisson du lac est contaminé au mercure", "le joueur est contaminé par le virus"),
        ("les fumées de l' incinérateur inquiètent les parents", "les fumées du barbecue"),
        ("les pneus polluent l' air de la vallée", "ces rumeurs polluent le débat"),
        ("dans le nord les agriculteurs plantent des haies", "ils plantent des tentes"),
        ("la commune récupère l' eau de pluie des toits", "la commune récupère les clés"),
        ("la région protège les forêts de montagne", "la police protège les manifestants"),
        ("le glacier a perdu quarante mètres", "le club a perdu quarante points"),
        ("les épicéas sèchent sur pied", "les vêtements sèchent sur le fil"),
        ("les rivières se réchauffent chaque été", "les relations se réchauffent"),
        ("les fleuves sont trop chauds pour refroidir les réacteurs", "les plats sont trop chauds"),
        ("des bandes fleuries au bord des champs", "des bandes dessinées"),
        ("les riverains respirent un air chargé de particules", "un air chargé d' émotion"),
        ("on compte deux fois moins d' oiseaux qu' avant", "deux fois moins de monde"),
        ("les bassines vont pomper dans les nappes en hiver", "pomper dans les réserves"),
        ("les constructeurs veulent repousser la fin du thermique", "la fin du match"),
        ("l' avion reste le transport le plus émetteur", "le plus ancien de la ville"),
        ("il ne pleut plus comme avant au printemps", "il ne joue plus comme avant"),
        ("les puits sont à sec dans tout le canton", "les caisses sont à sec"),
        ("cette année on n' a pas eu de vrai hiver", "on n' a pas eu de vrai débat"),
        ("les agriculteurs arrachent les haies", "ils arrachent les affiches"),
        ("ici la forêt recule devant le soja", "ici le chômage recule"),
        ("les carrières de sable grignotent la vallée", "les carrières de ses joueurs"),
        (
            "une saison des pluies qui change avec le réchauffement",
            "avec le réchauffement des relations",
        ),
        ("objectif diviser par deux les émissions du bâtiment", "les émissions du samedi soir"),
        ("les sources se sont taries dans le hameau", "les sources du journaliste"),
        ("ils puisent dans les nappes tout l' été", "ils puisent dans leurs économies"),
        ("des épicéas qui meurent sur pied", "des joueurs qui meurent d' envie"),
        ("la ville la plus polluée de france", "la ville la plus visitée de france"),
        ("depuis deux hivers la dune recule", "depuis deux ans le chômage recule"),
        ("prendre le train plutôt que l' avion", "prendre le bus plutôt que le métro"),
        ("le couple de cigognes est revenu nicher", "le couple est revenu dîner"),
        ("la commune débitume la cour de l' école", "la commune repeint la cour de l' école"),
        ("la métropole renature les berges", "la métropole rénove les berges"),
        ("le maïs demande trop d' eau en été", "le club demande trop d' argent"),
        ("les abeilles ne reviennent pas à la ruche", "les salariés ne reviennent pas au bureau"),
        ("on les répare plutôt que de les jeter", "on les garde plutôt que de les vendre"),
        ("à chaque orage les égouts débordent", "à chaque match les tribunes débordent"),
        ("les hérissons disparaissent de nos jardins", "les touristes disparaissent de nos plages"),
        ("le corail est menacé en méditerranée", "le maire est menacé de mort"),
        ("on vendange fin août désormais", "on se retrouve fin août"),
        ("les populations de chauves souris s' effondrent", "les souris envahissent le grenier"),
        (
            "les industriels doivent réduire leurs émissions",
            "les industriels doivent réduire leurs coûts",
        ),
        ("la pluie remplace la neige en plein janvier", "la pluie remplace le soleil ce week end"),
        ("la plage a reculé de vingt mètres", "le chômage a reculé de deux points"),
        (
            "les logements classés g ne seront plus loués",
            "les logements classés monuments historiques",
        ),
        ("on a enlevé le bitume de la cour", "on a enlevé les décorations de la cour"),
        ("le loup a attaqué un troupeau", "le chien a attaqué un passant"),
        ("un agriculteur a arraché une haie", "un voleur a arraché un sac"),
        ("la mine rejette des boues chargées d' arsenic", "des camions chargés de sable"),
        ("des cas de dengue autochtone dans le gard", "des cas de grippe dans le gard"),
        ("les saisons se décalent", "les horaires se décalent"),
        ("on ne laboure plus nos parcelles", "on ne travaille plus le dimanche"),
        (
            "le supermarché donne ses invendus aux associations",
            "le supermarché donne des bons aux clients",
        ),
        ("une mine de bauxite avale les champs", "une mine de crayon"),
        ("les opposants aux méga bassines manifestent", "les opposants au projet manifestent"),
        ("les truites remontent jusqu' aux frayères", "les touristes remontent jusqu' au village"),
        ("la rivière a retrouvé ses méandres", "le club a retrouvé ses supporters"),
        ("les enfants vont à l' école en pédibus", "les enfants vont à l' école en bus"),
        ("les dauphins s' échouent sur la côte", "les négociations s' échouent sur la dette"),
        ("la mer a mangé les terrains du bord de côte", "le chien a mangé les restes du repas"),
    ],
)
def test_everyday_phrasings_of_environmental_talk_count_directly(
    environmental: str, everyday: str
) -> None:
    """Phrases a newsroom uses only about ecology count alone; their everyday neighbours do not."""
    from observatoire.core.dictionary import default_dictionary

    matcher = Matcher(default_dictionary())
    said = matcher.match_chunk(environmental, START).occurrences
    assert any(o.counted and not o.high_risk for o in said), said
    assert matcher.match_chunk(everyday, START).number_of_keywords == 0


@pytest.mark.parametrize(
    "plaintext",
    [
        "le climat, la forêt brûle",
        "  le climat  la\tforêt brûle ",
        "Le Climat! La Forêt\nbrûle.",
        "le <unk>climat la forêt<unk> brûle",
    ],
)
def test_text_with_separators_is_matched_as_its_normalised_form(plaintext: str) -> None:
    matcher = Matcher(dictionary(("climat", CLIMATE), ("forêt", BIODIVERSITY)))
    match = matcher.match_chunk(plaintext, START)
    assert match.text == "le climat la forêt brûle"
    assert [(o.keyword, o.token_index) for o in match.occurrences] == [
        ("climat", 1),
        ("forêt", 3),
    ]
