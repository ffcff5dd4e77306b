"""One writer per broadcast day: a lease object per day in the lake, and staged publication.

Every stage reads a day, merges its channels in and writes the day back. Two runs doing that for
the same day at once would each write a day missing the other's rows, so a step first takes the
lease of each of its days: an object `<lake>/_leases/day=YYYY-MM-DD.json` naming the run that
holds it and when the lease expires. The lease is taken with a compare-and-swap the storage itself
enforces: conditional writes (`If-None-Match: *` to create, `If-Match: <etag>` to renew, take over
an expired lease or release) on object storage, an exclusive `flock` around the read-and-replace on
local disk. A run that finds its day held by another run waits, then fails naming that run.

While it holds its days, a step stages every file it writes under a hidden name and publishes them
all once every day has been computed: a step that fails half-way leaves all of its days as they
were. Leases expire (a killed run cannot block a day for ever) and are renewed as the step writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pyarrow as pa

from observatoire.storage.lake import Lake, LakeError

Answer = TypeVar("Answer")

LEASE_SECONDS = 600.0
"""How long a lease lasts without renewal; a step renews it every time it stages a file."""
WAIT_SECONDS = 900.0
"""How long a step waits for a day held by another run before failing."""
POLL_SECONDS = 1.0


class DayTakenError(LakeError):
    """Another run holds the day: the message names it and when its lease expires."""


@dataclass(frozen=True)
class Lease:
    owner: str
    expires: float
    tag: str  # the version token of the lease object (S3 ETag, or a counter on local disk)


class _LeaseObjects:
    """Compare-and-swap on one small JSON object per day; `None` means 'no object there'."""

    def read(self, path: str) -> tuple[dict[str, Any], str] | None:
        raise NotImplementedError

    def swap(self, path: str, expected: str | None, body: dict[str, Any]) -> str | None:
        """Write `body` if the object's tag is still `expected`; returns the new tag or None."""
        raise NotImplementedError

    def delete(self, path: str, expected: str) -> None:
        raise NotImplementedError


class _LocalLeaseObjects(_LeaseObjects):
    """Local disk: an exclusive flock on a sibling lock file makes read-compare-write atomic
    between processes; the tag is a counter stored in the object."""

    def _locked(self, path: str, action: Callable[[], Answer]) -> Answer:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            return action()
        finally:
            os.close(descriptor)

    def _read_unlocked(self, path: str) -> tuple[dict[str, Any], str] | None:
        try:
            body = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return None
        return body, str(body.get("tag", ""))

    def read(self, path: str) -> tuple[dict[str, Any], str] | None:
        return self._locked(path, lambda: self._read_unlocked(path))

    def swap(self, path: str, expected: str | None, body: dict[str, Any]) -> str | None:
        def action() -> str | None:
            current = self._read_unlocked(path)
            if (current[1] if current else None) != expected:
                return None
            tag = str(int(expected or "0") + 1)
            temporary = Path(f"{path}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps({**body, "tag": tag}))
            os.replace(temporary, path)
            return tag

        return self._locked(path, action)

    def delete(self, path: str, expected: str) -> None:
        def action() -> None:
            current = self._read_unlocked(path)
            if current is not None and current[1] == expected:
                Path(path).unlink()

        self._locked(path, action)


class _S3LeaseObjects(_LeaseObjects):
    """Object storage: S3 conditional writes, the tag is the object's ETag."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def _key(self, path: str) -> str:
        return path.removeprefix(f"{self.bucket}/")

    def read(self, path: str) -> tuple[dict[str, Any], str] | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(path))
        except self.client.exceptions.NoSuchKey:
            return None
        return json.loads(answer["Body"].read()), answer["ETag"]

    def swap(self, path: str, expected: str | None, body: dict[str, Any]) -> str | None:
        condition = {"IfNoneMatch": "*"} if expected is None else {"IfMatch": expected}
        try:
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(path),
                Body=json.dumps(body).encode(),
                ContentType="application/json",
                **condition,
            )
        except self.client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404"):
                return None
            raise
        return str(answer["ETag"])

    def delete(self, path: str, expected: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(path), IfMatch=expected)
        except self.client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("PreconditionFailed", "NoSuchKey", "404"):
                raise


def _lease_objects(lake: Lake) -> _LeaseObjects:
    if lake.s3 is None:
        return _LocalLeaseObjects()
    return _S3LeaseObjects(lake.s3_client(), lake.s3.bucket)


class DayLeases:
    """The leases of some days for one owner (a run id), taken in day order to avoid deadlock."""

    def __init__(
        self,
        lake: Lake,
        owner: str,
        *,
        lease_seconds: float = LEASE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        log: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        finished: Callable[[str], bool] | None = None,
    ) -> None:
        self.lake = lake
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.log = log or (lambda message: None)
        self.clock = clock
        self.finished = finished or (lambda owner: False)
        """Whether a run is known to have ended (its lease was left by a failure, not in use)."""
        self.objects = _lease_objects(lake)
        self.held: dict[date, Lease] = {}

    def _body(self) -> dict[str, Any]:
        return {"owner": self.owner, "expires": self.clock() + self.lease_seconds}

    def _try(self, day: date) -> tuple[bool, dict[str, Any] | None]:
        path = self.lake.lease_path(day)
        current = self.objects.read(path)
        if current is not None:
            body, tag = current
            owner = str(body.get("owner"))
            mine = owner == self.owner
            live = float(body.get("expires", 0)) > self.clock() and not self.finished(owner)
            if not mine and live:
                return False, body
            expected: str | None = tag
        else:
            expected = None
        new = self._body()
        new_tag = self.objects.swap(path, expected, new)
        if new_tag is None:
            return False, None
        # Read back: a store that ignored the condition would let the last writer win silently.
        stored = self.objects.read(path)
        if stored is None or stored[0].get("owner") != self.owner:
            return False, stored[0] if stored else None
        self.held[day] = Lease(self.owner, new["expires"], stored[1])
        return True, None

    def acquire(self, days: Iterable[date]) -> None:
        """Take every day's lease, waiting up to `wait_seconds` for days held by other runs."""
        for day in sorted(set(days)):
            deadline = time.monotonic() + self.wait_seconds
            announced = False
            while True:
                taken, holder = self._try(day)
                if taken:
                    break
                if time.monotonic() >= deadline:
                    self.release(best_effort=True)
                    who = holder.get("owner", "another run") if holder else "another run"
                    raise DayTakenError(
                        f"day {day} is being written by run {who} (lake {self.lake.describe()}); "
                        f"waited {self.wait_seconds:.0f} s: run this day again once it is done"
                    )
                if holder and not announced:
                    self.log(f"day {day} is being written by run {holder.get('owner')}: waiting")
                    announced = True
                time.sleep(self.poll_seconds)

    def renew(self) -> None:
        """Push every held lease's expiry forward; fails if one was lost (expired and taken)."""
        for day, lease in list(self.held.items()):
            if lease.expires - self.clock() > self.lease_seconds * 0.75:
                continue
            body = self._body()
            tag = self.objects.swap(self.lake.lease_path(day), lease.tag, body)
            if tag is None:
                raise DayTakenError(
                    f"the lease of day {day} expired and was taken by another run: "
                    "nothing of this step was published"
                )
            self.held[day] = Lease(self.owner, body["expires"], tag)

    def release(self, best_effort: bool = False) -> None:
        """Give the days back. `best_effort` (after a failure, maybe an outage) never raises: a
        lease that cannot be deleted expires, or is taken over once its run has ended."""
        for day, lease in list(self.held.items()):
            try:
                self.objects.delete(self.lake.lease_path(day), lease.tag)
            except Exception:
                if not best_effort:
                    raise
            del self.held[day]


class StagedDays:
    """A lake view for one step: reads go to the lake, day writes are staged and published
    together when the step has computed every day (`with` block), under the days' leases."""

    def __init__(self, lake: Lake, leases: DayLeases, days: Sequence[date]) -> None:
        self.lake = lake
        self.leases = leases
        self.days = list(days)
        self.staged: dict[tuple[str, date], str] = {}
        self.staged_elsewhere: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lake, name)

    def __enter__(self) -> StagedDays:
        self.leases.acquire(self.days)
        return self

    def read_day(self, table: str, day: date, columns: Sequence[str] | None = None) -> pa.Table:
        """A day this step has staged reads as staged: the step sees its own writes."""
        staged = self.staged.get((table, day))
        if staged is None:
            return self.lake.read_day(table, day, columns)
        return self.lake.read_staged(staged, table, day, columns)

    def has_day(self, table: str, day: date) -> bool:
        return (table, day) in self.staged or self.lake.has_day(table, day)

    read_days = Lake.read_days
    """Several days through this view's `read_day`, staged days included."""

    def write_day(self, table: str, day: date, data: pa.Table) -> str:
        if day not in self.leases.held:
            raise LakeError(f"{table} for {day}: this step does not hold that day's lease")
        self.leases.renew()
        folder = self.lake.day_path(table, day).rsplit("/", 1)[0]
        self.lake.sweep_temporary(folder=folder)
        path = self.lake.stage_day(table, day, data, self.leases.owner)
        self.staged[(table, day)] = path
        return path

    @property
    def owner(self) -> str:
        """Who stages this step's files: the run holding the days' leases."""
        return self.leases.owner

    def stage_elsewhere(self, tables: Iterable[str]) -> None:
        """Other processes (day workers) stage `tables` for this step's days with
        `Lake.stage_day(table, day, data, self.owner)`; a failed step removes what they staged,
        whether or not it was adopted yet."""
        self.staged_elsewhere.update(tables)

    def adopt(self, table: str, day: date, path: str) -> None:
        """A day file another process staged for this step, published with the step's own.

        The file is written where this step would have staged it, under its owner's name: a day
        worker encodes and writes the day, and the run's process only publishes it."""
        if day not in self.leases.held:
            raise LakeError(f"{table} for {day}: this step does not hold that day's lease")
        if table not in self.staged_elsewhere:
            raise LakeError(f"{table} is not staged by other processes for this step")
        expected = self.lake.staged_path(table, day, self.leases.owner)
        if path != expected:
            raise LakeError(f"{table} for {day}: staged at {path}, expected {expected}")
        self.leases.renew()
        folder = self.lake.day_path(table, day).rsplit("/", 1)[0]
        self.lake.sweep_temporary(folder=folder)
        self.staged[(table, day)] = path

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._abandon()
            return
        try:
            self.leases.renew()
            for (table, day), path in sorted(self.staged.items(), key=lambda i: i[0][1]):
                self.lake.publish(path, table, day)
                del self.staged[(table, day)]
        except BaseException:
            self._abandon()
            raise
        self.leases.release()

    def _abandon(self) -> None:
        """After a failure: remove what was staged and give the days back, without hiding the
        failure behind a second one (the storage may be what failed)."""
        paths = set(self.staged.values()) | {
            self.lake.staged_path(table, day, self.leases.owner)
            for table in self.staged_elsewhere
            for day in self.days
        }
        for path in sorted(paths):
            with suppress(Exception):  # a hidden leftover at worst, swept once a day old
                self.lake.discard(path)
        self.staged = {}
        self.leases.release(best_effort=True)


__all__ = ["DayLeases", "DayTakenError", "Lease", "StagedDays"]
