"""Settings: the one reader of OBSERVATOIRE_* variables; defaults give the embedded set-up."""

from __future__ import annotations

import pytest

from observatoire.settings import Settings, SettingsError


def test_defaults_give_the_embedded_local_set_up():
    settings = Settings.from_env({})
    assert settings.lake_url == "./data/lake"
    assert settings.warehouse_path == "./data/warehouse.duckdb"
    assert settings.caption_source == "demo"
    assert settings.window_seconds == 20
    assert settings.partitions_start_date.isoformat() == settings.partitions_start


def test_variables_override_defaults_and_empty_means_default():
    settings = Settings.from_env(
        {
            "OBSERVATOIRE_LAKE_URL": "/srv/lake",
            "OBSERVATOIRE_WINDOW_SECONDS": "15",
            "OBSERVATOIRE_PARTITIONS_START": "2023-09-01",
            "OBSERVATOIRE_PROFILE": "ome-2024",
            "OBSERVATOIRE_WAREHOUSE_PATH": "",
        }
    )
    assert settings.lake_url == "/srv/lake"
    assert settings.window_seconds == 15
    assert settings.partitions_start == "2023-09-01"
    assert settings.profile == "ome-2024"
    assert settings.warehouse_path == "./data/warehouse.duckdb"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OBSERVATOIRE_WINDOW_SECONDS", "seven", "must be an integer"),
        ("OBSERVATOIRE_WINDOW_SECONDS", "25", "must divide 120"),
        ("OBSERVATOIRE_PARTITIONS_START", "01/09/2023", "YYYY-MM-DD"),
        ("OBSERVATOIRE_PROFILE", "fast", "must be one of"),
        ("OBSERVATOIRE_CAPTION_SOURCE", "tv", "must be one of"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value, message):
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({name: value})
    assert name in str(error.value)


def test_describe_masks_secrets():
    described = Settings(s3_secret_key="hunter2", s3_access_key="AKIA").describe()
    assert "hunter2" not in str(described) and "AKIA" not in str(described)
