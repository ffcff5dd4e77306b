from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pyarrow.compute as pc

from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.intake.records import parse_items
from observatoire.matching.matcher import Matcher
from observatoire.quality.stop_phrase_discovery import (
    CANDIDATE_SCHEMA,
    DiscoveryParameters,
    candidates_markdown,
    discover_stop_phrases,
)
from tests.observatoire.analyst_fixtures import item

ENTRIES = (
    KeywordEntry("climat", "changement_climatique_constat"),
    KeywordEntry("biodiversité", "biodiversite_concepts_generaux"),
)
ADVERT = "avec l' offre énergie verte de votre fournisseur agissez pour le climat dès aujourd' hui"
NEWS_WORDS = (
    "le ministre a annoncé hier soir une réforme des retraites la grève continue dans les "
    "transports et les syndicats appellent à manifester jeudi prochain devant l' assemblée"
)
WORDS = NEWS_WORDS.split()


def _news(rng: random.Random, keyword: str) -> str:
    words = [rng.choice(WORDS) for _ in range(40)]
    words.insert(rng.randrange(5, 35), keyword)
    return " ".join(words)


def _week(advert_channels: tuple[str, ...] = ("france2",)) -> list[dict]:
    """Seven days: adverts on some channels 3 times a day, news mentioning climate everywhere."""
    rng = random.Random(7)
    items = []
    for offset in range(7):
        base = int(datetime(2024, 3, 4, 9, 0, tzinfo=UTC).timestamp()) + offset * 86400
        for channel in ("france2", "tf1"):
            for slot in range(6):
                start = base + slot * 120
                if channel in advert_channels and slot % 2 == 0:
                    # the advert sits between varying news words, as in a real ad break
                    text = f"{_news(rng, 'biodiversité')} {ADVERT} {_news(rng, 'météo')}"
                else:
                    text = _news(rng, "climat")
                items.append(item(channel, start, text))
    return items


def _matched(items, stop_phrases=()):
    parsed = parse_items(items, source="test")
    dictionary = KeywordDictionary(entries=ENTRIES, stop_phrases=tuple(stop_phrases))
    return parsed.table, Matcher(dictionary).match_table(parsed.table).keywords


def test_repeated_advert_is_proposed_and_news_is_not():
    captions, keywords = _matched(_week())
    candidates = discover_stop_phrases(keywords, captions)
    assert candidates.schema == CANDIDATE_SCHEMA
    phrases = candidates["phrase"].to_pylist()
    assert phrases, "the advert was not found"
    best = candidates.to_pylist()[0]
    # 8 words before the keyword (the search radius), and the advert's 3 last words after it
    assert (
        best["phrase"]
        == "énergie verte de votre fournisseur agissez pour le climat dès aujourd' hui"
    )
    assert best["tokens"] == 12
    assert best["chunks"] == 7 * 3 and best["days"] == 7
    assert best["channels"] == "france2" and best["keyword"] == "climat"
    # every proposal comes from the advert: news mentions of `climat` never repeat verbatim
    assert all(p in ADVERT for p in phrases)


def test_accepting_the_candidate_removes_the_advert_from_the_measure():
    items = _week()
    captions, keywords = _matched(items)
    phrase = discover_stop_phrases(keywords, captions)["phrase"][0].as_py()
    before = pc.sum(pc.equal(keywords["channel_name"], "france2")).as_py()
    _, rematched = _matched(items, stop_phrases=[phrase])
    after = pc.sum(pc.equal(rematched["channel_name"], "france2")).as_py()
    assert before - after == 7 * 3
    assert discover_stop_phrases(rematched, captions).num_rows == 0


def test_advert_on_two_channels_is_one_candidate():
    captions, keywords = _matched(_week(advert_channels=("france2", "tf1")))
    best = discover_stop_phrases(keywords, captions).to_pylist()[0]
    assert best["channels"] == "france2, tf1"
    assert best["channel_count"] == 2
    assert best["chunks"] == 2 * 7 * 3
    assert best["max_chunks_per_channel"] == 7 * 3


def test_thresholds_and_known_phrases_filter_candidates():
    captions, keywords = _matched(_week())
    strict = DiscoveryParameters(min_chunks=22)
    assert discover_stop_phrases(keywords, captions, params=strict).num_rows == 0
    first_days = pc.less(captions["day"], date(2024, 3, 5))
    one_day = captions.filter(first_days)
    one_day_keywords = keywords.filter(pc.less(keywords["day"], date(2024, 3, 5)))
    assert discover_stop_phrases(one_day_keywords, one_day).num_rows == 0  # needs two days
    found = discover_stop_phrases(keywords, captions)
    known = found["phrase"].to_pylist()
    assert discover_stop_phrases(keywords, captions, existing_stop_phrases=known).num_rows == 0


def test_markdown_lists_candidates_and_how_to_accept_them():
    captions, keywords = _matched(_week())
    text = candidates_markdown(discover_stop_phrases(keywords, captions))
    assert "| phrase | keyword | chunks | days | channels |" in text
    assert "stop_phrases_fr.txt" in text
    assert candidates_markdown(CANDIDATE_SCHEMA.empty_table()).startswith("No candidate")


def test_empty_inputs_give_no_candidate():
    captions, keywords = _matched(_week())
    assert discover_stop_phrases(keywords.slice(0, 0), captions).num_rows == 0
    assert discover_stop_phrases(keywords, captions.slice(0, 0)).num_rows == 0
    assert timedelta(days=7) > timedelta(0)
