"""A broken reference file stops the code location from loading, with the reason it shows."""

from __future__ import annotations

import pytest

from assets.reference import ReferenceDataError
from definitions import build_definitions
from observatoire.settings import Settings


def test_a_broken_dictionary_refuses_to_load_and_says_why(tmp_path):
    broken = tmp_path / "dictionary.csv"
    broken.write_text(
        "keyword,theme,high_risk,category,language\n"
        "sécheresse,changement_climatique_consequences,,water,fr\n",
        encoding="utf-8",
    )
    settings = Settings(lake_url=str(tmp_path / "lake"), dictionary_csv=str(broken))
    with pytest.raises(ReferenceDataError) as error:
        build_definitions(settings)
    assert str(error.value) == (
        f"keyword dictionary refused: {broken}: line 2, column 3 (high_risk): empty; "
        "write true or false"
    )


def test_a_latin1_dictionary_refuses_to_load(tmp_path):
    broken = tmp_path / "dictionary.csv"
    broken.write_bytes(
        "keyword,theme,high_risk,category,language\n"
        "sécheresse,changement_climatique_consequences,false,water,fr\n".encode("latin-1")
    )
    with pytest.raises(ReferenceDataError, match=r"line 2, column 2: not UTF-8 \(byte 0xe9\)"):
        build_definitions(Settings(lake_url=str(tmp_path / "lake"), dictionary_csv=str(broken)))


@pytest.mark.parametrize(
    ("setting", "refused"),
    [("dictionary_csv", "keyword dictionary refused"), ("programme_grid_csv", "programme grid")],
)
def test_an_unreadable_reference_file_refuses_to_load(tmp_path, setting, refused):
    missing = tmp_path / "absent.csv"
    settings = Settings(lake_url=str(tmp_path / "lake"), **{setting: str(missing)})
    with pytest.raises(ReferenceDataError, match=refused) as error:
        build_definitions(settings)
    assert str(missing) in str(error.value)
