"""Times of the normalised chunk tokens, read from the provider's word lists (METHODOLOGY §3.6).

Each occurrence takes the `cts_in_ms` of its own first word. Every `srt` word is normalised like
the chunk text (`<unk>` gives no token, `l'eau` gives two), so the word list yields a token
sequence with one time per token. When that sequence equals the text's tokens (the usual case)
times map one to one; otherwise the two sequences are aligned on their longest common blocks.

`BatchWordTimes` does this for a whole table of chunks at once: the words are normalised in bulk
(Arrow compute, plus Python only for the few distinct words that are not already in canonical
form), token times come from one numpy repeat, and the per-chunk comparison is one string
equality. Only a chunk whose text and word list disagree goes through the slow alignment.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.text import word_tokens

WORD_FIELDS = ("cts_in_ms", "text")
"""The fields of an `srt` word that timing reads; the others (`duration_ms`) can stay on disk."""


def word_list_columns(column: str = "srt") -> list[str]:
    """Parquet paths of the word fields timing reads, for a lake read of only those."""
    return [f"{column}.list.element.{field}" for field in WORD_FIELDS]


def align_token_times(
    tokens: Sequence[str],
    words: Sequence[str | None],
    times: Sequence[int],
    language: str = "fr",
) -> list[int] | None:
    """The `cts_in_ms` of each normalised chunk token, found in the word list (`srt`) given as
    its words and their times.

    Each word is normalised like the text, in its `language` (`<unk>` gives no token, French
    `l'eau` two, Dutch `auto's` one). When both
    token sequences agree (the usual case) times map one to one; otherwise they are aligned on
    their longest common blocks and a token without a counterpart takes the time of the closest
    aligned token before it (after it at the very beginning). None when nothing aligns.
    """
    srt_tokens: list[str] = []
    srt_times: list[int] = []
    for word, time_ms in zip(words, times, strict=True):
        pieces = word_tokens(word or "", language)
        if len(pieces) == 1:
            srt_tokens.append(pieces[0])
            srt_times.append(time_ms)
        elif pieces:
            srt_tokens.extend(pieces)
            srt_times.extend([time_ms] * len(pieces))
    if srt_tokens == list(tokens):
        return srt_times
    return _aligned_on_blocks(tokens, srt_tokens, srt_times)


def _aligned_on_blocks(
    tokens: Sequence[str], srt_tokens: Sequence[str], srt_times: Sequence[int]
) -> list[int] | None:
    aligned: list[int | None] = [None] * len(tokens)
    matcher = difflib.SequenceMatcher(None, tokens, srt_tokens, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        aligned[a : a + size] = srt_times[b : b + size]
    first_known = next((t for t in aligned if t is not None), None)
    if first_known is None:
        return None
    filled: list[int] = []
    last = first_known
    for t in aligned:
        if t is not None:
            last = t
        filled.append(last)
    return filled


class BatchWordTimes:
    """Token times of every chunk of a table, from its `srt` column, computed in bulk.

    `has_words(row)` (`present` for all rows) says whether the chunk has a non-empty word
    list; `token_times(row, text)` gives the time of each token of the chunk's normalised text
    (an array indexable by token), or None when nothing aligns; `words(row)` gives the raw
    word texts.
    """

    def __init__(self, srt: pa.Array | pa.ChunkedArray, language: str = "fr") -> None:
        self._language = language
        lists = srt.combine_chunks() if isinstance(srt, pa.ChunkedArray) else srt
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
        self._present: np.ndarray = lengths > 0
        self._word_offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        values = lists.flatten()  # respects slicing and drops what null lists hide
        texts = values.field("text")
        times = pc.fill_null(values.field("cts_in_ms"), 0)
        self._times = times.to_numpy(zero_copy_only=False).astype(np.int64)

        # Each distinct word is normalised once (a day holds about a thousand distinct words
        # among a million), then counts and forms are spread back through the dictionary indices.
        # Words read dictionary-encoded from Parquet (the lake stores them so) are already in
        # that form; plain strings are encoded here.
        if pa.types.is_dictionary(texts.type) and texts.null_count == 0:
            encoded = texts
            self._texts = texts
        else:
            if pa.types.is_dictionary(texts.type):
                texts = texts.cast(pa.string())
            self._texts = pc.fill_null(texts, "")
            encoded = pc.dictionary_encode(self._texts)
        distinct = encoded.dictionary.to_pylist()
        pieces = [word_tokens(word, language) for word in distinct]
        counts = np.array([len(p) for p in pieces], np.int64)[
            encoded.indices.to_numpy(zero_copy_only=False)
        ]
        forms = [" ".join(p) for p in pieces]
        normalised = self._texts
        if pa.types.is_dictionary(normalised.type) or any(
            form != word for form, word, p in zip(forms, distinct, pieces, strict=True) if p
        ):
            normalised = pa.array(forms, pa.string()).take(encoded.indices)
        kept = counts > 0
        if not kept.all():
            normalised = normalised.filter(pa.array(kept))
        # Per chunk, the word list's tokens joined by single spaces: equal to the normalised
        # text exactly when the two token sequences are equal.
        kept_offsets = np.concatenate([[0], np.cumsum(kept)])[self._word_offsets]
        joined = pc.binary_join(
            pa.ListArray.from_arrays(pa.array(kept_offsets.astype(np.int32)), normalised), " "
        )
        self._joined = joined.to_pylist()
        self._token_times = np.repeat(self._times, counts)
        self._token_offsets = np.concatenate([[0], np.cumsum(counts)])[self._word_offsets]

    def has_words(self, row: int) -> bool:
        return bool(self._present[row])

    @property
    def present(self) -> np.ndarray:
        """`has_words` of every row, as a boolean array."""
        return self._present

    def words(self, row: int) -> list[str]:
        low, high = self._word_offsets[row], self._word_offsets[row + 1]
        return list(self._texts.slice(low, high - low).to_pylist())

    def token_times(self, row: int, text: str) -> Sequence[int] | np.ndarray | None:
        """Time of each token of `text` (the chunk's normalised text), None if none aligns."""
        if self._joined[row] == text:
            return self._token_times[self._token_offsets[row] : self._token_offsets[row + 1]]
        low, high = self._word_offsets[row], self._word_offsets[row + 1]
        return align_token_times(
            text.split(" ") if text else [],
            self.words(row),
            self._times[low:high].tolist(),
            self._language,
        )
