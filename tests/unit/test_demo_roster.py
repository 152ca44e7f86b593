"""Saving and loading a force: JSON round trip, officers CSV, and the command line."""
import csv
import json

import pytest

from services.demo import generate
from services.demo.__main__ import main
from services.demo.roster import load_roster, to_records, write_officers_csv, write_roster


@pytest.fixture(scope="module")
def force():
    return generate("330000", officers=3000, seed=7)


def test_records_are_plain_json(force):
    records = to_records(force)
    assert set(records) == {"officers", "units", "equipment", "standards"}
    assert json.loads(json.dumps(records)) == records


def test_a_roster_written_and_loaded_back_is_the_same_force(force, tmp_path):
    loaded = load_roster(write_roster(force, tmp_path / "force.json"))
    assert loaded == force
    assert loaded.summary() == force.summary()


def test_the_csv_has_one_row_per_officer_with_lists_joined(force, tmp_path):
    path = write_officers_csv(force, tmp_path / "officers.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(force.officers)
    first = force.officers[0]
    assert rows[0]["officer_id"] == first.officer_id
    assert rows[0]["equipment_ids"].split(";") == list(first.equipment_ids)
    with_tags = next(o for o in force.officers if len(o.tags) > 1)
    row = next(r for r in rows if r["officer_id"] == with_tags.officer_id)
    assert row["tags"].split(";") == list(with_tags.tags)
    units = {u.unit_id: u for u in force.units}
    for row in (rows[0], rows[-1]):    # each row describes its officer's unit, so an import names it
        unit = units[row["unit_id"]]
        assert (row["unit_name"], row["unit_name_en"], row["unit_level"], row["unit_kind"]) == (
            unit.name, unit.name_en, unit.level, unit.kind)
        assert row["unit_name"].endswith("队") and row["unit_name_en"]


def test_the_command_line_prints_the_summary_and_writes_the_roster(tmp_path, capsys):
    out = tmp_path / "force.json"
    assert main(["--province", "330000", "--officers", "2000", "--seed", "7", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2000 officers" in printed and "specialist" in printed
    assert len(load_roster(out).officers) == 2000
