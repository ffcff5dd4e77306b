"""Labelled caption chunks built from hand-labelled passages (see `passages_*.txt`).

The passages are stories as said on air, one clause per line, each clause labelled by
`LABELLING.md`. A chunk is two minutes of a bulletin: passages one after another (a story cut
at a random clause where the chunk begins), with word timings generated at a speaking pace, so
that story boundaries fall inside chunks and inside windows. A window's label follows from its
clauses: environmental when an environmental clause has at least `MIN_CLAUSE_WORDS` words in it
(or all of its words, if shorter); a trap when it is not environmental but holds a trap clause;
subtle when every environmental clause in it is marked subtle. Three halves: `tuning` (studied
while tuning), `heldout` and `fresh` (read only as totals; `fresh` was written later, by another
hand, with other topics, traps and story transitions).

    .venv/bin/python -m tests.observatoire.labelled.corpus [FOLDER]   # counts; JSONL into FOLDER
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
HALVES = ("tuning", "heldout", "fresh")
CHUNKS_PER_HALF = 60
WINDOW_SECONDS = 20
CHUNK_SECONDS = 120
MIN_CLAUSE_WORDS = 3
# 2026-03-02 06:00 UTC; chunks of one half follow each other every two minutes on one channel.
FIRST_START = 1772431200
CHANNELS = {
    "tuning": {"name": "labelled-tuning", "title": "Labelled (tuning)", "radio": False},
    "heldout": {"name": "labelled-heldout", "title": "Labelled (held out)", "radio": True},
    "fresh": {"name": "labelled-fresh", "title": "Labelled (fresh)", "radio": False},
}


@dataclass(frozen=True)
class Clause:
    label: str  # "e", "s", "t" or "n"
    crises: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Passage:
    ident: str
    kind: str
    clauses: tuple[Clause, ...]

    @property
    def environmental(self) -> bool:
        return any(c.label in "es" for c in self.clauses)


def parse_passages(path: Path) -> list[Passage]:
    """Passages of a `passages_*.txt` file, with a clear error on a malformed line."""
    passages: list[Passage] = []
    ident = kind = ""
    clauses: list[Clause] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== "):
            if clauses:
                passages.append(Passage(ident, kind, tuple(clauses)))
            ident, kind = line[3:].split()
            clauses = []
            continue
        label, _, text = line.partition("\t")
        mark, _, crises = label.partition(":")
        if mark not in ("e", "s", "t", "n") or not text or (mark in "es") != bool(crises):
            raise ValueError(f"{path}:{number}: malformed clause line {line!r}")
        clauses.append(
            Clause(mark, tuple(crises.split(",")) if crises else (), tuple(text.split()))
        )
    if clauses:
        passages.append(Passage(ident, kind, tuple(clauses)))
    return passages


def _sequence(passages: list[Passage], rng: random.Random) -> list[Passage]:
    """Enough passages for two minutes, environmental stories among others."""
    env = [p for p in passages if p.environmental]
    other = [p for p in passages if not p.environmental]
    chosen = [rng.choice(passages)]
    while sum(len(c.words) for p in chosen for c in p.clauses) < 420:
        # After an environmental story, another one only now and then; after any other
        # story, an environmental one about half the time.
        pool = other
        if rng.random() < (0.15 if chosen[-1].environmental else 0.45):
            pool = env
        pick = rng.choice(pool)
        if pick is not chosen[-1]:
            chosen.append(pick)
    return chosen


def build_chunk(passages: list[Passage], rng: random.Random, start: int) -> dict:
    """One labelled two-minute chunk with its word list and per-window labels."""
    chosen = _sequence(passages, rng)
    first_clause = rng.randrange(len(chosen[0].clauses))
    t = start * 1000 - rng.randint(0, 1200)  # the word list may begin a second early
    end = (start + CHUNK_SECONDS) * 1000
    srt: list[dict] = []
    owners: list[tuple[int, int]] = []  # (passage position, clause position) of each word
    clauses: list[Clause] = []
    for position, passage in enumerate(chosen):
        for clause in passage.clauses[first_clause if position == 0 else 0 :]:
            words = list(clause.words)
            if rng.random() < 0.1:
                words.insert(rng.randrange(len(words) + 1), "euh")
            for word in words:
                if t >= end:
                    break
                duration = int((120 + 45 * len(word)) * rng.uniform(0.8, 1.2))
                srt.append({"text": word, "cts_in_ms": t, "duration_ms": duration})
                owners.append((len(clauses), 0))
                t += duration + rng.randint(30, 120)
            clauses.append(clause)
            t += rng.randint(250, 700)
        t += rng.randint(300, 900)
        if t >= end:
            break
    windows = CHUNK_SECONDS // WINDOW_SECONDS
    per_window: list[dict[int, int]] = [{} for _ in range(windows)]
    size: dict[int, int] = {}
    for timed, (owner, _) in zip(srt, owners, strict=True):
        window = min(max((timed["cts_in_ms"] - start * 1000) // (WINDOW_SECONDS * 1000), 0), 5)
        per_window[window][owner] = per_window[window].get(owner, 0) + 1
        size[owner] = size.get(owner, 0) + 1
    labels = []
    for index, held in enumerate(per_window):
        present = [clauses[c] for c, n in held.items() if n >= min(MIN_CLAUSE_WORDS, size[c])]
        env = [c for c in present if c.label in "es"]
        labels.append(
            {
                "index": index,
                "environmental": bool(env),
                "trap": not env and any(c.label == "t" for c in present),
                "subtle": bool(env) and all(c.label == "s" for c in env),
                "crises": sorted({crisis for c in env for crisis in c.crises}),
            }
        )
    return {
        "start": start,
        "plaintext": " ".join(word["text"] for word in srt),
        "srt": srt,
        "passages": [p.ident for p in chosen],
        "windows": labels,
    }


def build_half(half: str) -> list[dict]:
    passages = parse_passages(HERE / f"passages_{half}.txt")
    rng = random.Random(f"labelled-{half}")
    chunks = []
    for number in range(CHUNKS_PER_HALF):
        chunk = build_chunk(passages, rng, FIRST_START + number * CHUNK_SECONDS)
        chunks.append({"id": f"{half}-{number:03d}", "half": half, "channel": CHANNELS[half]})
        chunks[-1].update(chunk)
    return chunks


@cache
def _built(half: str) -> str:
    return json.dumps(build_half(half), ensure_ascii=False)


def load_chunks(half: str) -> list[dict]:
    """The half's chunks, built from its passages (deterministic: the generator is seeded by the
    half's name), so only the hand-written passages are kept in the repository."""
    return json.loads(_built(half))


def main(argv: list[str] | None = None) -> None:
    """Print each half's counts; with a folder, also write `chunks_<half>.jsonl` there (caption
    records with their window labels, e.g. for `observatoire match`)."""
    args = argv if argv is not None else sys.argv[1:]
    folder = Path(args[0]) if args else None
    for half in HALVES:
        chunks = load_chunks(half)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / f"chunks_{half}.jsonl").open("w", encoding="utf-8") as handle:
                for chunk in chunks:
                    handle.write(json.dumps(chunk, ensure_ascii=False) + "\n")
        windows = [w for c in chunks for w in c["windows"]]
        print(
            f"{half}: {len(chunks)} chunks, {len(windows)} windows, "
            f"{sum(w['environmental'] for w in windows)} environmental, "
            f"{sum(w['trap'] for w in windows)} traps, {sum(w['subtle'] for w in windows)} subtle"
        )


if __name__ == "__main__":
    main()
