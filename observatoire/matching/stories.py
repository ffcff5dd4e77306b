"""Story boundaries, weather framing and energy costs: the data that keeps promotion inside one
story and out of what LABELLING does not count.

A caption chunk often holds several news stories. METHODOLOGY §4 lets a high-risk occurrence
count through a direct occurrence of its crisis in a neighbouring window only when both belong
to the same story, and lets a weather-event word count only with a climate or trend cue in its
story. LABELLING rule 6 keeps energy talked of only as a cost, or sold, out: an energy word does
not count in a window that speaks of its price or offers it. What marks a new story (news
transitions, greetings, show openings), which words are weather events or framing cues, and
which are energy words or cost cues are data files shipped with the dictionary, so that an
analyst can review and extend them without touching code; their content hash joins the
dictionary version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from observatoire.core.dictionary import DictionaryError
from observatoire.core.text import normalize

BOUNDARY_FILE = "story_boundaries_fr.txt"
FRAMING_FILE = "weather_framing_fr.txt"
COST_FILE = "energy_cost_fr.txt"
_FRAMING_SECTIONS = ("events", "cues")
_COST_SECTIONS = ("energy", "cues")
_FIELDS = ("boundaries", "weather_events", "framing_cues", "energy_words", "cost_cues")


@dataclass(frozen=True)
class StoryRules:
    """Phrases that open a new story, weather-event keywords and the cues that frame them,
    energy keywords and the cues that make them a cost.

    `boundaries`: a story starts at the first token of any of these phrases. `weather_events`:
    keywords (as written in the dictionary) that count only when framed. `framing_cues`: trend
    phrases that frame a weather event (any direct climate occurrence frames it too).
    `energy_words`: keywords that do not count in a window of their story holding one of the
    `cost_cues` (prices, bills, the litre at the pump, a supplier's offer).
    """

    boundaries: tuple[str, ...] = field(default=())
    weather_events: tuple[str, ...] = field(default=())
    framing_cues: tuple[str, ...] = field(default=())
    energy_words: tuple[str, ...] = field(default=())
    cost_cues: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in _FIELDS:
            phrases = tuple(sorted({normalize(p) for p in getattr(self, name)} - {""}))
            object.__setattr__(self, name, phrases)

    @property
    def version(self) -> str:
        """Content hash (12 hex digits) of the lists, order-insensitive."""
        digest = hashlib.sha256()
        for name in _FIELDS:
            digest.update(f"--{name}--\n".encode())
            for phrase in getattr(self, name):
                digest.update(phrase.encode("utf-8") + b"\n")
        return digest.hexdigest()[:12]


def _phrases(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _parse_sections(text: str, source: str, names: tuple[str, ...]) -> list[list[str]]:
    """Phrases of a file cut into `[section]` parts, in the order of `names`."""
    sections: dict[str, list[str]] = {name: [] for name in names}
    known = ", ".join(names)
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            if current not in sections:
                raise DictionaryError(
                    f"{source}:{number}: unknown section [{current}] (known: {known})"
                )
            continue
        if current is None:
            raise DictionaryError(f"{source}:{number}: phrase before any section ({known})")
        sections[current].append(stripped)
    return [sections[name] for name in names]


def parse_framing(text: str, source: str = "<framing>") -> tuple[list[str], list[str]]:
    """Weather events and framing cues of a file with `[events]` and `[cues]` sections."""
    events, cues = _parse_sections(text, source, _FRAMING_SECTIONS)
    return events, cues


def parse_cost(text: str, source: str = "<cost>") -> tuple[list[str], list[str]]:
    """Energy words and cost cues of a file with `[energy]` and `[cues]` sections."""
    energy, cues = _parse_sections(text, source, _COST_SECTIONS)
    return energy, cues


def _rules(boundary_text: str, framing_text: str, cost_text: str, source: str) -> StoryRules:
    events, framing_cues = parse_framing(framing_text, f"{source}{FRAMING_FILE}")
    energy, cost_cues = parse_cost(cost_text, f"{source}{COST_FILE}")
    boundaries = tuple(_phrases(boundary_text.splitlines()))
    return StoryRules(
        boundaries, tuple(events), tuple(framing_cues), tuple(energy), tuple(cost_cues)
    )


def load_story_rules(
    boundaries: str | Path, framing: str | Path, cost: str | Path | None = None
) -> StoryRules:
    """Story rules from a boundary-phrase file, a weather-framing file and an energy-cost file
    (none: no energy word is held back as a cost)."""
    try:
        boundary_text = Path(boundaries).read_text(encoding="utf-8")
        framing_text = Path(framing).read_text(encoding="utf-8")
        cost_text = Path(cost).read_text(encoding="utf-8") if cost is not None else ""
    except OSError as exc:
        raise DictionaryError(f"cannot read story rules: {exc}") from exc
    events, cues = parse_framing(framing_text, str(framing))
    energy, cost_cues = parse_cost(cost_text, str(cost))
    return StoryRules(
        tuple(_phrases(boundary_text.splitlines())),
        tuple(events),
        tuple(cues),
        tuple(energy),
        tuple(cost_cues),
    )


def default_story_rules() -> StoryRules:
    """The project's French story boundaries, weather framing and energy-cost cues, shipped in
    the package."""
    data = resources.files("observatoire").joinpath("data")
    return _rules(
        data.joinpath(BOUNDARY_FILE).read_text(encoding="utf-8"),
        data.joinpath(FRAMING_FILE).read_text(encoding="utf-8"),
        data.joinpath(COST_FILE).read_text(encoding="utf-8"),
        "",
    )


def method_data_version(dictionary_version: str, rules: StoryRules | None = None) -> str:
    """Version of everything the matcher reads as data: the dictionary and its stop phrases
    (`dictionary_version`) plus the story boundaries and weather framing."""
    rules = rules if rules is not None else default_story_rules()
    digest = hashlib.sha256(f"{dictionary_version}\n{rules.version}\n".encode())
    return digest.hexdigest()[:12]
