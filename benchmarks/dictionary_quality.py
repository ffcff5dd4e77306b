"""Quality of the French keyword dictionary: recall on COP15 captions, false positives on negatives.

- Recall: share of the COP15 chunks (every one of them matched a COP15 / biodiversity search at
  the provider) with at least one counted window, and with at least one biodiversity window.
- False-positive rate: share of our hand-written negative texts (sports, politics, economy,
  culture, faits divers, health, international news, weather, ads, in caption style) with at
  least one counted window. These texts use ambiguous words on purpose (énergie, transport, vert,
  climat social...), so the figure measures precision honestly.
- Held-out positives: share of our hand-written caption-style news items (all three crises, all
  eleven themes) with at least one counted window, and share whose annotated crises are all
  found (crisis agreement). Positives and negatives carry a `split` field: the dictionary was
  reviewed on the `tuning` half, the `heldout` half is printed separately as the honest figure.
- Secondary: agreement with the regex climate flag of the TV news pseudo-chunks (edited web text,
  not captions; the flag is a narrow climate regex, so this is only a sanity figure).

    .venv/bin/python benchmarks/dictionary_quality.py [--dictionary FILE.csv] [--top 30]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from observatoire.core.dictionary import KeywordDictionary, default_dictionary, load_dictionary_csv
from observatoire.core.themes import THEMES
from observatoire.matching.matcher import Matcher, crisis_column, theme_column

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
COP15 = CORPORA / "cop15_mediatree" / "chunks.jsonl"
TV_NEWS = CORPORA / "tv_news_2022_11" / "pseudo_2min_chunks.jsonl"
NEGATIVES = ROOT / "tests" / "observatoire" / "negatives_fr.jsonl"
POSITIVES = ROOT / "tests" / "observatoire" / "positives_fr.jsonl"
SPLITS = ("tuning", "heldout")
CRISES = ("climat", "biodiversite", "ressources")


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Tally:
    """Per-corpus counts of matched chunks, theme hits and counted keywords."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.chunks = 0
        self.matched = 0
        self.by_crisis: Counter[str] = Counter()
        self.by_theme: Counter[str] = Counter()
        self.keywords: Counter[str] = Counter()
        self.chunk_keywords: Counter[str] = Counter()  # chunks in which a keyword counted
        self.matched_ids: list[str] = []
        self.missed_ids: list[str] = []

    def add(self, matcher: Matcher, ident: str, text: str, start: int) -> bool:
        result = matcher.match_chunk(text, start)
        self.chunks += 1
        if result.number_of_keywords >= 1:
            self.matched += 1
            self.matched_ids.append(ident)
        else:
            self.missed_ids.append(ident)
        for crisis in CRISES:
            if result.counts[crisis_column(crisis)] >= 1:
                self.by_crisis[crisis] += 1
        for theme in THEMES:
            if result.counts[theme_column(theme)] >= 1:
                self.by_theme[theme] += 1
        counted = [occ.keyword for occ in result.occurrences if occ.counted]
        self.keywords.update(counted)
        self.chunk_keywords.update(set(counted))
        return result.number_of_keywords >= 1

    def share(self, count: int | None = None) -> float:
        return (self.matched if count is None else count) / self.chunks if self.chunks else 0.0


def run_corpus(matcher: Matcher, name: str, records: Iterable[tuple[str, str, int]]) -> Tally:
    tally = Tally(name)
    for ident, text, start in records:
        tally.add(matcher, ident, text, start)
    return tally


def print_tally(tally: Tally, top: int) -> None:
    print(f"\n== {tally.name}: {tally.chunks} chunks")
    print(f"  with >=1 counted window: {tally.matched} ({tally.share():.1%})")
    for crisis, count in sorted(tally.by_crisis.items()):
        print(f"  with >=1 {crisis} window: {count} ({tally.share(count):.1%})")
    print("  chunks with >=1 window per theme:")
    for theme in THEMES:
        print(f"    {theme:38s} {tally.by_theme[theme]:6d}")
    print(f"  top {top} counted keywords (chunks / occurrences):")
    for keyword, chunks in tally.chunk_keywords.most_common(top):
        print(f"    {keyword:45s} {chunks:6d} {tally.keywords[keyword]:7d}")


def positives_report(matcher: Matcher, positives: list[dict], split: str, show: int) -> tuple:
    """Recall and crisis agreement of one half of the annotated positives."""
    half = [r for r in positives if r["split"] == split]
    matched = agreeing = 0
    per_crisis: Counter[str] = Counter()
    per_crisis_found: Counter[str] = Counter()
    disagreements = []
    for record in half:
        counts = matcher.match_chunk(record["text"], 1_700_000_000).counts
        found = {c for c in CRISES if counts[crisis_column(c)] >= 1}
        matched += counts["number_of_keywords"] >= 1
        agreeing += set(record["crises"]) <= found
        for crisis in record["crises"]:
            per_crisis[crisis] += 1
            per_crisis_found[crisis] += crisis in found
        if not set(record["crises"]) <= found:
            disagreements.append((record["id"], record["crises"], sorted(found)))
    print(f"\n== annotated positives, {split} half: {len(half)} texts")
    print(f"  with >=1 counted window: {matched} ({matched / len(half):.1%})")
    print(f"  annotated crises all found: {agreeing} ({agreeing / len(half):.1%})")
    for crisis in CRISES:
        total = per_crisis[crisis]
        if total:
            print(f"  {crisis:13s} found in {per_crisis_found[crisis]}/{total} annotated texts")
    for ident, annotated, found_instead in disagreements[:show]:
        print(f"    {ident:24s} annotated {annotated} found {found_instead}")
    return matched / len(half), agreeing / len(half)


def dictionary_summary(dictionary: KeywordDictionary) -> None:
    per_theme = Counter(e.theme for e in dictionary.entries)
    risky = Counter(e.theme for e in dictionary.entries if e.high_risk)
    print(
        f"dictionary version {dictionary.version}: {len(dictionary)} entries, "
        f"{len({e.keyword for e in dictionary.entries})} distinct keywords, "
        f"{len(dictionary.stop_phrases)} stop phrases"
    )
    for theme in THEMES:
        print(f"  {theme:38s} {per_theme[theme]:5d} entries, {risky[theme]:4d} high risk")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dictionary", type=Path, help="CSV dictionary (default: shipped one)")
    parser.add_argument("--top", type=int, default=30, help="keywords listed per corpus")
    parser.add_argument("--show-misses", type=int, default=0, help="COP15 misses to print")
    parser.add_argument(
        "--show-disagreements", type=int, default=0, help="positives per half to print"
    )
    args = parser.parse_args()

    shipped = default_dictionary()
    dictionary = (
        load_dictionary_csv(args.dictionary, stop_phrases=shipped.stop_phrases)
        if args.dictionary
        else shipped
    )
    dictionary_summary(dictionary)
    matcher = Matcher(dictionary, window_seconds=20, profile="default")

    cop15 = read_jsonl(COP15)
    recall = run_corpus(
        matcher,
        "COP15 captions (positives)",
        ((str(i), r["plaintext"], int(r["start"])) for i, r in enumerate(cop15)),
    )
    print_tally(recall, args.top)
    for ident in recall.missed_ids[: args.show_misses]:
        record = cop15[int(ident)]
        print(f"\n  miss {ident} [{record['channel_name']}]: {record['plaintext'][:600]}")
        print(f"    highlight: {record['highlight'][:300]}")

    negatives = read_jsonl(NEGATIVES)
    false_positives = run_corpus(
        matcher,
        "hand-written negatives",
        ((r["id"], r["text"], 1_700_000_000) for r in negatives),
    )
    print_tally(false_positives, args.top)
    by_id = {r["id"]: r for r in negatives}
    negative_rates = {}
    for split in SPLITS:
        half = {r["id"] for r in negatives if r.get("split") == split}
        counted = sum(ident in half for ident in false_positives.matched_ids)
        negative_rates[split] = (counted, len(half))
        print(f"  {split} half: {counted}/{len(half)} with a counted window")
    print("  false positives (id, topic, counted keywords):")
    for ident in false_positives.matched_ids:
        found = matcher.match_chunk(by_id[ident]["text"], 1_700_000_000)
        words = sorted({o.keyword for o in found.occurrences if o.counted})
        print(f"    {ident:12s} {by_id[ident]['topic']:14s} {', '.join(words)}")

    if TV_NEWS.exists():
        tv = read_jsonl(TV_NEWS)
        flagged = {i for i, r in enumerate(tv) if r.get("any_segment_flagged_global_warming")}
        tv_tally = run_corpus(
            matcher,
            "TV news pseudo-chunks (edited text, secondary)",
            ((str(i), r["plaintext"], int(r["start"])) for i, r in enumerate(tv)),
        )
        tv_matched = {int(i) for i in tv_tally.matched_ids}
        climate = {
            i
            for i, r in enumerate(tv)
            if matcher.match_chunk(r["plaintext"], int(r["start"])).counts[crisis_column("climat")]
        }
        print(f"\n== {tv_tally.name}: {tv_tally.chunks} chunks, {len(flagged)} regex-flagged")
        print(f"  any crisis matched: {len(tv_matched)} ({tv_tally.share():.1%})")
        print(
            f"  climate matched: {len(climate)}; flagged ones climate-matched: "
            f"{len(flagged & climate)}/{len(flagged)}; climate-matched not flagged: "
            f"{len(climate - flagged)}"
        )

    positives = read_jsonl(POSITIVES)
    positive_rates = {
        split: positives_report(matcher, positives, split, args.show_disagreements)
        for split in SPLITS
    }

    print("\n== summary")
    print(f"  COP15 recall (>=1 window):          {recall.share():.1%}")
    biodiversity = recall.share(recall.by_crisis["biodiversite"])
    print(f"  COP15 share with biodiversity window: {biodiversity:.1%}")
    print(
        f"  negatives false-positive rate:      {false_positives.share():.1%} "
        f"({false_positives.matched}/{false_positives.chunks})"
    )
    for split in SPLITS:
        counted, total = negative_rates[split]
        recall_share, agreement = positive_rates[split]
        print(
            f"  {split:8s} negatives FP {counted / total:.1%} ({counted}/{total}); "
            f"positives recall {recall_share:.1%}, crisis agreement {agreement:.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
