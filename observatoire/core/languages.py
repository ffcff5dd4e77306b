"""Token and inflection rules of each caption language other than French.

French rules are the method's own and live in `observatoire.core.text` (METHODOLOGY §3.2); this
module holds what changes with the language, so that a country is configuration and data: whether
an apostrophe splits a token (French `l'eau`, not Dutch `auto's`), the function words that never
inflect, how a keyword word inflects, and whether the language glues compounds.

Compounds. Dutch and German write compounds as one word (`klimaatverandering`,
`Klimawandel`), so a whole-token keyword `klimaat` misses every compound built on it. Matching
every keyword inside longer words would count `zee` in `zeer` ("very"). The choice is per entry,
as data: a keyword whose last word ends with `*` (`klimaat*`) is a compound head that also
matches at the start of a longer token; every other keyword matches whole tokens only. A head
has at least `MIN_COMPOUND_HEAD` letters, and only languages that glue compounds accept one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

COMPOUND_MARK: Final = "*"
MIN_COMPOUND_HEAD: Final = 5
"""Shorter heads start too many unrelated words (`zee` in `zeer`, `bos` in `boss`)."""


@dataclass(frozen=True)
class LanguageRules:
    """What a caption language changes in tokenisation and keyword inflection."""

    code: str
    name: str
    splits_elisions: bool
    """`l'eau` -> `l' eau` (French); otherwise an apostrophe stays inside its token (`auto's`)."""
    glues_compounds: bool
    """Compounds are one word, so a dictionary entry may be a compound head (`klimaat*`)."""
    function_words: frozenset[str]
    inflections: Callable[[str], Sequence[str]] | None
    """Forms of a keyword word besides itself; None for French (rules in core.text)."""
    inflects_last_word_only: bool = False
    """Only a keyword's last word takes a plural (Dutch `elektrische auto's`: the adjective
    before the noun is the same in the plural)."""


# --------------------------------------------------------------------------------------------
# Dutch: plurals in -en (with the spelling changes of the stem) or -s / -'s; no elision.

_NL_VOWELS: Final = "aeiouy"
_NL_LONG_VOWELS: Final = ("aa", "ee", "oo", "uu")
_NL_S_PLURAL_ENDINGS: Final = ("el", "em", "er", "en", "je", "um")


def _dutch_inflections(word: str) -> list[str]:
    """Plural forms of a Dutch keyword word written in the singular (its singular if in `'s`).

    `-en` with the stem spelled as the open syllable demands (`klimaat -> klimaten`,
    `bos -> bossen`, `huis -> huizen`); `-s` after an unstressed ending (`water -> waters`,
    diminutives `bosje -> bosjes`); `-'s` after a single final vowel (`auto -> auto's`);
    `-ën` after `ee`/`ie` (`zee -> zeeën`, `industrie -> industrieën`). An unlikely extra
    form costs nothing: it is a whole token no caption says.
    """
    if len(word) < 3:
        return []
    if word.endswith("'s"):
        return [word[:-2]]
    if word.endswith(("ee", "ie")):
        return [word + "ën", word + "s"]
    if word.endswith("e"):
        return [word + "s", word + "n"]
    if word[-1] in _NL_VOWELS:
        return [word + "'s", word + "s"]
    if word[-3:-1] in _NL_LONG_VOWELS:
        stem = word[:-2] + word[-1]  # klimaat -> klimat(en): the open syllable is long anyway
        return _voiced([stem + "en"])
    if word.endswith(_NL_S_PLURAL_ENDINGS):
        return [word + "s", word + "en"]
    if word[-2] in _NL_VOWELS and word[-3] not in _NL_VOWELS and word[-1] not in "wxy":
        # bos -> bossen: a short vowel stays closed; unstressed (monnik -> monniken) as well
        return [word + word[-1] + "en", word + "en"]
    return _voiced([word + "en"])


def _voiced(forms: list[str]) -> list[str]:
    """A final f or s becomes v or z before -en after a long vowel (huis -> huizen); both kept."""
    voiced = [
        form[:-3] + {"f": "v", "s": "z"}[form[-3]] + "en" for form in forms if form[-3] in "fs"
    ]
    return voiced + forms


DUTCH_FUNCTION_WORDS: Final = frozenset(
    {
        "de", "het", "een", "van", "in", "op", "en", "of", "met", "voor", "door", "aan", "naar",
        "bij", "uit", "te", "om", "over", "tot", "als", "dan", "die", "dat", "er", "niet", "'s",
        "ook", "zonder", "tegen", "onder",
    }
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Portuguese: plurals in -s, -ões/-ães/-ãos, -ais/-éis/-óis/-uis/-is, -es after r/z, -ns.

# Word endings whose final `s` is not a plural mark (`vírus`, `ônibus`, `lápis`, `gás`).
_PT_INVARIABLE_ENDINGS: Final = ("us", "ás", "ês", "ís", "ós", "x")
_PT_ACCENTED: Final = "áéíóúâêô"


# (plural ending, singular endings), first match wins: a longer ending before its own tail.
_PT_SINGULARS: Final = (
    ("ões", ("ão",)),  # poluições -> poluição
    ("ães", ("ão",)),  # cães -> cão
    ("ãos", ("ão",)),  # mãos -> mão
    ("ais", ("al",)),  # animais -> animal
    ("éis", ("el",)),  # papéis -> papel
    ("eis", ("el", "il")),  # combustíveis -> combustível; fósseis -> fóssil
    ("óis", ("ol",)),  # faróis -> farol
    ("uis", ("ul",)),  # azuis -> azul
    ("is", ("il",)),  # barris -> barril (lápis keeps its own form first)
    ("res", ("r", "re")),  # mares -> mar; árvores -> árvore
    ("zes", ("z", "ze")),  # vozes -> voz
    ("ns", ("m",)),  # nuvens -> nuvem
)

# (singular ending, plural endings), first match wins; a word matching none takes `s`.
_PT_PLURALS: Final = (
    ("ão", ("ões", "ães", "ãos")),  # the dictionary cannot tell which plural a word takes
    ("al", ("ais",)),  # animal -> animais
    ("el", ("éis",)),  # papel -> papéis
    ("ol", ("óis",)),  # farol -> faróis
    ("ul", ("uis",)),  # azul -> azuis
    ("il", ("is",)),  # funil -> funis
    ("r", ("res",)),  # mar -> mares
    ("z", ("zes",)),  # voz -> vozes
    ("m", ("ns",)),  # nuvem -> nuvens
    ("x", ()),  # tórax: invariable
    ("n", ("ns", "nes")),  # hífen -> hífens, hífenes
)

# An accent before the ending means the ending is unstressed, and its plural differs:
# nível -> níveis (not nívéis), fóssil -> fósseis (not fóssis).
_PT_UNSTRESSED_PLURALS: Final = {"el": "eis", "il": "eis"}


def _portuguese_singular(word: str) -> list[str]:
    """Singular forms of a plural Portuguese keyword word (`poluições -> poluição`)."""
    for plural, singulars in _PT_SINGULARS:
        if word.endswith(plural):
            stem = word[: -len(plural)]
            return [stem + singular for singular in singulars]
    if word.endswith("s") and not word.endswith(_PT_INVARIABLE_ENDINGS):
        return [word[:-1]]
    return []


def _portuguese_plurals(word: str) -> list[str]:
    """Plural forms of a singular Portuguese keyword word (`animal -> animais`)."""
    for singular, plurals in _PT_PLURALS:
        if word.endswith(singular):
            stem = word[: -len(singular)]
            unstressed = _PT_UNSTRESSED_PLURALS.get(singular)
            if unstressed is not None and any(vowel in stem for vowel in _PT_ACCENTED):
                return [stem + unstressed]
            return [stem + plural for plural in plurals]
    return [word + "s"]


def _portuguese_inflections(word: str) -> list[str]:
    """Plural forms of a singular Portuguese keyword word, or the singular of a plural one."""
    if len(word) < 3:
        return []
    if word[-1] == "s":
        return _portuguese_singular(word)
    return _portuguese_plurals(word)


PORTUGUESE_FUNCTION_WORDS: Final = frozenset(
    {
        "de", "da", "do", "das", "dos", "a", "o", "as", "os", "e", "em", "na", "no", "nas",
        "nos", "um", "uma", "uns", "umas", "para", "por", "pelo", "pela", "pelos", "pelas",
        "com", "sem", "ao", "aos", "à", "às", "que", "ou", "se", "sobre", "entre",
    }
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# The registry

LANGUAGE_RULES: Final[dict[str, LanguageRules]] = {
    "fr": LanguageRules(
        code="fr",
        name="French",
        splits_elisions=True,
        glues_compounds=False,
        function_words=frozenset(),  # the French list is core.text.FUNCTION_WORDS
        inflections=None,
    ),
    "nl": LanguageRules(
        code="nl",
        name="Dutch",
        splits_elisions=False,
        glues_compounds=True,
        function_words=DUTCH_FUNCTION_WORDS,
        inflections=_dutch_inflections,
        inflects_last_word_only=True,
    ),
    "pt": LanguageRules(
        code="pt",
        name="Portuguese",
        splits_elisions=False,
        glues_compounds=False,
        function_words=PORTUGUESE_FUNCTION_WORDS,
        inflections=_portuguese_inflections,
    ),
}
LANGUAGES: Final = tuple(LANGUAGE_RULES)


def rules_for(language: str) -> LanguageRules:
    """The rules of a language code, or a ValueError naming the known codes."""
    try:
        return LANGUAGE_RULES[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})") from None


def is_compound_head(keyword: str) -> bool:
    """A keyword written `head*`: it also matches at the start of a longer token."""
    return keyword.endswith(COMPOUND_MARK)


def check_compound_head(keyword: str, language: str) -> None:
    """Refuse a compound head the language or its length cannot support, saying why."""
    if not is_compound_head(keyword):
        if COMPOUND_MARK in keyword:
            raise ValueError(f"{keyword!r}: `*` may only end a keyword (a compound head)")
        return
    rules = rules_for(language)
    if not rules.glues_compounds:
        raise ValueError(
            f"{keyword!r}: compound heads (`*`) are for languages that glue compounds; "
            f"{rules.name} does not"
        )
    head = keyword[: -len(COMPOUND_MARK)]
    if COMPOUND_MARK in head:
        raise ValueError(f"{keyword!r}: `*` may only end a keyword (a compound head)")
    last_word = head.split()[-1] if head.split() else ""
    if len(last_word) < MIN_COMPOUND_HEAD or head != head.rstrip():
        raise ValueError(
            f"{keyword!r}: a compound head needs at least {MIN_COMPOUND_HEAD} letters before `*`"
        )
