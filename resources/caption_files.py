"""The caption drop folder as a caption source resource.

Layout, accepted formats and what is refused are described in `observatoire.intake.drop_folder`,
which lists and reads the folder; this resource holds where it is and how to reach it. Its object
storage keys are configuration bound to the environment variables holding them, as the lake's are
(resources/secrets.py): nothing reads the environment during a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from dagster import MetadataValue, get_dagster_logger
from pydantic import Field, PrivateAttr

from observatoire.intake.drop_folder import DROP_FOLDER_SOURCE, DropFolder
from observatoire.intake.intake import CaptionFetch
from observatoire.reference.countries import DEFAULT_COUNTRY
from observatoire.reference.grid import ProgrammeGrid
from observatoire.settings import Settings
from resources.captions import CaptionSource
from resources.lake import ACCESS_KEY_VARIABLES, SECRET_KEY_VARIABLES
from resources.secrets import bound_secret, resolved_secret


class FileCaptionSource(CaptionSource):
    """Captions of a day read from a drop folder (local path or ``s3://bucket/prefix``)."""

    url: str = Field(description="Local folder or s3://bucket/prefix of the day folders.")
    s3_endpoint: str | None = None
    s3_region: str | None = None
    access_key: str | None = Field(default=None, description="Object storage access key.")
    secret_key: str | None = Field(default=None, description="Object storage secret key.")
    naive_timezone: str | None = Field(
        default=None,
        description="Time zone of Parquet timestamps written without one (default: time_zone).",
    )
    time_zone: str | None = Field(
        default=None,
        description="The country's time zone, whose calendar dates name the day folders.",
    )

    _folder: DropFolder | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(
        cls, settings: Settings, country: str = DEFAULT_COUNTRY, time_zone: str | None = None
    ) -> FileCaptionSource:
        """The drop folder of ``OBSERVATOIRE_DROP_FOLDER`` (``OBSERVATOIRE_DROP_FOLDER_<CODE>``
        for a country other than the default), with the lake's object storage endpoint, region
        and keys (used for an ``s3://`` folder only). Timestamps without a zone are read in
        ``OBSERVATOIRE_DROP_NAIVE_TIMEZONE``, else in the country's ``time_zone``."""
        url = settings.drop_folder_of(country)
        if not url:
            variable = (
                "DROP_FOLDER" if country == DEFAULT_COUNTRY else f"DROP_FOLDER_{country.upper()}"
            )
            raise ValueError(f"OBSERVATOIRE_{variable} is not set (caption source files)")
        on_s3 = url.startswith("s3://")
        return cls(
            url=url,
            s3_endpoint=settings.s3_endpoint,
            s3_region=settings.s3_region,
            access_key=bound_secret(settings.s3_access_key, ACCESS_KEY_VARIABLES)
            if on_s3
            else None,
            secret_key=bound_secret(settings.s3_secret_key, SECRET_KEY_VARIABLES)
            if on_s3
            else None,
            naive_timezone=settings.drop_naive_timezone,
            time_zone=time_zone,
        )

    @property
    def source_name(self) -> str:
        return DROP_FOLDER_SOURCE

    def folder(self) -> DropFolder:
        if self._folder is None:
            self._folder = DropFolder(
                self.url,
                s3_endpoint=self.s3_endpoint,
                s3_region=self.s3_region,
                access_key=resolved_secret(self.access_key),
                secret_key=resolved_secret(self.secret_key),
                naive_timezone=self.naive_timezone,
                **({"zone": ZoneInfo(self.time_zone)} if self.time_zone else {}),
            )
        return self._folder

    def describe(self) -> dict[str, MetadataValue]:
        return {
            "caption_source": MetadataValue.text(self.source_name),
            "drop_folder": MetadataValue.text(self.url),
        }

    def fetch_day(self, day: date, channels: Sequence[str], grid: ProgrammeGrid) -> CaptionFetch:
        """Every record filed under ``day``; which channels they belong to is decided at parsing
        (aliases resolved, unknown channels quarantined), never here. The grid is not used: a
        drop folder delivers whole days."""
        folder = self.folder()
        read = folder.read_day(day)
        get_dagster_logger().info(
            f"drop folder {folder.describe()} day {day}: {len(read.files)} file(s), "
            f"{len(read.items)} item(s), {len(read.pre_rejected)} unreadable or refused"
            + (f" (refused: {', '.join(read.refused)})" if read.refused else "")
        )
        return CaptionFetch(
            items=read.items,
            source=self.source_name,
            missing=[],
            pre_rejected=read.pre_rejected,
            origins=read.origins,
        )
