"""The monitored channels: the packaged reference list of 18 channels and its Arrow table.

A channel speaks one caption language, matched with that language's dictionary. The channels
file may say it in an optional `language` column; without it every channel speaks the country's
first language (France's file has no such column: all its channels speak French).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import pyarrow as pa

from observatoire.reference.reference_csv import GridError, data_rows, parse_bool

CHANNELS_HEADER = ("name", "title", "radio", "all_news")
CHANNELS_HEADER_WITH_LANGUAGE = (*CHANNELS_HEADER, "language")
DEFAULT_LANGUAGE = "fr"
"""The language of a channel whose file or table does not say one: France's, the reference."""

CHANNELS_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("title", pa.string()),
        ("radio", pa.bool_()),
        ("all_news", pa.bool_()),
    ]
)


@dataclass(frozen=True, slots=True)
class Channel:
    """A monitored channel; all-news channels are in scope all day long (06:00-23:00)."""

    name: str
    title: str
    radio: bool
    all_news: bool
    language: str = DEFAULT_LANGUAGE
    """The caption language, whose dictionary and text rules match the channel's captions."""


def _has_language_column(text: str) -> bool:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return "language" in (cell.strip() for cell in next(csv.reader([line])))
    return False


def channels_from_text(
    text: str, origin: str, languages: Sequence[str] = (DEFAULT_LANGUAGE,)
) -> list[Channel]:
    """Channels from CSV text with the header name,title,radio,all_news[,language].

    Names are unique. `languages` are the country's caption languages: a channel's language must
    be one of them, and a channel (or a file) that names none speaks the first.
    """
    if not languages:
        raise GridError(f"{origin}: a country needs at least one caption language")
    header = CHANNELS_HEADER_WITH_LANGUAGE if _has_language_column(text) else CHANNELS_HEADER
    channels: list[Channel] = []
    seen: dict[str, int] = {}
    for number, cells in data_rows(text, header, origin):
        name, title, radio, all_news = cells[:4]
        language = (cells[4] if len(cells) > 4 else "") or languages[0]
        where = f"{origin} line {number}"
        if not name:
            raise GridError(f"{where}: empty channel name")
        if name in seen:
            raise GridError(f"{where}: channel {name!r} already defined on line {seen[name]}")
        if language not in languages:
            raise GridError(
                f"{where}: channel {name!r} speaks {language!r}, not one of the country's "
                f"languages ({', '.join(languages)})"
            )
        seen[name] = number
        channels.append(
            Channel(
                name=name,
                title=title or name,
                radio=parse_bool(radio, f"{where} (radio)"),
                all_news=parse_bool(all_news, f"{where} (all_news)"),
                language=language,
            )
        )
    return channels


def default_channels() -> list[Channel]:
    """The 18 reference channels shipped with the package (observatoire/data/channels.csv)."""
    text = resources.files("observatoire").joinpath("data/channels.csv").read_text("utf-8")
    return channels_from_text(text, "channels.csv")


def channels_table(channels: Iterable[Channel]) -> pa.Table:
    """Arrow table of channels (CHANNELS_SCHEMA), e.g. to join indicators with radio/TV.

    A `language` column is added when a channel speaks another language than the default one
    (French), which is what a table without the column is read back as: France's table is the
    one it has always been.
    """
    channels = list(channels)
    table = pa.Table.from_pydict(
        {
            "name": [c.name for c in channels],
            "title": [c.title for c in channels],
            "radio": [c.radio for c in channels],
            "all_news": [c.all_news for c in channels],
        },
        schema=CHANNELS_SCHEMA,
    )
    if any(c.language != DEFAULT_LANGUAGE for c in channels):
        table = table.append_column(
            pa.field("language", pa.string()), pa.array([c.language for c in channels])
        )
    return table


def names_of(channels: Iterable[Channel | str]) -> list[str]:
    """Channel names of channels given as Channel objects or as names."""
    return [c.name if isinstance(c, Channel) else str(c) for c in channels]
