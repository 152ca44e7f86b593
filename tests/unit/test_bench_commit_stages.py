"""The commit benchmark's stage timing (`python -m bench.resources_bench --stages`): each function it
names is timed where the commit calls it, and put back as it was afterwards."""
from __future__ import annotations

from bench.resources_bench import STAGES, stage_owner, stages_table, timed_stages
from services.common import contracts


def _current(module: str, name: str):
    owner, attr = stage_owner(module, name)
    return owner.__dict__[attr]


def test_each_stage_names_a_function_that_is_timed_while_open_and_restored_after():
    before = {(m, n): _current(m, n) for _, m, n in STAGES}
    spent: dict[str, float] = {}
    with timed_stages(spent):
        assert all(_current(m, n) is not before[m, n] for _, m, n in STAGES)
        assert contracts.validate_event("officer.status-changed", {"type": "officer.status-changed"})  # invalid: issues
    assert spent.keys() == {"  of which contract checks"} and spent["  of which contract checks"] > 0
    assert all(_current(m, n) is before[m, n] for _, m, n in STAGES)


def test_the_table_has_a_row_per_stage_and_a_column_per_plan_shape():
    stages = {label: 1.0 for label, _, _ in STAGES}
    figures = {(1, 1): {"median_ms": 4.0, "mean_ms": 4.5, "stages": stages},
               (60, 5): {"median_ms": 18.0, "mean_ms": 19.0, "stages": stages}}
    table = stages_table("sqlite", figures).splitlines()
    assert "1 officer" in table[0] and "60 from 12 counties" in table[0]
    assert [line.split("|")[0].strip() for line in table[1:-3]] == [s.strip() for s in dict.fromkeys(label for label, _, _ in STAGES)]
    assert table[-1].split("|")[1].split() == ["4.50", "(4.0)"]
