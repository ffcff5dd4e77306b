"""Every setting the project reads from the environment, read in this one place.

`Settings.from_env()` is called when the code location loads (definitions.py) and by the command
line; nothing else looks at `os.environ`, so the full list of knobs is this file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal, TypeVar, get_args

from observatoire.core.broadcast_day import CHUNK_SECONDS
from observatoire.core.text import PROFILES
from observatoire.reference.countries import (
    DEFAULT_COUNTRY,
    CountryProfile,
    available_countries,
)
from observatoire.runs.job_costs import (
    DEFAULT_PRICE_PER_GB_SECOND,
    DEFAULT_PRICE_PER_VCPU_SECOND,
    PriceTable,
)

PREFIX = "OBSERVATOIRE_"

CAPTION_SOURCES = ("demo", "mediatree", "files")
"""Caption sources known to this code location; other sources extend the tuple."""

_SECRET_WORDS = ("secret", "password", "token", "access_key")


class SettingsError(ValueError):
    """An environment variable holds a value the project cannot use; the message names it."""


def _text(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(PREFIX + name, "").strip()
    return value or default


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(PREFIX + name, "").strip()
    return value or None


def _integer(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number, got {raw!r}") from None


def _day(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = _text(environ, name, default)
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a date YYYY-MM-DD, got {raw!r}") from None
    return raw


def _scaleway(environ: Mapping[str, str], name: str) -> str | None:
    """A standard Scaleway variable (`SCW_*`), used as a fallback for object storage settings."""
    value = environ.get("SCW_" + name, "").strip()
    return value or None


def variable_holding(
    value: str | None, names: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str | None:
    """Which of `names` holds `value` in the environment, if any.

    Resources bind such a secret as `dagster.EnvVar(name)`, which the Dagster UI shows by name,
    rather than as a plain string, which it would show in clear.
    """
    env = os.environ if environ is None else environ
    if not value:
        return None
    return next((name for name in names if env.get(name, "").strip() == value), None)


Choice = TypeVar("Choice", bound=str)

QueryBy = Literal["slots", "day"]
OnMissing = Literal["fail", "record"]
Paging = Literal["one-based", "zero-based", "none"]


def _choice(
    environ: Mapping[str, str], name: str, default: Choice, allowed: tuple[Choice, ...]
) -> Choice:
    value = _text(environ, name, default)
    for option in allowed:
        if value == option:
            return option
    raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}, got {value!r}")


def _countries(environ: Mapping[str, str]) -> tuple[str, ...]:
    """`COUNTRIES`: comma-separated codes of packaged country profiles (default: the default
    country), each checked against the profiles available."""
    raw = _text(environ, "COUNTRIES", DEFAULT_COUNTRY)
    codes = tuple(code.strip().lower() for code in raw.split(",") if code.strip())
    known = available_countries()
    unknown = [code for code in codes if code not in known]
    if unknown or not codes:
        raise SettingsError(
            f"{PREFIX}COUNTRIES names no country profile for {', '.join(unknown) or 'nothing'} "
            f"(got {raw!r}; available: {', '.join(known)})"
        )
    return codes


@dataclass(frozen=True)
class Settings:
    """Configuration of one deployment; defaults give the embedded local set-up."""

    lake_url: str = "./data/lake"
    """Where the Parquet lake lives: a local folder, or `s3://bucket/prefix`."""
    warehouse_path: str = "./data/warehouse.duckdb"
    """DuckDB file holding one view per lake table, for analysts' SQL."""
    caption_source: str = "demo"
    """Which caption source feeds raw_captions (`demo`: generated captions, no network)."""
    partitions_start: str = "2024-01-01"
    """First broadcast day of the daily partitions (each country's broadcast days, in its zone)."""
    partitions_end: str | None = None
    """Last daily partition; by default the last complete broadcast day (yesterday, local)."""
    window_seconds: int = 20
    """Width W of a counting window, in seconds (METHODOLOGY §4); must divide 120."""
    profile: str = "default"
    """Counting profile: `default`, or `ome-2024` to continue the 2024 reference series."""
    dictionary_csv: str | None = None
    """A keyword dictionary CSV replacing the packaged French one."""
    stop_phrases: str | None = None
    """A stop-phrase file (one phrase a line) used with `dictionary_csv`."""
    programme_grid_csv: str | None = None
    """A programme grid CSV replacing the packaged default grid."""
    demo_seed: int = 0
    """Seed of the demo caption generator (same seed, same captions)."""
    s3_endpoint: str | None = None
    """Object storage endpoint for an `s3://` lake, e.g. `https://s3.fr-par.scw.cloud`."""
    s3_region: str | None = None
    """Object storage region, e.g. `fr-par` (falls back to `SCW_DEFAULT_REGION`)."""
    s3_access_key: str | None = field(default=None, repr=False)
    """Object storage access key (falls back to `SCW_ACCESS_KEY`)."""
    s3_secret_key: str | None = field(default=None, repr=False)
    """Object storage secret key (falls back to `SCW_SECRET_KEY`); never logged."""
    alert_webhook_url: str | None = field(default=None, repr=False)
    """Webhook receiving a JSON alert for every failed run (its URL often holds a token)."""
    ui_url: str = "http://localhost:3000"
    """Address of the Dagster UI, for the run links in alerts."""
    mediatree_url: str | None = None
    """Caption provider API root (source `mediatree`), e.g. `https://keywords.mediatree.fr`."""
    mediatree_user: str | None = field(default=None, repr=False)
    """Caption provider API user name; never logged."""
    mediatree_password: str | None = field(default=None, repr=False)
    """Caption provider API password; never logged."""
    mediatree_query_by: QueryBy = "slots"
    """Query the provider per programme-grid slot (`slots`, with a margin) or per channel-day."""
    mediatree_on_missing: OnMissing = "fail"
    """A channel-day the provider cannot deliver fails the run (`fail`) or is `record`ed missing."""
    mediatree_page_size: int = 1000
    """Items asked per provider request (1..1000); the maximum keeps most queries to one page."""
    mediatree_paging: Paging = "one-based"
    """How the provider numbers pages: `one-based`, `zero-based`, or `none` (one request)."""
    drop_folder_url: str | None = None
    """Drop folder of caption files (source `files`): a local folder or `s3://bucket/prefix`."""
    job_price_vcpu_second: float = DEFAULT_PRICE_PER_VCPU_SECOND
    """Serverless Jobs price, EUR per vCPU-second (default: see `observatoire.runs.job_costs`)."""
    job_price_gb_second: float = DEFAULT_PRICE_PER_GB_SECOND
    """Serverless Jobs price, EUR per GB-second of memory."""
    day_workers: int = 0
    """Most worker processes a multi-day run computes its days on (0: the run's CPU allowance)."""
    drop_naive_timezone: str | None = None
    """Time zone of Parquet timestamps written without one (wall-clock times of the export);
    by default the time zone of the drop folder's country."""
    countries: tuple[str, ...] = (DEFAULT_COUNTRY,)
    """Codes of the countries this deployment measures (profiles in
    `observatoire/data/countries/`); the default country keeps its unprefixed assets."""
    country_caption_sources: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Caption source of a country other than the default, by code
    (`OBSERVATOIRE_CAPTION_SOURCE_<CODE>`); see `caption_source_of`."""
    country_drop_folders: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Drop folder of a country other than the default, by code
    (`OBSERVATOIRE_DROP_FOLDER_<CODE>`)."""

    def __post_init__(self) -> None:
        if self.window_seconds <= 0 or CHUNK_SECONDS % self.window_seconds:
            raise SettingsError(
                f"{PREFIX}WINDOW_SECONDS must divide {CHUNK_SECONDS} (e.g. 15, 20, 30), "
                f"got {self.window_seconds}"
            )
        if self.stop_phrases and not self.dictionary_csv:
            raise SettingsError(
                f"{PREFIX}STOP_PHRASES is only read together with {PREFIX}DICTIONARY_CSV"
            )
        if self.day_workers < 0:
            raise SettingsError(
                f"{PREFIX}DAY_WORKERS must be 0 (the CPU allowance) or more, got {self.day_workers}"
            )
        if self.caption_source == "mediatree" and not self.mediatree_url:
            raise SettingsError(f"{PREFIX}CAPTION_SOURCE=mediatree needs {PREFIX}MEDIATREE_URL")
        if not 1 <= self.mediatree_page_size <= 1000:
            raise SettingsError(
                f"{PREFIX}MEDIATREE_PAGE_SIZE must be within 1..1000, "
                f"got {self.mediatree_page_size}"
            )
        if self.caption_source == "files" and not self.drop_folder_url:
            raise SettingsError(f"{PREFIX}CAPTION_SOURCE=files needs {PREFIX}DROP_FOLDER")
        self._check_countries()

    def _check_countries(self) -> None:
        if not self.countries:
            raise SettingsError(f"{PREFIX}COUNTRIES must name at least one country")
        if len(set(self.countries)) != len(self.countries):
            raise SettingsError(
                f"{PREFIX}COUNTRIES lists a country twice: {','.join(self.countries)}"
            )
        for code, source in self.country_caption_sources.items():
            if source not in CAPTION_SOURCES or source == "mediatree":
                raise SettingsError(
                    f"{PREFIX}CAPTION_SOURCE_{code.upper()} must be demo or files, got {source!r}"
                )
            if source == "files" and code not in self.country_drop_folders:
                raise SettingsError(
                    f"{PREFIX}CAPTION_SOURCE_{code.upper()}=files needs "
                    f"{PREFIX}DROP_FOLDER_{code.upper()}"
                )

    def caption_source_of(self, profile: CountryProfile) -> str:
        """The caption source of a country: the default country's is `CAPTION_SOURCE`; another
        country's is `CAPTION_SOURCE_<CODE>` when set, else `demo` in a demo deployment (the
        default country on demo captions), else its profile's kind."""
        if profile.code == DEFAULT_COUNTRY:
            return self.caption_source
        if profile.code in self.country_caption_sources:
            return self.country_caption_sources[profile.code]
        return "demo" if self.caption_source == "demo" else profile.caption_source

    def drop_folder_of(self, code: str) -> str | None:
        """The drop folder of a country (`DROP_FOLDER` for the default country,
        `DROP_FOLDER_<CODE>` for another one)."""
        if code == DEFAULT_COUNTRY:
            return self.drop_folder_url
        return self.country_drop_folders.get(code)

    @property
    def job_prices(self) -> PriceTable:
        """The price table job run costs are computed with."""
        return PriceTable(
            per_vcpu_second=self.job_price_vcpu_second, per_gb_second=self.job_price_gb_second
        )

    @property
    def partitions_start_date(self) -> date:
        return date.fromisoformat(self.partitions_start)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `OBSERVATOIRE_*` variables; unset or empty means the default."""
        env = os.environ if environ is None else environ
        defaults = cls()
        countries = _countries(env)
        return cls(
            lake_url=_text(env, "LAKE_URL", defaults.lake_url),
            warehouse_path=_text(env, "WAREHOUSE_PATH", defaults.warehouse_path),
            caption_source=_choice(env, "CAPTION_SOURCE", defaults.caption_source, CAPTION_SOURCES),
            partitions_start=_day(env, "PARTITIONS_START", defaults.partitions_start),
            partitions_end=_optional(env, "PARTITIONS_END") and _day(env, "PARTITIONS_END", ""),
            window_seconds=_integer(env, "WINDOW_SECONDS", defaults.window_seconds),
            profile=_choice(env, "PROFILE", defaults.profile, PROFILES),
            dictionary_csv=_optional(env, "DICTIONARY_CSV"),
            stop_phrases=_optional(env, "STOP_PHRASES"),
            programme_grid_csv=_optional(env, "PROGRAMME_GRID_CSV"),
            demo_seed=_integer(env, "DEMO_SEED", defaults.demo_seed),
            s3_endpoint=_optional(env, "S3_ENDPOINT"),
            s3_region=_optional(env, "S3_REGION") or _scaleway(env, "DEFAULT_REGION"),
            s3_access_key=_optional(env, "S3_ACCESS_KEY") or _scaleway(env, "ACCESS_KEY"),
            s3_secret_key=_optional(env, "S3_SECRET_KEY") or _scaleway(env, "SECRET_KEY"),
            alert_webhook_url=_optional(env, "ALERT_WEBHOOK_URL"),
            ui_url=_text(env, "UI_URL", defaults.ui_url),
            mediatree_url=_optional(env, "MEDIATREE_URL"),
            mediatree_user=_optional(env, "MEDIATREE_USER"),
            mediatree_password=_optional(env, "MEDIATREE_PASSWORD"),
            mediatree_query_by=_choice(
                env, "MEDIATREE_QUERY_BY", defaults.mediatree_query_by, get_args(QueryBy)
            ),
            mediatree_on_missing=_choice(
                env, "MEDIATREE_ON_MISSING", defaults.mediatree_on_missing, get_args(OnMissing)
            ),
            mediatree_page_size=_integer(env, "MEDIATREE_PAGE_SIZE", defaults.mediatree_page_size),
            mediatree_paging=_choice(
                env,
                "MEDIATREE_PAGING",
                defaults.mediatree_paging,
                get_args(Paging),
            ),
            drop_folder_url=_optional(env, "DROP_FOLDER"),
            job_price_vcpu_second=_number(
                env, "JOB_PRICE_VCPU_SECOND", defaults.job_price_vcpu_second
            ),
            job_price_gb_second=_number(env, "JOB_PRICE_GB_SECOND", defaults.job_price_gb_second),
            drop_naive_timezone=_optional(env, "DROP_NAIVE_TIMEZONE"),
            day_workers=_integer(env, "DAY_WORKERS", defaults.day_workers),
            countries=countries,
            country_caption_sources={
                code: value
                for code in countries
                for value in [_optional(env, f"CAPTION_SOURCE_{code.upper()}")]
                if value is not None and code != DEFAULT_COUNTRY
            },
            country_drop_folders={
                code: value
                for code in countries
                for value in [_optional(env, f"DROP_FOLDER_{code.upper()}")]
                if value is not None and code != DEFAULT_COUNTRY
            },
        )

    def describe(self) -> dict[str, str]:
        """Settings as text, for run metadata and logs (holds no secrets)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.repr}
