"""Headless Chromium (Debian `chromium`) driven from the command line.

Each call starts a fresh browser with its own profile folder and no background networking, so a
test never depends on the machine's browser state and never leaves the loopback.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
TIMEOUT_SECONDS = 120
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def chromium_binary() -> str:
    """Path of the browser, or skip: `.ci/run` installs Debian's `chromium` package."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "headless browser tests need Debian's chromium (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)  # .ci/run installs it: a missing browser there is a broken CI
    pytest.skip(message)


def _run(url: str, extra: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [chromium_binary(), *FLAGS, f"--user-data-dir={profile}", *extra, url]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    if result.returncode != 0:
        raise AssertionError(f"chromium failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def dump_dom(url: str, virtual_time_budget_ms: int | None = None) -> str:
    """The DOM after load (and after scripts ran for the given virtual time), as HTML."""
    extra = ["--dump-dom"]
    if virtual_time_budget_ms is not None:
        extra.insert(0, f"--virtual-time-budget={virtual_time_budget_ms}")
    return _run(url, extra).stdout


def screenshot(
    url: str,
    path: Path,
    width: int = 1100,
    height: int = 2600,
    virtual_time_budget_ms: int | None = None,
) -> Path:
    """A PNG of the rendered page at `path` (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = [f"--screenshot={path}", f"--window-size={width},{height}"]
    if virtual_time_budget_ms is not None:
        extra.insert(0, f"--virtual-time-budget={virtual_time_budget_ms}")
    _run(url, extra)
    if not path.exists():
        raise AssertionError(f"chromium wrote no screenshot at {path}")
    return path


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its header."""
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height
