"""Story boundaries and weather framing: the data that keeps promotion inside one story.

A caption chunk often holds several news stories. METHODOLOGY §4 lets a high-risk occurrence
count through a direct occurrence of its crisis in a neighbouring window only when both belong
to the same story, and lets a weather-event word count only with a climate or trend cue in its
story. What marks a new story (news transitions, greetings, show openings) and which words are
weather events or framing cues are data files shipped with the dictionary, so that an analyst can
review and extend them without touching code; their content hash joins the dictionary version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from observatoire.dictionary import DictionaryError
from observatoire.text import normalize

BOUNDARY_FILE = "story_boundaries_fr.txt"
FRAMING_FILE = "weather_framing_fr.txt"
_SECTIONS = ("events", "cues")


@dataclass(frozen=True)
class StoryRules:
    """Phrases that open a new story, weather-event keywords, and the cues that frame them.

    `boundaries`: a story starts at the first token of any of these phrases. `weather_events`:
    keywords (as written in the dictionary) that count only when framed. `framing_cues`: trend
    phrases that frame a weather event (any direct climate occurrence frames it too).
    """

    boundaries: tuple[str, ...] = field(default=())
    weather_events: tuple[str, ...] = field(default=())
    framing_cues: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("boundaries", "weather_events", "framing_cues"):
            phrases = tuple(sorted({normalize(p) for p in getattr(self, name)} - {""}))
            object.__setattr__(self, name, phrases)

    @property
    def version(self) -> str:
        """Content hash (12 hex digits) of the three lists, order-insensitive."""
        digest = hashlib.sha256()
        for name in ("boundaries", "weather_events", "framing_cues"):
            digest.update(f"--{name}--\n".encode())
            for phrase in getattr(self, name):
                digest.update(phrase.encode("utf-8") + b"\n")
        return digest.hexdigest()[:12]


def _phrases(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def parse_framing(text: str, source: str = "<framing>") -> tuple[list[str], list[str]]:
    """Weather events and framing cues of a file with `[events]` and `[cues]` sections."""
    sections: dict[str, list[str]] = {name: [] for name in _SECTIONS}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            if current not in sections:
                raise DictionaryError(
                    f"{source}:{number}: unknown section [{current}] (known: events, cues)"
                )
            continue
        if current is None:
            raise DictionaryError(f"{source}:{number}: phrase before any [events]/[cues] section")
        sections[current].append(stripped)
    return sections["events"], sections["cues"]


def load_story_rules(boundaries: str | Path, framing: str | Path) -> StoryRules:
    """Story rules from a boundary-phrase file and a weather-framing file."""
    try:
        boundary_text = Path(boundaries).read_text(encoding="utf-8")
        framing_text = Path(framing).read_text(encoding="utf-8")
    except OSError as exc:
        raise DictionaryError(f"cannot read story rules: {exc}") from exc
    events, cues = parse_framing(framing_text, str(framing))
    return StoryRules(tuple(_phrases(boundary_text.splitlines())), tuple(events), tuple(cues))


def default_story_rules() -> StoryRules:
    """The project's French story boundaries and weather framing, shipped in the package."""
    data = resources.files("observatoire").joinpath("data")
    boundary_text = data.joinpath(BOUNDARY_FILE).read_text(encoding="utf-8")
    events, cues = parse_framing(data.joinpath(FRAMING_FILE).read_text(encoding="utf-8"))
    return StoryRules(tuple(_phrases(boundary_text.splitlines())), tuple(events), tuple(cues))


def method_data_version(dictionary_version: str, rules: StoryRules | None = None) -> str:
    """Version of everything the matcher reads as data: the dictionary and its stop phrases
    (`dictionary_version`) plus the story boundaries and weather framing."""
    rules = rules if rules is not None else default_story_rules()
    digest = hashlib.sha256(f"{dictionary_version}\n{rules.version}\n".encode())
    return digest.hexdigest()[:12]
