"""Records one per line (JSONL), read so that one bad or huge line costs one reject, nothing more.

Lines are read in blocks: memory holds one block and at most one line of ``MAX_RECORD_BYTES``,
whatever a file holds (a line beyond the limit is hashed and counted, never held whole). Decoding
errors, invalid JSON, nesting too deep for the decoder and any other failure reject that line with
its number, and the next line is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from observatoire.intake.records import MAX_RECORD_BYTES, STORED_OVERSIZED_BYTES, Origin

READ_BLOCK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class OversizedLine:
    """A line longer than MAX_RECORD_BYTES: never held whole, only its head, size and hash."""

    head: str
    size: int
    digest: str


def record_lines(stream: Any) -> Iterator[tuple[int, bytes | OversizedLine]]:
    """(1-based line number, bytes) of every non-blank line, read in blocks so that memory holds
    at most one block plus one line of at most MAX_RECORD_BYTES, whatever the file holds."""
    number = 0
    line = _LineBuffer()
    while block := stream.read(READ_BLOCK_BYTES):
        start = 0
        while True:
            end = block.find(b"\n", start)
            line.add(block[start:] if end < 0 else block[start:end])
            if end < 0:
                break
            number += 1
            ended = line.finish()
            if ended is not None:
                yield number, ended
            start = end + 1
    ended = line.finish()
    if ended is not None:
        yield number + 1, ended


class _LineBuffer:
    """The line being read: its bytes while it stays under MAX_RECORD_BYTES, past that only its
    head, size and hash, so an oversized line never sits whole in memory."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.oversized: tuple[bytearray, int, Any] | None = None  # head, size so far, hash

    def add(self, piece: bytes) -> None:
        if self.oversized is not None:
            head, size, digest = self.oversized
            digest.update(piece)
            if len(head) < STORED_OVERSIZED_BYTES:
                head.extend(piece[: STORED_OVERSIZED_BYTES - len(head)])
            self.oversized = (head, size + len(piece), digest)
            return
        self.pending.extend(piece)
        if len(self.pending) > MAX_RECORD_BYTES:
            self.oversized = (
                bytearray(self.pending[:STORED_OVERSIZED_BYTES]),
                len(self.pending),
                hashlib.sha256(self.pending),
            )
            self.pending = bytearray()

    def finish(self) -> bytes | OversizedLine | None:
        """The line that just ended (None when blank); the buffer starts the next one."""
        oversized, pending = self.oversized, self.pending
        self.oversized, self.pending = None, bytearray()
        if oversized is not None:
            head, size, digest = oversized
            return OversizedLine(
                bytes(head).decode("utf-8", errors="replace"), size, digest.hexdigest()
            )
        if pending.strip():
            return bytes(pending)
        return None


def decode_line(line: bytes, origin: Origin, name: str) -> tuple[Origin, Any, str | None]:
    """A line's record, or (its text, the reason) when it cannot be decoded; never raises."""
    where = f"{name} line {origin.line}"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raw = line.decode("utf-8", errors="replace")
        return origin, raw, f"{where}: not UTF-8 (byte {error.start}: {error.reason})"
    try:
        return origin, json.loads(text), None
    except RecursionError:
        return origin, text, f"{where}: not valid JSON: nested too deeply"
    except ValueError as error:
        return origin, text, f"{where}: not valid JSON: {error}"
    except Exception as error:  # one bad line must never stop the file
        return origin, text, f"{where}: cannot be read: {type(error).__name__}: {error}"


def oversized_reason(where: str, line: OversizedLine) -> str:
    """Reject reason of a line refused for its size, with the measured size."""
    return (
        f"{where}: record of {line.size} bytes exceeds the limit of {MAX_RECORD_BYTES} bytes "
        f"(stored cut to its first {STORED_OVERSIZED_BYTES} characters, with its length and "
        "sha256)"
    )
