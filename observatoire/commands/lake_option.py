"""The `--lake` option shared by the commands that read the lake.

Without `--lake` a command opens the lake the pipeline is configured with, credentials for
object storage included, so `observatoire explain` and `observatoire indicators` read the same
figures the Dagster runs wrote.
"""

from __future__ import annotations

import argparse

from observatoire.settings import Settings
from observatoire.storage.lake import Lake


def add_lake_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake",
        default=None,
        help="lake folder or s3:// URL (default: the configured lake, OBSERVATOIRE_LAKE_URL)",
    )


def open_lake(args: argparse.Namespace) -> Lake:
    """The lake named by `--lake`, else the configured one (read through the settings module)."""
    settings = Settings.from_env()
    return Lake(
        args.lake or settings.lake_url,
        s3_endpoint=settings.s3_endpoint,
        s3_region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
    )
