"""The monitored channels: the packaged reference list of 18 channels and its Arrow table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import pyarrow as pa

from observatoire.reference.reference_csv import GridError, data_rows, parse_bool

CHANNELS_HEADER = ("name", "title", "radio", "all_news")

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


def channels_from_text(text: str, origin: str) -> list[Channel]:
    """Channels from CSV text with the header name,title,radio,all_news; names are unique."""
    channels: list[Channel] = []
    seen: dict[str, int] = {}
    for number, (name, title, radio, all_news) in data_rows(text, CHANNELS_HEADER, origin):
        where = f"{origin} line {number}"
        if not name:
            raise GridError(f"{where}: empty channel name")
        if name in seen:
            raise GridError(f"{where}: channel {name!r} already defined on line {seen[name]}")
        seen[name] = number
        channels.append(
            Channel(
                name=name,
                title=title or name,
                radio=parse_bool(radio, f"{where} (radio)"),
                all_news=parse_bool(all_news, f"{where} (all_news)"),
            )
        )
    return channels


def default_channels() -> list[Channel]:
    """The 18 reference channels shipped with the package (observatoire/data/channels.csv)."""
    text = resources.files("observatoire").joinpath("data/channels.csv").read_text("utf-8")
    return channels_from_text(text, "channels.csv")


def channels_table(channels: Iterable[Channel]) -> pa.Table:
    """Arrow table of channels (CHANNELS_SCHEMA), e.g. to join indicators with radio/TV."""
    channels = list(channels)
    return pa.Table.from_pydict(
        {
            "name": [c.name for c in channels],
            "title": [c.title for c in channels],
            "radio": [c.radio for c in channels],
            "all_news": [c.all_news for c in channels],
        },
        schema=CHANNELS_SCHEMA,
    )


def names_of(channels: Iterable[Channel | str]) -> list[str]:
    """Channel names of channels given as Channel objects or as names."""
    return [c.name if isinstance(c, Channel) else str(c) for c in channels]
