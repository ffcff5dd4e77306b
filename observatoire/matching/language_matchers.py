"""Matching a country with several caption languages: one compiled matcher per language.

Each chunk is matched with the dictionary and the text rules of its channel's language (a Dutch
chunk of VRT 1 with the Dutch dictionary, never with the French one): a keyword of one language
said on a channel of the other is a loan word, not a measure of that channel's coverage. A
country with one language has one matcher, and its results are exactly that matcher's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.dictionary import KeywordDictionary
from observatoire.matching.matcher import ChunkMatch, Matcher, MatchResult
from observatoire.matching.stories import StoryRules
from observatoire.reference.channels import Channel


class LanguageMatchers:
    """One `Matcher` per caption language, each chunk routed by its channel's language.

    `match_table` and `match_chunk` behave as `Matcher`'s; a chunk of a channel missing from
    `channels` is matched in the first language of `dictionaries`.
    """

    def __init__(
        self,
        dictionaries: Mapping[str, KeywordDictionary],
        channels: Iterable[Channel],
        window_seconds: int = 20,
        profile: str = "default",
        story_rules: StoryRules | None = None,
    ) -> None:
        if not dictionaries:
            raise ValueError("no dictionary: a country needs one per caption language")
        self.channel_languages = {channel.name: channel.language for channel in channels}
        missing = sorted(set(self.channel_languages.values()) - set(dictionaries))
        if missing:
            speakers = sorted(
                name for name, language in self.channel_languages.items() if language in missing
            )
            raise ValueError(
                f"no dictionary for language(s) {', '.join(missing)} spoken by "
                f"{', '.join(speakers)} (dictionaries: {', '.join(dictionaries)})"
            )
        self.matchers = {
            language: Matcher(
                dictionary, window_seconds, profile, story_rules=story_rules, language=language
            )
            for language, dictionary in dictionaries.items()
        }
        self.default_language = next(iter(dictionaries))
        self.window_seconds = window_seconds
        self.profile = profile
        first = self.matchers[self.default_language]
        self.number_of_windows = first.number_of_windows

    def language_of(self, channel: str | None) -> str:
        """The language a channel's chunks are matched in."""
        if channel is None:
            return self.default_language
        return self.channel_languages.get(channel, self.default_language)

    def match_chunk(
        self,
        plaintext: str,
        start: int,
        srt: Sequence[Mapping[str, Any]] | None = None,
        channel: str | None = None,
    ) -> ChunkMatch:
        """Match one chunk of `channel` with its language's matcher (see `Matcher.match_chunk`)."""
        return self.matchers[self.language_of(channel)].match_chunk(plaintext, start, srt)

    def match_table(self, captions: pa.Table) -> MatchResult:
        """Match every chunk with its channel's language; rows come back in the captions' order
        (segments one per chunk, keywords grouped by chunk in that order)."""
        names = captions.column("channel_name").to_pylist()
        languages = np.array([self.language_of(name) for name in names], dtype=object)
        present = list(dict.fromkeys(languages.tolist())) or [self.default_language]
        if len(present) == 1:
            return self.matchers[present[0]].match_table(captions)
        segments: list[pa.Table] = []
        keywords: list[pa.Table] = []
        rows: list[np.ndarray] = []
        for language in present:
            chosen = np.flatnonzero(languages == language)
            result = self.matchers[language].match_table(captions.take(pa.array(chosen)))
            segments.append(result.segments)
            keywords.append(result.keywords)
            rows.append(chosen)
        order = np.argsort(np.concatenate(rows), kind="stable")
        all_segments = pa.concat_tables(segments).take(pa.array(order))
        all_keywords = pa.concat_tables(keywords)
        position = pc.index_in(all_keywords["chunk_id"], captions["chunk_id"])
        keyword_order = np.argsort(
            np.asarray(position.to_numpy(zero_copy_only=False), dtype=np.int64), kind="stable"
        )
        return MatchResult(
            segments=all_segments, keywords=all_keywords.take(pa.array(keyword_order))
        )


def country_matcher(
    dictionaries: Mapping[str, KeywordDictionary],
    channels: Iterable[Channel],
    window_seconds: int = 20,
    profile: str = "default",
) -> Matcher | LanguageMatchers:
    """The matcher of a country: a plain `Matcher` when it has one language (France's matching
    is exactly what it always was), else one matcher per language."""
    if len(dictionaries) == 1:
        ((language, dictionary),) = dictionaries.items()
        return Matcher(dictionary, window_seconds, profile, language=language)
    return LanguageMatchers(dictionaries, channels, window_seconds, profile)


__all__ = ["LanguageMatchers", "country_matcher"]
