"""Channel identity: the canonical name of each monitored channel and the spellings sources use.

Real exports name the same channel in several ways (``france-2`` for ``france2``, ``cnews`` for
``itele``, ``france-info`` with ``radio: false`` for franceinfo's TV channel). Records are filed
under the canonical name at parsing, so a spelling can never split or hide a channel; a name that
is neither canonical nor a known alias is quarantined as an unknown channel. Aliases are reference
data (``observatoire/data/channel_aliases.csv``): adding one is a data change, not a code change.
Matching is exact: ``France2`` or ``../../x`` are unknown, never guessed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from observatoire.reference.channels import DEFAULT_LANGUAGE, Channel
from observatoire.reference.reference_csv import GridError

ALIASES_HEADER = ("alias", "radio", "channel")


@dataclass(frozen=True, slots=True)
class ChannelAlias:
    """A spelling of a channel; ``radio`` None applies it to records of either medium."""

    alias: str
    radio: bool | None
    channel: str


@dataclass(frozen=True)
class ChannelNames:
    """Resolves a received channel name (and its radio flag) to a monitored channel."""

    channels: tuple[Channel, ...]
    aliases: tuple[ChannelAlias, ...] = ()
    _by_name: dict[str, Channel] = field(init=False, repr=False, compare=False)
    _qualified: dict[tuple[str, bool], str] = field(init=False, repr=False, compare=False)
    _unqualified: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {channel.name: channel for channel in self.channels}
        qualified: dict[tuple[str, bool], str] = {}
        unqualified: dict[str, str] = {}
        for alias in self.aliases:
            if alias.channel not in by_name:
                raise GridError(f"alias {alias.alias!r} names unknown channel {alias.channel!r}")
            if alias.radio is None:
                if alias.alias in by_name or alias.alias in unqualified:
                    raise GridError(f"alias {alias.alias!r} is already a channel or an alias")
                unqualified[alias.alias] = alias.channel
            else:
                if (alias.alias, alias.radio) in qualified:
                    raise GridError(f"alias {alias.alias!r} (radio {alias.radio}) is repeated")
                qualified[(alias.alias, alias.radio)] = alias.channel
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_qualified", qualified)
        object.__setattr__(self, "_unqualified", unqualified)

    def resolve(self, name: str, radio: object = None) -> Channel | None:
        """The monitored channel a record names, or None when the name is unknown.

        A medium-qualified alias wins over the canonical name, so that ``france-info`` marked as
        television lands under franceinfo TV, not under the radio station of that name.
        """
        if isinstance(radio, bool):
            target = self._qualified.get((name, radio))
            if target is not None:
                return self._by_name[target]
        if name in self._by_name:
            return self._by_name[name]
        target = self._unqualified.get(name)
        return self._by_name[target] if target is not None else None

    def names(self) -> list[str]:
        return [channel.name for channel in self.channels]

    def describe(self) -> str:
        """Stable text of the channels and aliases, for a content-hash version."""
        # A channel's language counts when it is not the default (France's lines unchanged).
        lines = [
            f"{c.name}\t{c.title}\t{c.radio}\t{c.all_news}"
            + ("" if c.language == DEFAULT_LANGUAGE else f"\t{c.language}")
            for c in sorted(self.channels, key=lambda c: c.name)
        ]
        lines += [
            f"alias\t{a.alias}\t{'' if a.radio is None else a.radio}\t{a.channel}"
            for a in sorted(self.aliases, key=lambda a: (a.alias, str(a.radio)))
        ]
        return "\n".join(lines)


def _radio_cell(value: str, where: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered == "":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    raise GridError(f"{where}: radio must be true, false or empty, got {value!r}")


def aliases_from_text(text: str, origin: str) -> tuple[ChannelAlias, ...]:
    """Aliases from CSV text with the header alias,radio,channel ('#' lines are comments)."""
    rows = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows or tuple(next(csv.reader([rows[0][1]]))) != ALIASES_HEADER:
        raise GridError(f"{origin}: the header must be {','.join(ALIASES_HEADER)}")
    aliases = []
    for number, line in rows[1:]:
        cells = [cell.strip() for cell in next(csv.reader(io.StringIO(line)))]
        if len(cells) != 3 or not cells[0] or not cells[2]:
            raise GridError(f"{origin} line {number}: expected alias,radio,channel")
        aliases.append(
            ChannelAlias(cells[0], _radio_cell(cells[1], f"{origin} line {number}"), cells[2])
        )
    return tuple(aliases)


def default_aliases() -> tuple[ChannelAlias, ...]:
    """The spellings shipped with the package (observatoire/data/channel_aliases.csv)."""
    text = resources.files("observatoire").joinpath("data/channel_aliases.csv").read_text("utf-8")
    return aliases_from_text(text, "channel_aliases.csv")


def channel_names(
    channels: Iterable[Channel], aliases: Sequence[ChannelAlias] | None = None
) -> ChannelNames:
    """Channel identity for these channels, with the packaged aliases unless others are given;
    aliases of channels not in the list are left out (a reduced channel list stays valid)."""
    channels = tuple(channels)
    known = {channel.name for channel in channels}
    chosen = default_aliases() if aliases is None else tuple(aliases)
    return ChannelNames(channels, tuple(a for a in chosen if a.channel in known))
