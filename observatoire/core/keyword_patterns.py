"""The space-delimited patterns a keyword puts in a matching automaton, compound heads included.

Matching scans `" " + normalised text + " "` for patterns written between spaces, so a pattern
matches whole tokens only. A compound head (`klimaat*`, see `observatoire.core.languages`) drops
the closing space: ` klimaat` finds `klimaat`, `klimaatverandering` and `klimaatakkoorden`, and
still never a token that merely contains it (`wereldklimaat`). `occurrences` is the plain reading
of those patterns over a token list, the reference any faster scan must agree with.
"""

from __future__ import annotations

from observatoire.core.languages import COMPOUND_MARK
from observatoire.core.text import keyword_variants, normalize


def keyword_patterns(
    keyword: str, profile: str = "default", language: str = "fr"
) -> tuple[str, ...]:
    """Automaton patterns of a keyword: ` form ` for whole tokens, ` head` for compound heads."""
    patterns: list[str] = []
    for variant in keyword_variants(keyword, profile, language):
        if variant.endswith(COMPOUND_MARK):
            patterns.append(" " + variant[: -len(COMPOUND_MARK)])
        else:
            patterns.append(f" {variant} ")
    return tuple(dict.fromkeys(patterns))


def occurrences(
    text: str, keyword: str, profile: str = "default", language: str = "fr"
) -> list[tuple[int, int]]:
    """(first token, last token) of every occurrence of a keyword in a caption text.

    Overlapping occurrences of different variants at the same first token count once, the
    longest kept, as the matcher keeps a keyword once per position.
    """
    tokens = normalize(text, language).split(" ")
    found: dict[int, int] = {}
    for pattern in keyword_patterns(keyword, profile, language):
        words = pattern.strip(" ").split(" ")
        is_head = not pattern.endswith(" ")
        size = len(words)
        for first in range(len(tokens) - size + 1):
            window = tokens[first : first + size]
            if window[:-1] != words[:-1]:
                continue
            last_ok = window[-1].startswith(words[-1]) if is_head else window[-1] == words[-1]
            if last_ok:
                found[first] = max(found.get(first, first), first + size - 1)
    return sorted(found.items())
