"""The experts' keyword workbook: import to CSV with every bad row named, export back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from observatoire.cli import main
from observatoire.core.dictionary import (
    default_dictionary,
    load_dictionary_csv,
    parse_dictionary_csv,
)
from observatoire.core.dictionary_workbook import (
    WORKBOOK_COLUMNS,
    WorkbookError,
    export_workbook,
    import_workbook,
    read_workbook,
)
from observatoire.reference.countries import load_country

HEADER = list(WORKBOOK_COLUMNS)


def _workbook(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


GOOD = {
    "fr": [
        HEADER,
        ["changement climatique", "changement_climatique_constat", False, "climat", "general"],
        ["Sécheresse", "changement_climatique_consequences", True, "climat", "water"],
    ],
    "nl": [
        HEADER,
        ["klimaat*", "changement_climatique_constat", "ja", "climat", "general"],
        [],  # blank rows are skipped
        ["ontbossing", "biodiversite_causes", 0, "biodiversite", "forest"],
    ],
}


def test_import_writes_one_csv_per_sheet(tmp_path):
    source = _workbook(tmp_path / "keywords.xlsx", GOOD)
    written = import_workbook(source, tmp_path / "out")
    assert [p.name for p in written] == ["dictionary_fr.csv", "dictionary_nl.csv"]
    french = load_dictionary_csv(tmp_path / "out" / "dictionary_fr.csv")
    assert [(e.keyword, e.high_risk, e.category, e.language) for e in french.entries] == [
        ("changement climatique", False, "general", "fr"),
        ("sécheresse", True, "water", "fr"),
    ]
    dutch = load_dictionary_csv(tmp_path / "out" / "dictionary_nl.csv")
    assert [(e.keyword, e.high_risk, e.crisis) for e in dutch.entries] == [
        ("klimaat*", True, "climat"),
        ("ontbossing", False, "biodiversite"),
    ]


def test_import_twice_gives_the_same_files(tmp_path):
    source = _workbook(tmp_path / "keywords.xlsx", GOOD)
    first = [p.read_bytes() for p in import_workbook(source, tmp_path / "out")]
    second = [p.read_bytes() for p in import_workbook(source, tmp_path / "out")]
    assert first == second
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "dictionary_fr.csv",
        "dictionary_nl.csv",
    ]


def test_every_bad_row_is_reported_with_sheet_and_line(tmp_path):
    source = _workbook(
        tmp_path / "bad.xlsx",
        {
            "fr": [
                HEADER,
                ["climat", "changement_climatique_constat", True, "climat", "general"],  # 2
                ["", "ressources", False, "ressources", "water"],  # 3: empty keyword
                ["forêt", "biodiversite_general", False, "biodiversite", "forest"],  # 4
                ["mer", "ressources", "peut-être", "ressources", "ocean"],  # 5: bad flag
                ["Climat", "changement_climatique_constat", True, "climat", "general"],  # 6: dup
                ["eau", "ressources", False, "eau", "water"],  # 7: unknown crisis
                ["sol", "ressources", False, "climat", "soil"],  # 8: crisis != theme's
                ["bois", "ressources", False, "ressources", "forests"],  # 9: unknown sector
                ["!!!", "ressources", False, "ressources", "general"],  # 10: no letter
            ],
            "nl": [
                ["keyword", "theme", "high_risk", "crisis"],  # missing column
                ["klimaat", "changement_climatique_constat", True, "climat"],
            ],
            "pt": [
                HEADER,
                ["clima*", "changement_climatique_constat", True, "climat", "general"],  # 2
                ["mar", "ressources", None, None, "ocean"],  # 3: empty flag and crisis
            ],
            "Sheet1": [HEADER],
        },
    )
    with pytest.raises(WorkbookError) as error:
        import_workbook(source, tmp_path / "out")
    problems = [(p.sheet, p.line) for p in error.value.problems]
    assert problems == [
        ("fr", 3),
        ("fr", 4),
        ("fr", 5),
        ("fr", 6),
        ("fr", 7),
        ("fr", 8),
        ("fr", 9),
        ("fr", 10),
        ("nl", 1),
        ("pt", 2),
        ("pt", 3),
        ("pt", 3),
        ("Sheet1", None),
    ]
    message = str(error.value)
    assert f"{source}: 13 problem(s)" in message
    assert "sheet 'fr', line 3: empty keyword" in message
    assert "sheet 'fr', line 4: unknown theme 'biodiversite_general'" in message
    assert "sheet 'fr', line 5: high_risk must be true or false, got 'peut-être'" in message
    assert "sheet 'fr', line 6: duplicate of line 2 ('climat' under" in message
    assert "sheet 'fr', line 7: unknown crisis 'eau'" in message
    assert "sheet 'fr', line 8: crisis 'climat' disagrees with theme 'ressources'" in message
    assert "sheet 'fr', line 9: unknown sector 'forests'" in message
    assert "sheet 'fr', line 10: keyword '!!!' has no letter or digit" in message
    assert "sheet 'nl', line 1: header must be keyword, theme, high_risk, crisis, sector" in message
    assert "sheet 'pt', line 2: 'clima*': compound heads" in message
    assert "sheet 'pt', line 3: unknown crisis ''" in message
    assert "sheet 'pt', line 3: high_risk must be true or false, got ''" in message
    assert "sheet 'Sheet1': name a sheet by its language code" in message
    assert not (tmp_path / "out").exists()  # nothing written from an invalid workbook


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "keywords.xlsx"
    path.write_text("keyword,theme\n", encoding="utf-8")
    with pytest.raises(WorkbookError, match="not a readable xlsx"):
        read_workbook(path)


def test_empty_sheet_and_sheet_without_rows(tmp_path):
    source = _workbook(tmp_path / "keywords.xlsx", {"fr": [], "nl": [HEADER]})
    with pytest.raises(WorkbookError) as error:
        read_workbook(source)
    assert [str(p) for p in error.value.problems] == [
        "sheet 'fr': empty sheet",
        "sheet 'nl': no keyword rows under the header",
    ]


def test_export_then_import_gives_back_the_csv(tmp_path):
    shipped = default_dictionary()
    dutch = load_country("be").dictionary("nl")
    path = export_workbook([*shipped.entries, *dutch.entries], tmp_path / "all.xlsx")
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["fr", "nl"]
    first_rows = list(workbook["nl"].iter_rows(max_row=2, values_only=True))
    workbook.close()
    assert first_rows[0] == WORKBOOK_COLUMNS
    assert first_rows[1][2] is False  # a real boolean cell, not the text "false"
    import_workbook(path, tmp_path / "out")
    assert (tmp_path / "out" / "dictionary_fr.csv").read_text(encoding="utf-8") == (
        shipped.to_csv()
    )
    assert (tmp_path / "out" / "dictionary_nl.csv").read_text(encoding="utf-8") == dutch.to_csv()


def test_cli_import_and_export(tmp_path, capsys):
    csv_path = load_country("be").dictionary_files["nl"]
    xlsx = tmp_path / "nl.xlsx"
    assert main(["dictionary", "export", str(csv_path), "--out", str(xlsx)]) == 0
    assert f"wrote {xlsx}" in capsys.readouterr().out
    assert main(["dictionary", "import", str(xlsx), "--out", str(tmp_path / "csv")]) == 0
    imported = parse_dictionary_csv(
        (tmp_path / "csv" / "dictionary_nl.csv").read_text(encoding="utf-8")
    )
    assert imported == parse_dictionary_csv(csv_path.read_text(encoding="utf-8"))


def test_cli_import_reports_bad_rows_and_fails(tmp_path, capsys):
    source = _workbook(
        tmp_path / "bad.xlsx",
        {"nl": [HEADER, ["zee*", "ressources", True, "ressources", "ocean"]]},
    )
    assert main(["dictionary", "import", str(source), "--out", str(tmp_path / "csv")]) == 2
    err = capsys.readouterr().err
    assert "sheet 'nl', line 2: 'zee*': a compound head needs at least 5 letters" in err
    assert not (tmp_path / "csv").exists()


def test_cli_exports_a_country(tmp_path, capsys):
    xlsx = tmp_path / "be.xlsx"
    assert main(["dictionary", "export", "--country", "be", "--out", str(xlsx)]) == 0
    workbook = load_workbook(xlsx, read_only=True)
    assert workbook.sheetnames == ["fr", "nl"]
    workbook.close()
    assert main(["dictionary", "export", "--out", str(xlsx)]) == 2
    assert "name dictionary CSV files or --country" in capsys.readouterr().err
