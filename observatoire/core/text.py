"""Caption text normalisation and keyword inflections (METHODOLOGY §3.1–§3.2).

Chunk text and dictionary keywords go through the same `normalize`, so a keyword matches the
caption whatever the apostrophe style, the Unicode composition or the case. Everything here works
with C-level string operations (translate, replace, one regular expression, split/join) because it
runs on every chunk of every day.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache
from typing import Final

from observatoire.core.languages import COMPOUND_MARK, check_compound_head, rules_for

PROFILES: Final = ("default", "ome-2024")

# Typographic apostrophes and look-alikes written by people and some caption sources.
_APOSTROPHES: Final = ("\u2019", "\u2018", "\u02bc", "\u0060", "\u00b4", "\u2032", "\u02b9")
# Punctuation is not part of the caption style; if a source writes some, it separates words, as
# does any whitespace other than a single space. Hyphens and apostrophes are kept: they belong to
# compounds (`après-midi`) and elisions (`l'`).
_IRREGULAR_CHARACTERS: Final = (
    '.,;:!?"«»“”()[]{}/\\|…'
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_IRREGULAR: Final = re.compile("[" + re.escape(_IRREGULAR_CHARACTERS) + "]")
# Text made of Latin-1 characters only (most French captions) is in NFC already, and its
# lowercase, apostrophes and separators are a byte-for-byte mapping: one `bytes.translate`.
_LATIN1_CANONICAL: Final = bytes(
    ord(" ") if char in _IRREGULAR_CHARACTERS
    else ord("'") if char in _APOSTROPHES
    else ord(char.lower())
    for char in map(chr, range(256))
)  # fmt: skip
# `l'eau` -> `l' eau`: the provider writes elisions split, so the split form is canonical.
_ELISION: Final = re.compile(r"'(?=[^\s'])")
UNKNOWN_WORD: Final = "<unk>"
_SPACED_UNKNOWN_WORD: Final = f" {UNKNOWN_WORD} "

# Function words never take an inflection: `de` must not become `des`, `la` not `las`.
FUNCTION_WORDS: Final = frozenset(
    {
        "de", "la", "le", "les", "du", "des", "à", "au", "aux", "en", "et", "l'", "d'", "un",
        "une", "sur", "par", "pour", "dans", "avec", "ou", "sans", "sous", "entre", "qu'", "s'",
        "c'", "n'", "j'", "m'", "t'", "a", "y",
    }
)  # fmt: skip
# A keyword of several words yields the product of its words' forms; beyond this many variants
# only the forms that inflect one word at a time, or all words together, are kept.
MAX_VARIANTS_PER_KEYWORD: Final = 64


def normalize(text: str, language: str = "fr") -> str:
    """Canonical caption form: NFC, lowercase, `'` apostrophes, split elisions, no `<unk>`.

    The result is a single-space-separated sequence of tokens, without leading or trailing
    space, so that `" " + result + " "` delimits every token by spaces. Punctuation and any
    whitespace become spaces first; runs of spaces are collapsed only when the text has some.
    Elisions are split only in a language that elides (French); elsewhere an apostrophe stays
    inside its token (Dutch `auto's`).
    """
    splits_elisions = language == "fr" or rules_for(language).splits_elisions
    if not text:
        return ""
    try:
        latin1 = text.encode("latin-1")
    except UnicodeEncodeError:
        text = _canonical_characters(text)
    else:
        text = latin1.translate(_LATIN1_CANONICAL).decode("latin-1")
    if UNKNOWN_WORD in text:
        # Runs of `<unk>` are common; removing them with their spaces leaves single spaces.
        text = f" {text} "
        while _SPACED_UNKNOWN_WORD in text:
            text = text.replace(_SPACED_UNKNOWN_WORD, " ")
        if UNKNOWN_WORD in text:
            text = text.replace(UNKNOWN_WORD, " ")
    if "'" in text and splits_elisions:
        text = _ELISION.sub("' ", text)
    text = text.strip(" ")
    if "  " in text:
        return " ".join(text.split())
    return text


def _canonical_characters(text: str) -> str:
    """NFC, lowercase, `'` apostrophes and a space for every separator, in any script."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = text.lower()
    for apostrophe in _APOSTROPHES:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return _IRREGULAR.sub(" ", text)


def tokenize(text: str, language: str = "fr") -> list[str]:
    """Tokens of a text after normalisation (hyphenated compounds stay one token)."""
    normalized = normalize(text, language)
    return normalized.split(" ") if normalized else []


@lru_cache(maxsize=65536)
def word_tokens(word: str, language: str = "fr") -> tuple[str, ...]:
    """Tokens one caption word (an `srt` entry) contributes: 0 for `<unk>`, 2 for `l'eau`."""
    normalized = normalize(word, language)
    return tuple(normalized.split(" ")) if normalized else ()


# Word endings whose final `s` is not a plural mark (`bois`, `gaz`, `pays`, `maïs`, `virus`):
# such a word keeps its form when a plural keyword word is made singular.
_INVARIABLE_ENDINGS: Final = ("ss", "is", "ïs", "us", "os", "ys", "as")


def _singular_forms(word: str) -> list[str]:
    """Singular forms of a plural keyword word (`énergies -> énergie`, `végétaux -> végétal`)."""
    if len(word) < 4:
        return []
    if word.endswith("aux"):
        return [word[:-3] + "al", word[:-1]]  # végétaux -> végétal; tuyaux -> tuyau
    if word.endswith(("eux", "oux")):
        return [word[:-1]]
    if word.endswith("s") and not word.endswith(_INVARIABLE_ENDINGS):
        return [word[:-1]]
    return []


def word_forms(word: str, profile: str = "default", language: str = "fr") -> tuple[str, ...]:
    """The forms one keyword word matches, the word itself first.

    `default`: regular plural (`s`; `x` after `au`/`eu`/`ou`; `-al -> -aux`); for a plural
    keyword word its singular (`énergies -> énergie`, `végétaux -> végétal`); for a past
    participle in `é`, its feminine and plural forms. Function words never inflect.
    `ome-2024` (reproduced for parity): a final `s` or `x` is optional on every word, function
    words included, and nothing else (`océans <-> océan`, `réseau` misses `réseaux`).
    Another `language` applies its own rules (`observatoire.core.languages`); `ome-2024` is a
    French reference and exists for French only.
    """
    if language != "fr":
        return _other_language_forms(word, profile, language)
    if len(word) < 2 or not word[-1].isalpha():
        return (word,)
    if profile == "ome-2024":
        return _ome_2024_forms(word)
    if profile != "default":
        raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    if word in FUNCTION_WORDS:
        return (word,)
    return tuple(dict.fromkeys([word, *_french_inflections(word)]))


def _ome_2024_forms(word: str) -> tuple[str, ...]:
    """The reference's rule: a final `s` or `x` is optional, nothing more."""
    if word[-1] in "sx":
        return (word, word[:-1])
    return (word, word + "s")


def _french_inflections(word: str) -> list[str]:
    """The other forms of a French keyword word under the `default` profile."""
    if word.endswith("é"):
        return [word + "e", word + "s", word + "es"]
    if word[-1] in "sxz":
        return _singular_forms(word)
    if word.endswith("al"):
        return [word[:-2] + "aux", word + "s"]
    if word.endswith(("au", "eu", "ou")):
        return [word + "x", word + "s"]
    return [word + "s"]


def _other_language_forms(word: str, profile: str, language: str) -> tuple[str, ...]:
    rules = rules_for(language)
    if profile != "default":
        raise ValueError(f"profile {profile!r} is French only; {rules.name} uses 'default'")
    if len(word) < 2 or not word[-1].isalpha() or word in rules.function_words:
        return (word,)
    assert rules.inflections is not None
    return tuple(dict.fromkeys([word, *rules.inflections(word)]))


def _compound_head_forms(word: str, profile: str, language: str) -> tuple[str, ...]:
    """`klimaat*`: the head and its own inflections, each still a head, minus covered ones."""
    heads: list[str] = []
    for form in word_forms(word[: -len(COMPOUND_MARK)], profile, language):
        if not any(form.startswith(head) for head in heads):
            heads.append(form)
    return tuple(head + COMPOUND_MARK for head in heads)


def keyword_variants(
    keyword: str, profile: str = "default", language: str = "fr"
) -> tuple[str, ...]:
    """Every normalised surface form a keyword matches, the keyword itself first.

    A compound head (`klimaat*`, languages that glue compounds) keeps its trailing `*` on every
    variant: the last word also matches at the start of a longer token.
    """
    words = tokenize(keyword, language)
    if not words:
        return ()
    if COMPOUND_MARK in keyword:
        check_compound_head(" ".join(words), language)
    per_word: list[tuple[str, ...]]
    if language != "fr" and rules_for(language).inflects_last_word_only:
        per_word = [(word,) for word in words[:-1]]
    else:
        per_word = [word_forms(word, profile, language) for word in words[:-1]]
    last = words[-1]
    if last.endswith(COMPOUND_MARK):
        per_word.append(_compound_head_forms(last, profile, language))
    else:
        per_word.append(word_forms(last, profile, language))
    size = 1
    for forms in per_word:
        size *= len(forms)
    if size <= MAX_VARIANTS_PER_KEYWORD:
        combos = itertools.product(*per_word)
        variants = [" ".join(combo) for combo in combos]
    else:
        variants = [" ".join(words)]
        for position, forms in enumerate(per_word):
            for form in forms[1:]:
                variants.append(" ".join([*words[:position], form, *words[position + 1 :]]))
        for rank in range(1, max(len(forms) for forms in per_word)):
            variants.append(" ".join(f[rank] if rank < len(f) else f[0] for f in per_word))
    return tuple(dict.fromkeys(variants))[:MAX_VARIANTS_PER_KEYWORD]
