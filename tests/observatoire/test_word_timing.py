"""Token times from word lists (METHODOLOGY §3.6): the bulk path agrees with the per-chunk one."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.core.text import normalize
from observatoire.intake.records import SRT_TYPE
from observatoire.matching.matcher import Matcher
from observatoire.matching.word_timing import BatchWordTimes, align_token_times

START_MS = 1_700_000_000_000


def srt_column(*word_lists: list[str] | None, chunks: int = 1) -> pa.ChunkedArray:
    """An `srt` column (one list per chunk, None for a chunk without word list), its word times
    1 s apart from START_MS, split into `chunks` Arrow chunks."""
    rows = [
        None
        if words is None
        else [
            {"cts_in_ms": START_MS + 1000 * i, "duration_ms": 30, "text": word}
            for i, word in enumerate(words)
        ]
        for words in word_lists
    ]
    array = pa.array(rows, SRT_TYPE)
    step = max(1, -(-len(rows) // chunks))
    return pa.chunked_array(
        [array.slice(low, step) for low in range(0, len(rows), step)] or [array], SRT_TYPE
    )


def dictionary_words(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The same column with its word texts dictionary-encoded, as the lake reads them for
    matching."""
    word = column.type.value_type
    texts_as_dictionary = pa.struct(
        [
            field.with_type(pa.dictionary(pa.int32(), pa.string()))
            if field.name == "text"
            else field
            for field in word
        ]
    )
    return column.cast(pa.list_(texts_as_dictionary))


def per_chunk(words: list[str], text: str) -> list[int] | None:
    times = [START_MS + 1000 * i for i in range(len(words))]
    return align_token_times(text.split(" ") if text else [], words, times)


def as_list(times) -> list[int] | None:
    return None if times is None else [int(t) for t in times]


def test_agreeing_word_list_maps_times_one_to_one() -> None:
    batch = BatchWordTimes(srt_column(["la", "forêt", "brûle"]))
    assert batch.has_words(0)
    assert as_list(batch.token_times(0, "la forêt brûle")) == [
        START_MS,
        START_MS + 1000,
        START_MS + 2000,
    ]


def test_elision_inside_one_word_gives_both_tokens_its_time() -> None:
    words = ["<unk>", "l'eau", "L’Air", "est", "pur"]
    batch = BatchWordTimes(srt_column(words))
    text = normalize(" ".join(words))
    assert text == "l' eau l' air est pur"
    expected = [START_MS + 1000 * i for i in (1, 1, 2, 2, 3, 4)]
    assert as_list(batch.token_times(0, text)) == expected == per_chunk(words, text)


def test_unknown_and_empty_words_give_no_token() -> None:
    words = ["<unk>", "", "forêt", "<unk>", "tropicale", "<unk>"]
    batch = BatchWordTimes(srt_column(words))
    assert as_list(batch.token_times(0, "forêt tropicale")) == [START_MS + 2000, START_MS + 4000]


def test_text_that_disagrees_with_the_word_list_falls_back_to_alignment() -> None:
    words = ["la", "forêt", "brûle", "et", "la", "sécheresse", "dure"]
    text = normalize("euh la forêt brûle encore et la sécheresse dure")
    batch = BatchWordTimes(srt_column(words))
    times = as_list(batch.token_times(0, text))
    assert times == per_chunk(words, text)
    tokens = text.split(" ")
    assert times[tokens.index("sécheresse")] == START_MS + 5000
    assert times[0] == START_MS  # before any aligned word: the first aligned time
    assert BatchWordTimes(srt_column(["rien"])).token_times(0, "autre chose") is None


def test_chunks_without_words_and_split_columns_keep_their_rows() -> None:
    lists = [["un", "deux"], None, [], ["l'eau", "<unk>", "trois"], ["quatre"]]
    elided = [START_MS, START_MS, START_MS + 2000]
    for chunks in (1, 2, 5):
        batch = BatchWordTimes(srt_column(*lists, chunks=chunks))
        assert [batch.has_words(i) for i in range(5)] == [True, False, False, True, True]
        assert as_list(batch.token_times(3, "l' eau trois")) == [
            START_MS,
            START_MS,
            START_MS + 2000,
        ]
        assert batch.words(3) == ["l'eau", "<unk>", "trois"]
        assert as_list(batch.token_times(4, "quatre")) == [START_MS]
    sliced = BatchWordTimes(srt_column(*lists).combine_chunks().slice(3))
    assert as_list(sliced.token_times(0, "l' eau trois")) == elided


WORDS = st.sampled_from(
    ["la", "forêt", "l'eau", "l'", "eau", "<unk>", "", "Climat", "a b", "qu'il", "é", "e\u0301"]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(WORDS, max_size=8), min_size=1, max_size=4),
    st.lists(st.sampled_from(["same", "extra", "drop"]), min_size=4, max_size=4),
)
def test_bulk_times_equal_per_chunk_alignment(word_lists, edits) -> None:
    column = srt_column(*word_lists, chunks=2)
    for batch in (BatchWordTimes(column), BatchWordTimes(dictionary_words(column))):
        for row, (words, edit) in enumerate(zip(word_lists, edits, strict=False)):
            text = normalize(" ".join(words))
            if edit == "extra":
                text = normalize(f"euh {text} voilà")
            elif edit == "drop" and " " in text:
                text = text.split(" ", 1)[1]
            assert batch.has_words(row) == bool(words)
            assert batch.words(row) == words
            if text:
                assert as_list(batch.token_times(row, text)) == per_chunk(words, text)


def test_dictionary_encoded_words_with_missing_texts_time_like_plain_ones() -> None:
    rows = [
        [
            {"cts_in_ms": START_MS, "duration_ms": 30, "text": "l'eau"},
            {"cts_in_ms": START_MS + 1000, "duration_ms": 30, "text": None},
            {"cts_in_ms": START_MS + 2000, "duration_ms": 30, "text": "monte"},
        ],
        None,
    ]
    plain = pa.chunked_array([pa.array(rows, SRT_TYPE)])
    for batch in (BatchWordTimes(plain), BatchWordTimes(dictionary_words(plain))):
        assert batch.words(0) == ["l'eau", "", "monte"]
        assert as_list(batch.token_times(0, "l' eau monte")) == [
            START_MS,
            START_MS,
            START_MS + 2000,
        ]
        assert not batch.has_words(1)


def test_match_table_times_equal_match_chunk_on_irregular_word_lists() -> None:
    entries = (
        KeywordEntry(keyword="eau", theme="ressources"),
        KeywordEntry(keyword="forêt", theme="biodiversite_concepts_generaux"),
    )
    matcher = Matcher(KeywordDictionary(entries=entries, stop_phrases=()))
    cases = [
        (["<unk>", "l'eau", "et", "la", "forêt"], "l' eau et la forêt"),
        (["la", "forêt", "<unk>"], "euh la forêt brûle l' eau"),
        (["l'", "eau"], ""),  # no plaintext: the word list gives it
    ]
    items = [
        {
            "channel": {"name": "tf1", "title": "TF1", "radio": False},
            "start": START_MS // 1000 + 120 * i,
            "plaintext": text,
            "srt": [
                {"cts_in_ms": START_MS + 120_000 * i + 1000 * j, "duration_ms": 30, "text": w}
                for j, w in enumerate(words)
            ],
        }
        for i, (words, text) in enumerate(cases)
    ]
    rows = pa.Table.from_pylist(
        [
            {
                "chunk_id": f"c{i}",
                "channel_name": "tf1",
                "start": item["start"],
                "day": None,
                "plaintext": item["plaintext"],
                "srt": item["srt"],
            }
            for i, item in enumerate(items)
        ]
    ).cast(
        pa.schema(
            [
                ("chunk_id", pa.string()),
                ("channel_name", pa.string()),
                ("start", pa.int64()),
                ("day", pa.date32()),
                ("plaintext", pa.string()),
                ("srt", SRT_TYPE),
            ]
        )
    )
    keywords = matcher.match_table(rows).keywords.to_pylist()
    segments = matcher.match_table(rows).segments.to_pylist()
    for i, item in enumerate(items):
        match = matcher.match_chunk(item["plaintext"], item["start"], item["srt"])
        assert segments[i]["timing"] == match.timing == "srt"
        assert [(k["keyword"], k["t_ms"]) for k in keywords if k["chunk_id"] == f"c{i}"] == [
            (o.keyword, o.t_ms) for o in match.occurrences
        ]
    assert [k["t_ms"] - START_MS for k in keywords] == [1000, 4000, 121_000, 121_000, 241_000]
