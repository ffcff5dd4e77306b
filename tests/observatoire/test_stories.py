"""Story-aware promotion, weather framing and the ome-2024 parity behaviours (METHODOLOGY §3-4)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from observatoire.core.counting import (
    ADJACENT,
    AS_A_COST,
    CLUSTERED,
    DIRECT,
    FRAMED_IN_WINDOW,
    LIST_ORDER,
    NO_ANCHOR,
    OUT_OF_REACH,
    REASONS,
    SOLD,
    STORY_BOUNDARY,
    UNFRAMED,
    promote_clusters,
    promote_in_list_order,
    promote_in_stories,
)
from observatoire.core.dictionary import KeywordDictionary, KeywordEntry, default_dictionary
from observatoire.core.text import normalize
from observatoire.matching.evidence import channel_day_evidence, format_evidence
from observatoire.matching.matcher import Matcher, is_specific
from observatoire.matching.stories import default_story_rules, parse_cost, parse_framing

START = 1_700_000_000
CLIMATE = "changement_climatique_constat"
CAUSES = "changement_climatique_causes"
CONSEQUENCES = "changement_climatique_consequences"


def dictionary(*rows: tuple[str, str, bool]) -> KeywordDictionary:
    return KeywordDictionary(tuple(KeywordEntry(k, t, high_risk=r) for k, t, r in rows))


DICT = dictionary(
    ("changement climatique", CLIMATE, False),
    ("énergie", CAUSES, True),
    ("canicule", CONSEQUENCES, False),
)


def timed(*parts: tuple[float, str]) -> tuple[str, list[dict]]:
    """Caption text and word list: each part's words from its second on, 0.3 s apart."""
    srt = []
    for second, text in parts:
        for i, word in enumerate(normalize(text).split(" ")):
            srt.append({"text": word, "cts_in_ms": START * 1000 + int((second + 0.3 * i) * 1000)})
    return " ".join(w["text"] for w in srt), srt


# One phrase per kind of boundary the shipped data knows.
BOUNDARY_KINDS = {
    "sport transition": "en sport",
    "change of subject": "autre actualité",
    "moving elsewhere": "on part à",
    "hand-over": "place au",
    "greeting": "bonsoir à tous",
    "show opening": "à la une",
}


@pytest.mark.parametrize("phrase", BOUNDARY_KINDS.values(), ids=BOUNDARY_KINDS.keys())
def test_promotion_stops_at_a_story_boundary_and_crosses_within_a_story(phrase: str) -> None:
    matcher = Matcher(DICT)
    # Direct occurrence in window 0, high-risk one in window 1.
    within, srt_within = timed(
        (14, "le changement climatique inquiète"), (22, "et toute l' énergie du pays")
    )
    across, srt_across = timed(
        (14, "le changement climatique inquiète"),
        (19, phrase),
        (22, "et toute l' énergie du pays"),
    )
    kept = matcher.match_chunk(within, START, srt_within)
    stopped = matcher.match_chunk(across, START, srt_across)
    [energy] = [o for o in kept.occurrences if o.keyword == "énergie"]
    assert energy.counted and energy.reason == REASONS[ADJACENT]
    assert kept.number_of_keywords == 2
    [energy] = [o for o in stopped.occurrences if o.keyword == "énergie"]
    assert not energy.counted and energy.reason == REASONS[STORY_BOUNDARY]
    assert energy.story == 1
    assert stopped.number_of_keywords == 1
    assert [b.phrase for b in stopped.boundaries] == [normalize(phrase)]


def test_explain_shows_why_a_high_risk_word_was_not_promoted() -> None:
    text, srt = timed(
        (14, "le changement climatique inquiète"), (19, "en sport"), (22, "l' énergie du pays")
    )
    output = _explained(Matcher(DICT), text, srt)
    assert "Not counted, and why" in output
    assert "énergie" in output and REASONS[STORY_BOUNDARY] in output


def _explained(matcher: Matcher, text: str, srt: list[dict]) -> str:
    """What `explain` prints for one chunk of channel tf1."""
    import pyarrow as pa

    from observatoire.intake.records import parse_items

    item = {
        "channel": {"name": "tf1", "title": "TF1", "radio": False},
        "start": START,
        "plaintext": text,
        "srt": [dict(w, duration_ms=200) for w in srt],
    }
    captions = parse_items([item], source="test").table
    keywords = matcher.match_table(captions).keywords
    day = captions["day"][0].as_py()
    table = pa.Table.from_batches(keywords.to_batches())
    return format_evidence(channel_day_evidence(table, "tf1", day, covered_minutes=2.0))


def test_promotion_does_not_depend_on_dictionary_order() -> None:
    rows = [
        ("changement climatique", CLIMATE, False),
        ("énergie", CAUSES, True),
        ("pétrole", CAUSES, True),
        ("forêt", "biodiversite_concepts_generaux", False),
        ("arbres", "biodiversite_concepts_generaux", True),
    ]
    text, srt = timed(
        (5, "le changement climatique et le pétrole"),
        (25, "l' énergie encore"),
        (45, "autre actualité des arbres et l' énergie"),
        (70, "la forêt brûle"),
        (85, "les arbres tombent"),
    )
    results = set()
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        match = Matcher(dictionary(*shuffled)).match_chunk(text, START, srt)
        results.add(tuple(sorted(match.counts.items())))
    assert len(results) == 1


def test_weather_event_counts_only_with_a_cue_in_its_window() -> None:
    matcher = Matcher(DICT)
    alert, srt_alert = timed((3, "vigilance orange pour la canicule demain"))
    [occ] = matcher.match_chunk(alert, START, srt_alert).occurrences
    assert not occ.counted and occ.reason == REASONS[UNFRAMED]
    framed, srt_framed = timed((3, "la canicule de plus en plus fréquente"))
    [occ] = matcher.match_chunk(framed, START, srt_framed).occurrences
    assert occ.counted
    by_climate, srt_climate = timed((3, "la canicule liée au changement climatique"))
    match = matcher.match_chunk(by_climate, START, srt_climate)
    assert all(o.counted for o in match.occurrences)
    # A cue from another story does not frame it.
    other, srt_other = timed((3, "de plus en plus de buts en sport la canicule"))
    [occ] = matcher.match_chunk(other, START, srt_other).occurrences
    assert not occ.counted


def test_a_high_risk_weather_event_framed_in_its_window_counts_without_promotion() -> None:
    flood = dictionary(
        ("inondation", CONSEQUENCES, True), ("changement climatique", CLIMATE, False)
    )
    matcher = Matcher(flood)
    trend, srt_trend = timed((3, "les inondations reviennent pour la troisième fois en dix ans"))
    [occ] = matcher.match_chunk(trend, START, srt_trend).occurrences
    assert occ.counted and occ.promoted and occ.reason == REASONS[FRAMED_IN_WINDOW]
    # A toll: no cue, not counted, even with a climate story in the window before.
    toll, srt_toll = timed(
        (12, "le changement climatique inquiète"), (24, "les inondations ont fait trois morts")
    )
    match = matcher.match_chunk(toll, START, srt_toll)
    [occ] = [o for o in match.occurrences if o.keyword == "inondation"]
    assert not occ.counted and occ.reason == REASONS[UNFRAMED]


def test_a_high_risk_energy_word_is_not_promoted_where_its_window_speaks_of_its_price() -> None:
    fuel = dictionary(("gazole", CAUSES, True), ("changement climatique", CLIMATE, False))
    matcher = Matcher(fuel)
    cost, srt_cost = timed(
        (12, "le changement climatique inquiète"), (24, "le litre de gazole à deux euros")
    )
    match = matcher.match_chunk(cost, START, srt_cost)
    [occ] = [o for o in match.occurrences if o.keyword == "gazole"]
    assert not occ.counted and occ.reason == REASONS[AS_A_COST]
    assert REASONS[AS_A_COST] in _explained(matcher, cost, srt_cost)
    # Without a price in its window, the same word is promoted as before.
    no_cost, srt_no_cost = timed(
        (12, "le changement climatique inquiète"), (24, "les moteurs au gazole polluent")
    )
    match = matcher.match_chunk(no_cost, START, srt_no_cost)
    [occ] = [o for o in match.occurrences if o.keyword == "gazole"]
    assert occ.counted and occ.reason == REASONS[ADJACENT]
    # A direct word in a window with a price still counts: the rule holds back promotion only.
    both, srt_both = timed((3, "le changement climatique et le prix du gazole"))
    match = matcher.match_chunk(both, START, srt_both)
    assert match.number_of_keywords == 1


BIODIVERSITY = "biodiversite_concepts_generaux"
HEDGES = dictionary(
    ("bocage", BIODIVERSITY, True),
    ("haie", BIODIVERSITY, True),
    ("hérisson", BIODIVERSITY, True),
    ("chouette", BIODIVERSITY, True),
)


def test_three_high_risk_keywords_of_one_crisis_in_one_window_count_together() -> None:
    matcher = Matcher(HEDGES)
    told, srt = timed((3, "dans ce bocage les haies sont replantées et les hérissons reviennent"))
    match = matcher.match_chunk(told, START, srt)
    assert len(match.occurrences) == 3
    assert all(o.counted and o.reason == REASONS[CLUSTERED] for o in match.occurrences)
    assert match.number_of_keywords == 1
    assert REASONS[CLUSTERED] in _explained(matcher, told, srt)
    # Two are not enough: an idiom or a homonym often brings a second ambiguous word.
    two, srt_two = timed((3, "une chouette soirée dans le bocage"))
    assert matcher.match_chunk(two, START, srt_two).number_of_keywords == 0
    # Three split by a story boundary are two stories of fewer words.
    split, srt_split = timed((3, "le bocage et ses haies en sport les hérissons de lyon"))
    assert matcher.match_chunk(split, START, srt_split).number_of_keywords == 0
    # The same keyword said three times is one keyword.
    same, srt_same = timed((3, "une haie une haie et encore une haie"))
    assert matcher.match_chunk(same, START, srt_same).number_of_keywords == 0


def test_clusters_count_different_keywords_per_window_story_and_crisis() -> None:
    chunk = np.zeros(6, np.int64)
    story = np.array([0, 0, 0, 0, 1, 1])
    crisis = np.zeros(6, np.int64)
    window = np.array([2, 2, 2, 3, 3, 3])
    keyword = np.array([7, 8, 9, 7, 8, 9])
    everyone = np.ones(6, bool)
    assert promote_clusters(chunk, story, crisis, window, keyword, everyone, 3).tolist() == [
        True, True, True, False, False, False
    ]  # fmt: skip
    # Candidates only: a non-candidate neither joins a cluster nor is promoted by one.
    some = np.array([True, True, False, False, False, False])
    assert not promote_clusters(chunk, story, crisis, window, keyword, some, 3).any()


def test_two_high_risk_keywords_count_together_when_one_is_a_phrase() -> None:
    rare = dictionary(
        ("haie", BIODIVERSITY, True),
        ("de plus en plus rares", BIODIVERSITY, True),
        ("chouette", BIODIVERSITY, True),
        ("bocage", BIODIVERSITY, True),
    )
    matcher = Matcher(rare)
    told, srt = timed((3, "les chouettes se font de plus en plus rares dans nos campagnes"))
    match = matcher.match_chunk(told, START, srt)
    assert match.number_of_keywords == 1
    assert all(o.counted and o.reason == REASONS[CLUSTERED] for o in match.occurrences)
    # Two bare nouns stay two ambiguous words.
    two, srt_two = timed((3, "une chouette soirée dans le bocage"))
    assert matcher.match_chunk(two, START, srt_two).number_of_keywords == 0
    # A phrase alone is still one high-risk keyword.
    alone, srt_alone = timed((3, "les places sont de plus en plus rares"))
    assert matcher.match_chunk(alone, START, srt_alone).number_of_keywords == 0


def test_a_figure_is_not_a_specific_phrase() -> None:
    assert is_specific("de plus en plus rares") and is_specific("plus de quarante degrés")
    assert not is_specific("eau")
    assert not is_specific("trente pour cent") and not is_specific("soixante-huit pour cent")
    assert not is_specific("deux mille trente")


def test_a_phrase_and_one_of_its_own_words_are_not_a_cluster() -> None:
    water = dictionary(("eau", "ressources", True), ("eau potable", "ressources", True))
    matcher = Matcher(water)
    told, srt = timed((3, "l' eau potable est coupée les habitants achètent de l' eau"))
    assert matcher.match_chunk(told, START, srt).number_of_keywords == 0
    chunk = np.zeros(2, np.int64)
    zeros = np.zeros(2, np.int64)
    keyword = np.array([0, 1])
    words = [frozenset({"eau"}), frozenset({"eau", "potable"})]
    everyone, specific = np.ones(2, bool), np.array([False, True])
    assert promote_clusters(chunk, zeros, zeros, zeros, keyword, everyone, 3, specific, 2).all()
    assert not promote_clusters(
        chunk, zeros, zeros, zeros, keyword, everyone, 3, specific, 2, words
    ).any()


def test_clusters_with_a_specific_keyword_need_fewer_keywords() -> None:
    chunk = np.zeros(5, np.int64)
    story = np.zeros(5, np.int64)
    crisis = np.zeros(5, np.int64)
    window = np.array([1, 1, 2, 2, 3])
    keyword = np.array([7, 8, 7, 8, 9])
    specific = np.array([True, False, False, False, True])
    everyone = np.ones(5, bool)
    clustered = promote_clusters(chunk, story, crisis, window, keyword, everyone, 3, specific, 2)
    assert clustered.tolist() == [True, True, False, False, False]
    # Without the specific rule, the same occurrences need three keywords.
    assert not promote_clusters(chunk, story, crisis, window, keyword, everyone, 3).any()


def test_a_filler_inside_a_phrase_does_not_break_it() -> None:
    matcher = Matcher(dictionary(("nappes phréatiques", "ressources", False)))
    told, srt = timed((3, "les nappes euh phréatiques sont au plus bas"))
    [occ] = matcher.match_chunk(told, START, srt).occurrences
    assert occ.counted and occ.keyword == "nappes phréatiques"
    # ome-2024 matches the words as the reference did, for parity.
    parity = Matcher(dictionary(("nappes phréatiques", "ressources", False)), profile="ome-2024")
    assert not parity.match_chunk(told, START, srt).occurrences


def test_a_sports_record_does_not_frame_a_heatwave() -> None:
    # The shipped stop phrases hold the sports records; the shipped cues hold "record".
    shipped = default_dictionary().stop_phrases
    assert "record du monde" in shipped
    heat = KeywordDictionary(
        (
            KeywordEntry("chaleur", CONSEQUENCES, high_risk=True),
            KeywordEntry("canicule", CONSEQUENCES),
        ),
        shipped,
    )
    matcher = Matcher(heat)
    race, srt_race = timed(
        (3, "le marathon couru sous une chaleur écrasante il bat le record du monde")
    )
    [occ] = matcher.match_chunk(race, START, srt_race).occurrences
    assert not occ.counted and occ.reason == REASONS[UNFRAMED]
    heatwave, srt_heat = timed((3, "une canicule qui bat un record de chaleur"))
    assert matcher.match_chunk(heatwave, START, srt_heat).number_of_keywords == 1


def test_energy_on_sale_does_not_count_even_as_a_direct_keyword() -> None:
    green = dictionary(("électricité verte", "attenuation_climatique_solutions", False))
    matcher = Matcher(green)
    advert, srt_advert = timed((3, "avec notre offre électricité verte profitez d' un prix bloqué"))
    [occ] = matcher.match_chunk(advert, START, srt_advert).occurrences
    assert not occ.counted and occ.reason == REASONS[SOLD]
    assert REASONS[SOLD] in _explained(matcher, advert, srt_advert)
    news, srt_news = timed((3, "la part d' électricité verte a doublé en cinq ans"))
    [occ] = matcher.match_chunk(news, START, srt_news).occurrences
    assert occ.counted and occ.reason == REASONS[DIRECT]


def test_a_climate_solution_does_not_frame_a_weather_event() -> None:
    heat = dictionary(
        ("canicule", CONSEQUENCES, False),
        ("panneaux solaires", "attenuation_climatique_solutions", False),
        ("changement climatique", CLIMATE, False),
    )
    matcher = Matcher(heat)
    solar, srt_solar = timed((3, "pendant la canicule les panneaux solaires tournent à plein"))
    match = matcher.match_chunk(solar, START, srt_solar)
    [event] = [o for o in match.occurrences if o.keyword == "canicule"]
    assert not event.counted and event.reason == REASONS[UNFRAMED]
    linked, srt_linked = timed((3, "une canicule aggravée par le changement climatique"))
    match = matcher.match_chunk(linked, START, srt_linked)
    assert all(o.counted for o in match.occurrences)


def test_idioms_are_stop_phrases_in_the_shipped_data() -> None:
    from observatoire.core.dictionary import default_dictionary

    matcher = Matcher(default_dictionary())
    for text in (
        "le sénat donne son feu vert",
        "le climat social se tend",
        "une marée humaine",
        "les élus verts parlent d' une tempête dans un verre d' eau",
    ):
        assert matcher.match_chunk(text, START).number_of_keywords == 0, text
    # Party labels (LABELLING rule 5) are masked, so that a direct keyword of the story before
    # cannot promote their "vert".
    elected = matcher.match_chunk("les élus verts et la maire écologiste votent contre", START)
    assert not elected.occurrences
    # An athlete's energy and a diplomatic warming are idioms too, beside a climate story.
    for text in (
        "la pollution de l' air augmente le public a salué l' énergie de la championne",
        "le changement climatique inquiète avec le réchauffement des relations entre les pays",
    ):
        said = matcher.match_chunk(text, START).occurrences
        assert {o.keyword for o in said} <= {"pollution de l' air", "changement climatique"}, text


def test_framing_file_needs_sections() -> None:
    events, cues = parse_framing("[events]\ncanicule\n[cues]\nde plus en plus\n")
    assert events == ["canicule"] and cues == ["de plus en plus"]
    with pytest.raises(ValueError, match="before any"):
        parse_framing("canicule\n")
    assert default_story_rules().version == default_story_rules().version
    energy, cost_cues = parse_cost("[energy]\ngazole\n[cues]\neuros\n")
    assert energy == ["gazole"] and cost_cues == ["euros"]
    with pytest.raises(ValueError, match="unknown section"):
        parse_cost("[events]\ncanicule\n")
    shipped = default_story_rules()
    assert "gazole" in shipped.energy_words and "euros" in shipped.cost_cues


def test_a_plural_keyword_matches_its_singular_in_both_profiles() -> None:
    plural = dictionary(("énergies renouvelables", "attenuation_climatique_solutions", False))
    for profile in ("default", "ome-2024"):
        match = Matcher(plural, profile=profile).match_chunk("une énergie renouvelable", START)
        assert match.number_of_keywords == 1, profile


# ome-2024: the reference's behaviours, reproduced for parity.


def test_ome_2024_puts_words_timed_before_the_start_in_window_minus_one() -> None:
    text, srt = timed((-1.5, "le changement climatique"), (10, "encore le changement climatique"))
    parity = Matcher(DICT, profile="ome-2024").match_chunk(text, START, srt)
    [occ] = parity.occurrences  # once per chunk
    assert occ.window == -1 and occ.counted
    assert parity.number_of_keywords == 1
    assert [w.index for w in parity.windows() if w.counted] == [-1]
    default = Matcher(DICT).match_chunk(text, START, srt)
    assert {o.window for o in default.occurrences} == {0}


def test_ome_2024_times_a_keyword_at_the_first_word_equal_to_its_first_word() -> None:
    text, srt = timed((2, "un changement de programme"), (65, "le changement climatique"))
    [occ] = Matcher(DICT, profile="ome-2024").match_chunk(text, START, srt).occurrences
    assert occ.window == 0 and occ.second == pytest.approx(2.3)
    [occ] = Matcher(DICT).match_chunk(text, START, srt).occurrences
    assert occ.window == 3


def test_ome_2024_makes_a_final_s_optional_on_every_word() -> None:
    ocean = dictionary(("acidification des océans", "biodiversite_consequences", False))
    text = "l' acidification des océan progresse"
    assert Matcher(ocean, profile="ome-2024").match_chunk(text, START).number_of_keywords == 1
    network = dictionary(("réseau", "ressources", False))
    assert (
        Matcher(network, profile="ome-2024").match_chunk("réseaux", START).number_of_keywords == 0
    )


def test_ome_2024_promotes_in_one_pass_in_list_order() -> None:
    # A direct occurrence in window 0, high-risk ones in windows 1 and 2 (same crisis).
    chunk, crisis = np.zeros(3, np.int64), np.zeros(3, np.int64)
    high_risk = np.array([False, True, True])
    # Listed 1 then 2: window 1 is promoted by 0, then window 2 by the promoted window 1.
    counted, reason = promote_in_list_order(chunk, np.array([0, 1, 2]), crisis, high_risk)
    assert counted.tolist() == [True, True, True]
    assert reason.tolist() == [DIRECT, LIST_ORDER, LIST_ORDER]
    # Listed 2 then 1: window 2 comes first, when nothing next to it counts yet.
    counted, reason = promote_in_list_order(chunk, np.array([0, 2, 1]), crisis, high_risk)
    assert counted.tolist() == [True, False, True]
    assert reason[1] == NO_ANCHOR
    # The default profile promotes from direct occurrences only, whatever the order.
    story, eligible = np.zeros(3, np.int64), np.ones(3, bool)
    for window in ([0, 1, 2], [0, 2, 1]):
        window = np.array(window)
        counted, _ = promote_in_stories(chunk, window, crisis, high_risk, story, eligible)
        assert counted.tolist() == [True, *(w == 1 for w in window[1:])]


def test_ome_2024_ignores_story_boundaries_and_weather_framing() -> None:
    text, srt = timed(
        (14, "le changement climatique inquiète"), (19, "en sport"), (22, "l' énergie du pays")
    )
    parity = Matcher(DICT, profile="ome-2024").match_chunk(text, START, srt)
    assert all(o.counted for o in parity.occurrences)
    alert, srt_alert = timed((3, "vigilance canicule demain"))
    parity = Matcher(DICT, profile="ome-2024").match_chunk(alert, START, srt_alert)
    assert parity.number_of_keywords == 1


def test_an_adjacent_direct_occurrence_promotes_only_within_reach() -> None:
    matcher = Matcher(DICT)
    close, srt_close = timed((5, "le changement climatique"), (24, "l' énergie"))
    far, srt_far = timed((2, "le changement climatique"), (38, "l' énergie"))
    assert all(o.counted for o in matcher.match_chunk(close, START, srt_close).occurrences)
    [energy] = [o for o in matcher.match_chunk(far, START, srt_far).occurrences if o.high_risk]
    assert not energy.counted and energy.reason == REASONS[OUT_OF_REACH]


def test_a_direct_occurrence_said_after_promotes_only_from_close_by() -> None:
    matcher = Matcher(DICT)
    # The high-risk word ends one window, the direct one opens the next: 15 s later is too far
    # ahead, though 15 s after it would promote it.
    ahead, srt_ahead = timed((5, "l' énergie"), (20, "le changement climatique"))
    [energy] = [o for o in matcher.match_chunk(ahead, START, srt_ahead).occurrences if o.high_risk]
    assert not energy.counted and energy.reason == REASONS[OUT_OF_REACH]
    close, srt_close = timed((17, "l' énergie"), (21, "le changement climatique"))
    assert all(o.counted for o in matcher.match_chunk(close, START, srt_close).occurrences)
    after, srt_after = timed((5, "le changement climatique"), (20, "l' énergie"))
    assert all(o.counted for o in matcher.match_chunk(after, START, srt_after).occurrences)


def test_a_high_risk_word_opening_a_story_is_promoted_from_further_ahead() -> None:
    matcher = Matcher(DICT)
    # Said right after a transition, it opens the story that the direct keyword 15 s later
    # belongs to: promoted, where without the transition it would be too far ahead.
    opening, srt_opening = timed(
        (4, "autre actualité"), (5, "l' énergie"), (20, "le changement climatique")
    )
    energy = next(o for o in matcher.match_chunk(opening, START, srt_opening).occurrences)
    assert energy.keyword == "énergie" and energy.story == 1
    assert energy.counted and energy.reason == REASONS[ADJACENT]
    # Long after the transition, the word may be the tail of an untold story before.
    late, srt_late = timed(
        (0, "autre actualité"),
        (1, "la mairie a voté hier soir le budget de la ville pour l' an prochain"),
        (5, "l' énergie"),
        (20, "le changement climatique"),
    )
    [energy] = [o for o in matcher.match_chunk(late, START, srt_late).occurrences if o.high_risk]
    assert not energy.counted and energy.reason == REASONS[OUT_OF_REACH]
    # Still never across a boundary, nor further than one window ahead.
    across, srt_across = timed(
        (4, "autre actualité"), (5, "l' énergie"), (12, "en sport"), (20, "changement climatique")
    )
    said = matcher.match_chunk(across, START, srt_across).occurrences
    [energy] = [o for o in said if o.high_risk]
    assert not energy.counted and energy.reason == REASONS[STORY_BOUNDARY]
    far, srt_far = timed((4, "autre actualité"), (5, "l' énergie"), (39, "changement climatique"))
    [energy] = [o for o in matcher.match_chunk(far, START, srt_far).occurrences if o.high_risk]
    assert not energy.counted


def test_a_place_the_events_no_longer_spare_frames_them() -> None:
    matcher = Matcher(default_dictionary())
    trend, srt_trend = timed((3, "les forêts du nord ne sont plus épargnées par les incendies"))
    assert matcher.match_chunk(trend, START, srt_trend).number_of_keywords == 1
    spared, srt_spared = timed((3, "la ferme a été épargnée par l' incendie cette nuit"))
    assert matcher.match_chunk(spared, START, srt_spared).number_of_keywords == 0


@pytest.mark.parametrize(
    ("framed", "unframed"),
    [
        (
            "selon les météorologues ces vagues de chaleur sont trente fois plus probables",
            "une vague de chaleur est attendue sur le sud ouest à partir de jeudi",
        ),
        (
            "trois vagues de chaleur cet été c' est devenu la norme",
            "la vague de chaleur a fait fermer trois écoles cet été",
        ),
        (
            "ici la sécheresse revient été après été",
            "la sécheresse a fait baisser la récolte de maïs",
        ),
        (
            "des crues censées arriver une fois par siècle",
            "la crue a envahi les caves du centre ville",
        ),
        (
            "les cyclones sont plus forts qu' avant",
            "le cyclone a arraché les toits du village",
        ),
    ],
)
def test_likelihood_norms_and_return_periods_frame_weather_events(
    framed: str, unframed: str
) -> None:
    """Attribution ("fois plus probables"), a new normal and a return period are trends
    (LABELLING rule 1); the same event told as news is not."""
    matcher = Matcher(default_dictionary())
    text, srt = timed((3, framed))
    assert matcher.match_chunk(text, START, srt).number_of_keywords >= 1
    text, srt = timed((3, unframed))
    assert matcher.match_chunk(text, START, srt).number_of_keywords == 0


def test_a_coastal_flooding_alert_is_a_weather_event() -> None:
    """Météo-France's vigilance "vagues-submersion", hyphen or not, is an alert (rule 1): a
    climate keyword of the window before, which would promote a high-risk word, does not
    count it; a trend in its own window does."""
    matcher = Matcher(default_dictionary())
    for alert in ("vagues-submersion", "vagues submersion"):
        text, srt = timed(
            (3, "le changement climatique inquiète les élus du littoral"),
            (21, f"fin de la vigilance jaune {alert} sur la côte"),
        )
        [event] = [o for o in matcher.match_chunk(text, START, srt).occurrences if o.window == 1]
        assert not event.counted and event.reason == REASONS[UNFRAMED], event
    text, srt = timed((3, "les vagues submersion se multiplient sur ce littoral"))
    assert matcher.match_chunk(text, START, srt).number_of_keywords >= 1
