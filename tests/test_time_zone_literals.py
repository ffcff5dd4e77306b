"""France's time zone is data of France's profile: no code, data or configuration file outside it
(and the tests) names it, so a country in another zone cannot silently inherit Paris's rules.
Documentation (Markdown) may state it as a fact about France."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRANCE_PROFILE = "observatoire/data/countries/fr/profile.toml"
ZONE = "Europe/" + "Paris"


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    return [line for line in listed.splitlines() if line]


def test_only_frances_profile_names_its_time_zone() -> None:
    offenders = []
    for name in tracked_files():
        if name.startswith("tests/") or name == FRANCE_PROFILE or name.endswith(".md"):
            continue
        path = REPO / name
        if not path.is_file():
            continue
        if ZONE.encode() in path.read_bytes():
            offenders.append(name)
    assert offenders == [], f"{ZONE} written outside France's profile: {offenders}"


def test_frances_profile_names_it() -> None:
    assert ZONE in (REPO / FRANCE_PROFILE).read_text(encoding="utf-8")
