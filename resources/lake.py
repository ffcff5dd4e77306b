"""The lake as a Dagster resource: where the Parquet tables live, built from configuration.

Credentials are string fields that accept `dagster.EnvVar(...)`; `from_settings` binds them that
way when they come from the environment (resources/secrets.py), so the Dagster UI shows the
variable's name and never the secret itself.
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from observatoire.matching.day_matching import LakeAddress
from observatoire.reference.countries import DEFAULT_COUNTRY
from observatoire.settings import Settings
from observatoire.storage.lake import DEFAULT_LAKE_URL, Lake
from resources.secrets import bound_secret, resolved_secret

ACCESS_KEY_VARIABLES = ("OBSERVATOIRE_S3_ACCESS_KEY", "SCW_ACCESS_KEY")
SECRET_KEY_VARIABLES = ("OBSERVATOIRE_S3_SECRET_KEY", "SCW_SECRET_KEY")


def country_lake_url(url: str, country: str | None) -> str:
    """`<url>/<code>` for a country other than the default one, else `url`."""
    if country is None or country == DEFAULT_COUNTRY:
        return url
    return f"{url.rstrip('/')}/{country}"


class LakeResource(ConfigurableResource):
    """Parquet lake on local disk (a folder) or S3-compatible object storage (`s3://bucket/prefix`)."""

    url: str = Field(
        default=DEFAULT_LAKE_URL,
        description="Local folder or s3://bucket/prefix where the Parquet tables live.",
    )
    s3_endpoint: str | None = Field(
        default=None,
        description="Object storage endpoint URL, e.g. https://s3.fr-par.scw.cloud (s3:// only).",
    )
    s3_region: str | None = Field(default=None, description="Object storage region, e.g. fr-par.")
    access_key: str | None = Field(default=None, description="Object storage access key.")
    secret_key: str | None = Field(default=None, description="Object storage secret key.")

    @classmethod
    def from_settings(cls, settings: Settings, country: str | None = None) -> LakeResource:
        """The lake of the settings; for a country other than the default (`country`), its own
        lake in the folder or prefix `<lake>/<code>`, so the default country's layout is
        unchanged and no table is shared between countries."""
        return cls(
            url=country_lake_url(settings.lake_url, country),
            s3_endpoint=settings.s3_endpoint,
            s3_region=settings.s3_region,
            access_key=bound_secret(settings.s3_access_key, ACCESS_KEY_VARIABLES),
            secret_key=bound_secret(settings.s3_secret_key, SECRET_KEY_VARIABLES),
        )

    def lake(self) -> Lake:
        return Lake(
            self.url,
            s3_endpoint=self.s3_endpoint,
            s3_region=self.s3_region,
            access_key=resolved_secret(self.access_key),
            secret_key=resolved_secret(self.secret_key),
        )

    def address(self) -> LakeAddress:
        """The lake as worker processes open it (they cannot receive a live client)."""
        return LakeAddress(
            self.url,
            s3_endpoint=self.s3_endpoint,
            s3_region=self.s3_region,
            access_key=resolved_secret(self.access_key),
            secret_key=resolved_secret(self.secret_key),
        )
