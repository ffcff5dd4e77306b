"""The lake both ways, for tests that must hold on local disk and on object storage alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from resources.lake import LakeResource
from tests.services import S3Bucket


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    """A lake on local disk, then on a fresh bucket of the loopback S3 server."""
    if request.param == "local":
        return Lake(str(tmp_path / "lake"))
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    return LakeResource.from_settings(Settings.from_env(bucket.environ())).lake()
