"""`benchmarks/backfill.py` on a few days: it runs both passes, times the bare matcher after each
run, compares the lakes and leaves no work folder behind. Only what it prints is checked, never
how fast anything was: the figures are the benchmark's to report."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_backfill_benchmark_runs_both_passes_and_compares_their_lakes(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "backfill.py"),
        *("--days", "3", "--workers", "2", "--bare-every", "2"),
    ]
    # its own session, so that the run's workers and the bare matcher's forks are stopped with
    # it even if the test is interrupted
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output

    work = re.search(r"work folder (\S+);", output)
    assert work is not None, output
    assert Path(work.group(1)).parent == tmp_path
    assert not Path(work.group(1)).exists(), "the work folder is removed without --keep"

    assert "sequential: 1 worker(s)" in output
    assert "parallel: 2 worker(s)" in output
    # days 1 and 3 of the range, each timed right after the run that made it
    bare = re.search(
        r"bare matcher +[\d,]+ chunks/s +\(Matcher.match_table on 2 of the days", output
    )
    assert bare is not None, output
    assert "timed after each run of the sequential pass" in output
    assert "with 2 processes matching at once (after each run of the parallel pass)" in output
    shares = re.findall(r"^  (sequential|parallel) +[\d,]+ chunks/s on (\d) worker", output, re.M)
    assert shares == [("sequential", "1"), ("parallel", "2"), ("parallel", "2")], output
    assert re.search(r"preparing +[\d.]+ s, computing +[\d.]+ s", output), output
    assert re.search(r"^lakes +\d+ day files each, identical content hashes$", output, re.M), output
