"""Several countries in one code location: Belgium's day from its drop folder through every asset
next to France's, each in its own lake; the rollup across countries; a country's partitions and
nightly schedule in its own time zone (a Brazilian test profile, America/Sao_Paulo)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster import AssetKey, DagsterInstance, build_schedule_context, partition_loading_context

from assets.keys import COUNTRY_ROLLUP, DAILY_TABLES
from definitions import build_definitions
from observatoire.intake.demo import write_demo_drop_folder
from observatoire.reference.countries import load_country
from observatoire.reference.reference import table_version
from observatoire.settings import Settings, SettingsError
from observatoire.storage.lake import Lake

BRUSSELS = ZoneInfo("Europe/Brussels")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DAY = date(2024, 3, 5)
TEST_PROFILES = Path(__file__).resolve().parents[1] / "observatoire" / "countries"

VRT1 = {"name": "vrt1", "title": "VRT 1", "radio": False}
LA_UNE = {"name": "la-une", "title": "La Une", "radio": False}
DUTCH = (
    "goedenavond in het journaal vanavond de klimaatverandering zorgt voor meer overstromingen "
    "langs de schelde zeggen wetenschappers"
)
DUTCH_QUIET = "en dan het sportnieuws de rode duivels wonnen gisteren met twee tegen nul"
FRENCH = (
    "bonsoir à tous le réchauffement climatique provoque des inondations plus fréquentes "
    "selon un nouveau rapport des scientifiques"
)
FRENCH_QUIET = "place au sport le standard a gagné hier soir devant son public"


def item(channel: dict, local: datetime, text: str) -> dict:
    """A chunk in the provider's shape, its words spread over the first minute."""
    start = int(local.timestamp())
    words = text.split()
    step = 60_000 // len(words)
    return {
        "channel": channel,
        "start": start,
        "plaintext": text,
        "srt": [
            {"text": word, "cts_in_ms": start * 1000 + i * step, "duration_ms": step}
            for i, word in enumerate(words)
        ],
    }


def write_belgian_day(drop: Path, day: date) -> None:
    """Two chunks of the 19:00 news on VRT 1 (Dutch) and two of the 19:30 news on La Une."""
    at = datetime(day.year, day.month, day.day, tzinfo=BRUSSELS)
    records = [
        item(VRT1, at + timedelta(hours=19, minutes=2), DUTCH),
        item(VRT1, at + timedelta(hours=19, minutes=4), DUTCH_QUIET),
        item(LA_UNE, at + timedelta(hours=19, minutes=32), FRENCH),
        item(LA_UNE, at + timedelta(hours=19, minutes=34), FRENCH_QUIET),
    ]
    folder = drop / day.isoformat()
    folder.mkdir(parents=True)
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    (folder / "captions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def two_countries(tmp_path_factory):
    root = tmp_path_factory.mktemp("countries")
    write_belgian_day(root / "drop-be", DAY)
    settings = Settings.from_env(
        {
            "OBSERVATOIRE_COUNTRIES": "fr,be",
            "OBSERVATOIRE_LAKE_URL": str(root / "lake"),
            "OBSERVATOIRE_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
            "OBSERVATOIRE_PARTITIONS_START": "2024-01-01",
            "OBSERVATOIRE_CAPTION_SOURCE_BE": "files",
            "OBSERVATOIRE_DROP_FOLDER_BE": str(root / "drop-be"),
        }
    )
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        for job in ("be_reference_data", "reference_data"):
            assert defs.resolve_job_def(job).execute_in_process(instance=instance).success
        results = {
            job: defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=DAY.isoformat()
            )
            for job in ("be_daily_stages", "daily_stages")
        }
        yield defs, instance, root, results


def test_a_belgian_day_from_files_goes_through_every_asset(two_countries):
    _, _, root, results = two_countries
    result = results["be_daily_stages"]
    assert result.success
    materialised = {
        (event.asset_key.to_user_string(), event.partition)
        for event in result.get_asset_materialization_events()
        for event in [event.event_specific_data.materialization]
    }
    assert materialised == {(f"be/{table}", DAY.isoformat()) for table in DAILY_TABLES}
    lake = Lake(str(root / "lake" / "be"))
    captions = lake.read_day("raw_captions", DAY)
    assert sorted(set(captions["channel_name"].to_pylist())) == ["la-une", "vrt1"]
    assert captions.num_rows == 4
    assert lake.read_day("raw_captions_rejected", DAY).num_rows == 0
    indicators = {
        row["channel_name"]: row for row in lake.read_day("channel_indicators", DAY).to_pylist()
    }
    channels = set(lake.read_table("channels")["name"].to_pylist())
    assert set(indicators) == channels >= {"la-une", "vrt1"}
    assert indicators["la-une"]["covered_minutes"] == pytest.approx(4.0)
    assert indicators["vrt1"]["covered_minutes"] == pytest.approx(4.0)
    assert indicators["la-une"]["env_minutes"] > 0
    keywords = lake.read_day("theme_keywords", DAY)
    counted = keywords.filter(pc.field("counted")).to_pylist()
    assert {"la-une", "vrt1"} <= {row["channel_name"] for row in counted}
    # The Dutch sentence is matched with the Dutch dictionary on the Dutch channel.
    dutch = {row["keyword"] for row in counted if row["channel_name"] == "vrt1"}
    assert "klimaatverandering" in dutch
    assert indicators["vrt1"]["env_minutes"] > 0


def test_a_belgian_day_s_materialisations_name_the_dictionary_version_its_files_carry(
    two_countries,
):
    """Belgium matches with two dictionaries: the version the UI shows for its segments and
    evidence is the one stamped on their files and compared by the indicators, not a hash of the
    two languages' rows merged."""
    _, _, root, results = two_countries
    lake = Lake(str(root / "lake" / "be"))
    stamped = {
        table_version(lake.read_day("theme_segments", DAY)),
        table_version(lake.read_day("theme_keywords", DAY)),
        *lake.read_day("channel_indicators", DAY)["dictionary_version"].to_pylist(),
    }
    assert stamped == {load_country("be").dictionaries_version()}
    shown = {
        event.event_specific_data.materialization.metadata["dictionary_version"].value
        for event in results["be_daily_stages"].get_asset_materialization_events()
        if event.asset_key.to_user_string() in ("be/theme_segments", "be/theme_keywords")
    }
    assert shown == stamped


def test_france_keeps_its_own_lake_and_keys(two_countries):
    defs, _, root, results = two_countries
    assert results["daily_stages"].success
    france = Lake(str(root / "lake"))
    assert set(france.read_day("channel_indicators", DAY)["channel_name"].to_pylist()) >= {
        "france2",
        "tf1",
    }
    assert "la-une" not in france.read_day("raw_captions", DAY)["channel_name"].to_pylist()
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_captions", "be/raw_captions", "channel_indicators"} <= keys


def test_the_rollup_is_the_ratio_of_sums_over_common_days(two_countries):
    defs, instance, root, _ = two_countries
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[COUNTRY_ROLLUP])
    assert result.success
    [event] = result.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    sums = {"env": 0.0, "covered": 0.0}
    for lake in (Lake(str(root / "lake")), Lake(str(root / "lake" / "be"))):
        day = lake.read_day("channel_indicators", DAY)
        sums["env"] += pc.sum(day["env_minutes"]).as_py() * 60
        sums["covered"] += pc.sum(day["covered_minutes"]).as_py() * 60
    assert metadata["common_days"].value == 1
    assert metadata["env_seconds"].value == pytest.approx(sums["env"])
    assert metadata["monitored_seconds"].value == pytest.approx(sums["covered"])
    assert metadata["share"].value == pytest.approx(sums["env"] / sums["covered"])


def test_the_rollup_refuses_a_country_whose_days_were_counted_differently(two_countries):
    """A Belgian day counted with another dictionary fails the rollup, naming the days of each
    version, unless the mix is allowed; then the metadata says which days have which."""
    defs, instance, root, _ = two_countries
    belgium = Lake(str(root / "lake" / "be"))
    other_day = DAY + timedelta(days=1)
    day = belgium.read_day("channel_indicators", DAY)
    column = day.schema.get_field_index("dictionary_version")
    older = pa.array(["0ld0d1c710aa"] * day.num_rows, day.schema.field(column).type)
    belgium.write_day(
        "channel_indicators", other_day, day.set_column(column, "dictionary_version", older)
    )
    job = defs.resolve_implicit_global_asset_job_def()
    try:
        refused = job.execute_in_process(
            instance=instance, asset_selection=[COUNTRY_ROLLUP], raise_on_error=False
        )
        assert not refused.success
        [failure] = [event for event in refused.all_events if event.is_step_failure]
        message = failure.step_failure_data.user_failure_data.description
        assert "0ld0d1c710aa" in message and str(other_day) in message
        allowed = job.execute_in_process(
            instance=instance,
            asset_selection=[COUNTRY_ROLLUP],
            run_config={
                "ops": {
                    "environmental_share_across_countries": {
                        "config": {"allow_mixed_versions": True}
                    }
                }
            },
        )
        [event] = allowed.get_asset_materialization_events()
        metadata = event.event_specific_data.materialization.metadata
        assert "MIXED VERSIONS" in metadata["counted_with"].value["be"]
        assert metadata["common_days"].value == 1  # France has no such day
    finally:
        shutil.rmtree(root / "lake" / "be" / "channel_indicators" / f"day={other_day}")


def test_an_unknown_country_is_refused_with_the_profiles_available():
    with pytest.raises(SettingsError, match=r"COUNTRIES.*zz.*available: be, fr"):
        Settings.from_env({"OBSERVATOIRE_COUNTRIES": "fr,zz"})


@pytest.fixture(scope="module")
def brazil():
    settings = Settings(countries=("fr", "br"), partitions_start="2018-10-01")
    return build_definitions(settings, countries_root=TEST_PROFILES)


def test_a_country_s_daily_partitions_are_its_local_days(brazil):
    node = brazil.resolve_asset_graph().get(
        next(k for k in brazil.resolve_asset_graph().get_all_asset_keys() if k.path[:1] == ["br"])
    )
    partitions = brazil.resolve_job_def("br_daily_stages").partitions_def
    assert partitions.timezone == "America/Sao_Paulo"
    assert node.group_name.startswith("br_")
    # 2024-01-15 00:00 in São Paulo is 03:00 UTC: the 14th is complete only from then.
    before = datetime(2024, 1, 15, 2, 59, tzinfo=UTC)
    after = datetime(2024, 1, 15, 3, 0, tzinfo=UTC)
    with partition_loading_context(before):
        assert partitions.get_last_partition_key() == "2024-01-13"
    with partition_loading_context(after):
        assert partitions.get_last_partition_key() == "2024-01-14"
    # 2018-11-04: clocks went from 00:00 to 01:00, so the day starts at 01:00 (-02, 03:00 UTC).
    window = partitions.time_window_for_partition_key("2018-11-04")
    assert window.start.astimezone(UTC) == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert window.end.astimezone(UTC) == datetime(2018, 11, 5, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tick", "expected"),
    [
        # 02:00 in São Paulo (-03) is 05:00 UTC, when it is already 06:00 in Paris.
        (datetime(2024, 1, 15, 5, 0, tzinfo=UTC), "2024-01-14"),
        # The spring-forward day 2018-11-04 (midnight skipped): 02:00 -02 is 04:00 UTC.
        (datetime(2018, 11, 4, 2, 0, tzinfo=SAO_PAULO), "2018-11-03"),
        (datetime(2018, 11, 5, 2, 0, tzinfo=SAO_PAULO), "2018-11-04"),
    ],
)
def test_the_nightly_schedule_runs_at_two_local_time_for_the_previous_day(brazil, tick, expected):
    schedule = brazil.resolve_schedule_def("br_nightly_previous_day")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "America/Sao_Paulo"
    assert schedule.job_name == "br_daily_stages"
    with build_schedule_context(scheduled_execution_time=tick) as context:
        data = schedule.evaluate_tick(context)
    [request] = data.run_requests
    assert request.partition_key == expected


def test_the_nightly_ticks_follow_the_country_s_clock_across_its_dst_change(brazil):
    from dagster._utils.schedules import cron_string_iterator

    schedule = brazil.resolve_schedule_def("br_nightly_previous_day")
    start = datetime(2018, 11, 2, tzinfo=SAO_PAULO)
    ticks = cron_string_iterator(
        start.timestamp(), schedule.cron_schedule, schedule.execution_timezone
    )
    utc = [next(ticks).astimezone(UTC) for _ in range(4)]
    assert [t.isoformat() for t in utc] == [
        "2018-11-02T05:00:00+00:00",
        "2018-11-03T05:00:00+00:00",
        "2018-11-04T04:00:00+00:00",
        "2018-11-05T04:00:00+00:00",
    ]
    france = brazil.resolve_schedule_def("nightly_previous_day")
    assert france.execution_timezone == "Europe/Paris"


def test_belgian_demo_days_read_from_its_drop_folder_give_the_demo_source_s_figures(tmp_path):
    """In a demo deployment Belgium's captions come from the demo generator; the same demo days
    written as drop-folder files and read through the real files source give the same figures."""
    profile = load_country("be")
    write_demo_drop_folder(tmp_path / "drop", [DAY], profile.channels(), profile.grid(), seed=0)
    lakes = {}
    for name, extra in {
        "demo": {},
        "files": {
            "OBSERVATOIRE_CAPTION_SOURCE_BE": "files",
            "OBSERVATOIRE_DROP_FOLDER_BE": str(tmp_path / "drop"),
        },
    }.items():
        settings = Settings.from_env(
            {
                "OBSERVATOIRE_COUNTRIES": "fr,be",
                "OBSERVATOIRE_LAKE_URL": str(tmp_path / name),
                "OBSERVATOIRE_WAREHOUSE_PATH": str(tmp_path / f"{name}.duckdb"),
                "OBSERVATOIRE_PARTITIONS_START": "2024-01-01",
                **extra,
            }
        )
        defs = build_definitions(settings)
        with DagsterInstance.ephemeral() as instance:
            assert (
                defs.resolve_job_def("be_reference_data")
                .execute_in_process(instance=instance)
                .success
            )
            assert (
                defs.resolve_job_def("be_daily_stages")
                .execute_in_process(instance=instance, partition_key=DAY.isoformat())
                .success
            )
        lakes[name] = Lake(str(tmp_path / name / "be"))
    columns = ["channel_name", "covered_minutes", "env_minutes", "coverage"]
    demo = lakes["demo"].read_day("channel_indicators", DAY).select(columns)
    files = lakes["files"].read_day("channel_indicators", DAY).select(columns)
    assert demo.to_pylist() == files.to_pylist()
    by_channel = {row["channel_name"]: row for row in demo.to_pylist()}
    assert all(by_channel[c]["covered_minutes"] > 0 for c in ("vrt1", "vtm", "radio1", "la-une"))
    assert sum(by_channel[c]["env_minutes"] for c in ("vrt1", "vtm", "radio1")) > 0


def test_a_country_on_files_needs_its_drop_folder():
    with pytest.raises(
        SettingsError, match="CAPTION_SOURCE_BE=files needs OBSERVATOIRE_DROP_FOLDER_BE"
    ):
        Settings.from_env(
            {"OBSERVATOIRE_COUNTRIES": "fr,be", "OBSERVATOIRE_CAPTION_SOURCE_BE": "files"}
        )


def test_belgium_publishes_its_month_in_its_own_lake(two_countries):
    defs, instance, root, _ = two_countries
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[AssetKey(["be", "open_data"]), AssetKey(["be", "report"])],
        partition_key="2024-03-01",
    )
    assert result.success
    release = root / "lake" / "be" / "open_data" / "indicators_2024-03-01_2024-03-31"
    rows = (release / "indicators_2024-03-01_2024-03-31.csv").read_text(encoding="utf-8")
    assert '"vrt1"' in rows and '"tf1"' not in rows
    assert (root / "lake" / "be" / "reports" / "report_2024-03.html").is_file()
    assert not (root / "lake" / "open_data").exists()
