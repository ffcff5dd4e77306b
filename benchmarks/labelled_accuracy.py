"""Window-level accuracy of the matcher on the project's hand-labelled caption chunks.

The chunks (built in memory by `tests/observatoire/labelled/corpus.py`) come from passages labelled
by LABELLING.md; the `tuning` half may be looked at while tuning the dictionary and its data; the
`heldout` half and the `fresh` half (written after the first tuning, with other topics, traps and
transitions) are the honest figures and are read only as totals. A window is predicted
environmental when the matcher counts at least one occurrence in it. Printed per half and profile:
precision, recall, F1, the share of trap windows counted (false-positive rate on traps) and recall
on subtle windows. `--show-errors N` prints up to N wrong windows of the tuning half (never of the
others), each with the words said in it and the evidence of its occurrences.

.venv/bin/python benchmarks/labelled_accuracy.py [--profile default] [--show-errors 0]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatoire.core.dictionary import default_dictionary
from observatoire.matching.matcher import ChunkMatch, Matcher
from tests.observatoire.labelled.corpus import HALVES, load_chunks


def score(matcher: Matcher, chunks: list[dict], show_errors: int = 0) -> dict[str, float]:
    """Window-level counts and rates of one matcher on labelled chunks."""
    tp = fp = fn = tn = traps = trap_fp = subtle = subtle_tp = 0
    shown = 0
    for chunk in chunks:
        result = matcher.match_chunk(chunk["plaintext"], chunk["start"], chunk["srt"])
        # A window -1 (ome-2024, words before the start) is the labels' window 0.
        predicted = [False] * len(chunk["windows"])
        for window in result.windows():
            predicted[max(window.index, 0)] |= window.counted
        for label, guess in zip(chunk["windows"], predicted, strict=True):
            truth = label["environmental"]
            tp += truth and guess
            fp += guess and not truth
            fn += truth and not guess
            tn += not truth and not guess
            if label["trap"]:
                traps += 1
                trap_fp += guess
            if label["subtle"]:
                subtle += 1
                subtle_tp += guess
            if truth != guess and shown < show_errors:
                shown += 1
                _print_error(chunk, label, guess, result)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "windows": tp + fp + fn + tn,
        "environmental": tp + fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "traps": traps,
        "trap_fp_rate": trap_fp / traps if traps else 0.0,
        "subtle": subtle,
        "subtle_recall": subtle_tp / subtle if subtle else 1.0,
    }


def _print_error(chunk: dict, label: dict, guess: bool, result: ChunkMatch) -> None:
    """One wrong window: its label, the words said in it, and every occurrence near it."""
    index = label["index"]
    low, high = (chunk["start"] + index * 20) * 1000, (chunk["start"] + index * 20 + 20) * 1000
    said = " ".join(w["text"] for w in chunk["srt"] if low <= w["cts_in_ms"] < high)
    kind = "trap" if label["trap"] else "subtle" if label["subtle"] else ""
    print(f"{'FP' if guess else 'FN'} {chunk['id']} w{index} {kind} {chunk['passages']}")
    print(f"    | {said}")
    for occ in result.occurrences:
        if abs(occ.window - index) <= 1:
            mark = "*" if occ.high_risk else ""
            print(f"    w{occ.window} s{occ.story} {occ.keyword}{mark} [{occ.crisis}] {occ.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="append", help="default and ome-2024 if not given")
    parser.add_argument(
        "--show-errors", type=int, default=0, help="wrong windows to print (tuning)"
    )
    args = parser.parse_args()
    dictionary = default_dictionary()
    print(
        f"{'half':8s} {'profile':9s} {'windows':>7s} {'env':>4s} {'prec':>6s} {'recall':>6s} "
        f"{'F1':>6s} {'traps':>5s} {'trapFP':>6s} {'subtle':>6s} {'subtR':>6s}"
    )
    for profile in args.profile or ["default", "ome-2024"]:
        matcher = Matcher(dictionary, profile=profile)
        for half in HALVES:
            shown = args.show_errors if half == "tuning" else 0
            s = score(matcher, load_chunks(half), shown)
            print(
                f"{half:8s} {profile:9s} {s['windows']:7d} {s['environmental']:4d} "
                f"{s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['traps']:5d} "
                f"{s['trap_fp_rate']:6.3f} {s['subtle']:6d} {s['subtle_recall']:6.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
