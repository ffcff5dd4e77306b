"""The keyword dictionary: entries, stop phrases, CSV loading and a content-hash version.

The version is a hash of the content, not a file date, so that any change to a keyword or to a stop
phrase changes the version and marks every downstream figure as produced by another dictionary.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa

from observatoire.core.text import normalize
from observatoire.core.themes import THEMES, causal_link_of, crisis_of

CSV_HEADER = ("keyword", "theme", "high_risk", "category", "language")
CATEGORIES = (
    "agriculture",
    "building",
    "economy",
    "energy",
    "forest",
    "general",
    "health",
    "industry",
    "mining",
    "ocean",
    "soil",
    "tourism",
    "transport",
    "urban",
    "waste",
    "water",
)
"""The sectors an entry may name (METHODOLOGY §2); a typo would split a sector in two."""
MAX_KEYWORD_CHARS = 200
"""The longest shipped keyword has under 80 characters; anything far longer is a pasting error."""

DICTIONARY_SCHEMA = pa.schema(
    [
        ("keyword", pa.string()),
        ("theme", pa.string()),
        ("crisis", pa.string()),
        ("causal_link", pa.string()),
        ("high_risk", pa.bool_()),
        ("category", pa.string()),
        ("language", pa.string()),
    ]
)


class DictionaryError(ValueError):
    """A dictionary or stop-phrase file that cannot be used, with the offending line named."""


def canonical_keyword(text: str) -> str:
    """Light canonical form used to compare entries (NFC, lowercase, single spaces)."""
    text = unicodedata.normalize("NFC", text).lower().replace("\u2019", "'").replace("`", "'")
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class KeywordEntry:
    """One dictionary row; crisis and causal link follow from the theme."""

    keyword: str
    theme: str
    high_risk: bool = False
    category: str = ""
    language: str = "fr"

    @property
    def crisis(self) -> str:
        return crisis_of(self.theme)

    @property
    def causal_link(self) -> str:
        return causal_link_of(self.theme)


@dataclass(frozen=True)
class KeywordDictionary:
    """An immutable set of keyword entries plus the stop phrases masked before matching."""

    entries: tuple[KeywordEntry, ...]
    stop_phrases: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # A word may be a keyword of two languages (`co2`): entries are unique per language.
        seen: set[tuple[str, str, str]] = set()
        for entry in self.entries:
            if entry.theme not in THEMES:
                raise DictionaryError(f"unknown theme {entry.theme!r} for {entry.keyword!r}")
            key = (canonical_keyword(entry.keyword), entry.theme, entry.language)
            if not key[0]:
                raise DictionaryError("empty keyword")
            if key in seen:
                raise DictionaryError(f"duplicate entry {key[0]!r} under theme {key[1]!r}")
            seen.add(key)

    @property
    def version(self) -> str:
        """Content hash (12 hex digits) over entries and stop phrases, order-insensitive."""
        digest = hashlib.sha256()
        for entry in sorted(self.entries, key=lambda e: (canonical_keyword(e.keyword), e.theme)):
            row = (
                canonical_keyword(entry.keyword),
                entry.theme,
                str(entry.high_risk).lower(),
                entry.category,
                entry.language,
            )
            digest.update(("\t".join(row) + "\n").encode())
        digest.update(b"--stop-phrases--\n")
        for phrase in sorted({canonical_keyword(p) for p in self.stop_phrases}):
            digest.update((phrase + "\n").encode())
        return digest.hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.entries)

    def themes(self) -> set[str]:
        return {e.theme for e in self.entries}

    def to_arrow(self) -> pa.Table:
        """One row per entry, with the derived crisis and causal link, for the lake and the UI."""
        return pa.Table.from_pylist(
            [
                {
                    "keyword": e.keyword,
                    "theme": e.theme,
                    "crisis": e.crisis,
                    "causal_link": e.causal_link,
                    "high_risk": e.high_risk,
                    "category": e.category,
                    "language": e.language,
                }
                for e in self.entries
            ],
            schema=DICTIONARY_SCHEMA,
        )

    def to_csv(self) -> str:
        """The dictionary in the published CSV format (METHODOLOGY §2)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for e in self.entries:
            writer.writerow([e.keyword, e.theme, str(e.high_risk).lower(), e.category, e.language])
        return out.getvalue()


def dictionaries_version(dictionaries: Mapping[str, KeywordDictionary]) -> str:
    """Content hash of a country's dictionaries, every language's entries and stop phrases.

    One language: that dictionary's own version (France's version is what it always was).
    Several: a hash of each language's version, so a change in any language changes it.
    """
    if len(dictionaries) == 1:
        return next(iter(dictionaries.values())).version
    digest = hashlib.sha256()
    for language in sorted(dictionaries):
        digest.update(f"{language}\t{dictionaries[language].version}\n".encode())
    return digest.hexdigest()[:12]


def _parse_bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if not lowered:
        raise DictionaryError(f"{where}: empty; write true or false")
    raise DictionaryError(f"{where}: must be true or false, got {value!r}")


def _category(value: str, where: str) -> str:
    category = value.strip()
    if category in CATEGORIES:
        return category
    close = difflib.get_close_matches(category, CATEGORIES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise DictionaryError(
        f"{where}: unknown category {category!r}{hint}; known: {', '.join(CATEGORIES)}"
    )


def _keyword(value: str, where: str) -> str:
    keyword = canonical_keyword(value)
    if not keyword:
        raise DictionaryError(f"{where}: empty keyword")
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise DictionaryError(
            f"{where}: keyword of {len(keyword)} characters (at most {MAX_KEYWORD_CHARS}): "
            f"{keyword[:40]!r}…"
        )
    if not normalize(keyword):
        raise DictionaryError(
            f"{where}: keyword {keyword!r} normalises to nothing (no letter or digit), so it "
            "could never match"
        )
    return keyword


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every CSV row; a field too large for the reader is a DictionaryError."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DictionaryError(
                f"{source}: line {reader.line_num}: unreadable CSV ({error}); keywords are "
                f"at most {MAX_KEYWORD_CHARS} characters"
            ) from None
        yield reader.line_num, row


def parse_dictionary_csv(text: str, source: str = "<csv>") -> list[KeywordEntry]:
    """Parse the CSV format `keyword,theme,high_risk,category,language`, strictly.

    Every mistake is refused with the file, line and column named, because a silently misread
    row changes published figures: an empty `high_risk` read as false, a misspelt category, a
    keyword of punctuation that never matches.
    """
    rows = _rows(text, source)
    try:
        _, header = next(rows)
    except StopIteration:
        raise DictionaryError(
            f"{source}: empty file, expected header {','.join(CSV_HEADER)}"
        ) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if tuple(header) != CSV_HEADER:
        extra = [h for h in header if h not in CSV_HEADER]
        missing = [h for h in CSV_HEADER if h not in header]
        detail = "; ".join(
            part
            for part in (
                f"unexpected column(s) {', '.join(extra)}" if extra else "",
                f"missing column(s) {', '.join(missing)}" if missing else "",
            )
            if part
        )
        raise DictionaryError(
            f"{source}: line 1: header must be {','.join(CSV_HEADER)}, got {','.join(header)}"
            + (f" ({detail})" if detail else "")
        )
    entries: list[KeywordEntry] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue

        def where(column: int, line: int = line) -> str:
            return f"{source}: line {line}, column {column} ({CSV_HEADER[column - 1]})"

        if len(row) != len(CSV_HEADER):
            surplus = (
                f"; extra field {row[len(CSV_HEADER)][:40]!r} in column {len(CSV_HEADER) + 1}"
                if len(row) > len(CSV_HEADER)
                else ""
            )
            raise DictionaryError(
                f"{source}: line {line}: expected {len(CSV_HEADER)} fields "
                f"({','.join(CSV_HEADER)}), got {len(row)}{surplus}"
            )
        keyword_cell, theme, high_risk, category, language = (cell.strip() for cell in row)
        keyword = _keyword(keyword_cell, where(1))
        if theme not in THEMES:
            raise DictionaryError(
                f"{where(2)}: unknown theme {theme!r} (known: {', '.join(THEMES)})"
            )
        key = (keyword, theme)
        if key in first_line:
            raise DictionaryError(
                f"{source}: line {line}: duplicate of line {first_line[key]} "
                f"({key[0]!r} under {theme!r})"
            )
        first_line[key] = line
        entries.append(
            KeywordEntry(
                keyword=keyword,
                theme=theme,
                high_risk=_parse_bool(high_risk, where(3)),
                category=_category(category, where(4)),
                language=language or "fr",
            )
        )
    if not entries:
        raise DictionaryError(f"{source}: no entries")
    return entries


def read_utf8(path: Path, what: str) -> str:
    """A text file that must be UTF-8; a stray byte is named by line and column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DictionaryError(f"{path}: cannot read {what}: {exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DictionaryError(
            f"{path}: line {line}, column {column}: not UTF-8 (byte 0x{data[error.start]:02x}); "
            f"save the {what} as UTF-8"
        ) from None


def parse_stop_phrases(lines: Iterable[str]) -> tuple[str, ...]:
    """One phrase per line; blank lines and `#` comments are ignored; duplicates collapse."""
    phrases: dict[str, None] = {}
    for raw in lines:
        text = raw.split("#", 1)[0]
        phrase = canonical_keyword(text)
        if phrase:
            phrases[phrase] = None
    return tuple(phrases)


def load_dictionary_csv(
    path: str | Path, stop_phrases: str | Path | Sequence[str] | None = None
) -> KeywordDictionary:
    """Load a dictionary CSV (and optionally a stop-phrase file or list)."""
    path = Path(path)
    entries = parse_dictionary_csv(read_utf8(path, "dictionary"), source=str(path))
    if stop_phrases is None:
        phrases: tuple[str, ...] = ()
    elif isinstance(stop_phrases, str | Path):
        phrases = parse_stop_phrases(read_utf8(Path(stop_phrases), "stop phrases").splitlines())
    else:
        phrases = parse_stop_phrases(stop_phrases)
    return KeywordDictionary(entries=tuple(entries), stop_phrases=phrases)


def _packaged_text(name: str) -> str:
    return resources.files("observatoire").joinpath("data", name).read_text(encoding="utf-8")


def default_dictionary() -> KeywordDictionary:
    """The project's own French dictionary and stop phrases, shipped in the package."""
    entries = parse_dictionary_csv(_packaged_text("dictionary_fr.csv"), source="dictionary_fr.csv")
    phrases = parse_stop_phrases(_packaged_text("stop_phrases_fr.txt").splitlines())
    return KeywordDictionary(entries=tuple(entries), stop_phrases=phrases)
