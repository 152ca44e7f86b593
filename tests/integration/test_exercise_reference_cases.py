"""The seed's reference cases, reproduced: each built-in case scenario played at ×600 on the real
services with the unattended trainee; every seed figure is met, or the report names what prevents
it, and that reason is the one asserted here."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infra.exercise import stack
from services.exercise import store
from services.exercise.scenario import load

pytestmark = pytest.mark.integration

CASES = ("telecom-fraud", "asian-games-hangzhou", "rainstorm-six-cities", "city-pool-45min")
# (scenario, figure) -> the reason the report gives for a figure its force (services/exercise/scenarios:
# `force`; every donor keeping 70 % of its on-duty strength) cannot meet:
UNMET: dict[tuple[str, str], str] = {
    # the flooded counties ask about 1,030 after their own share; plans fill about two thirds: only mobile,
    # specialist and rotating officers are deployable, and each must arrive within 4 hours on roads the
    # rain has halved, to serve a whole shift or a stint within 12 hours (docs/design/exercises.md, "The
    # rainstorm falls short")
    ("rainstorm-six-cities", "officers_sent"): "plans_short",
}


@pytest.mark.parametrize("name", CASES)
def test_a_reference_case_played_at_speed_meets_its_seed_figures_or_names_what_prevents_it(name, broker, tmp_path,
                                                                                           monkeypatch):
    monkeypatch.setattr(store, "EXERCISES", tmp_path / "exercises")
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap, VAR_DIR=str(tmp_path), START_TIMEOUT_S="240")
    scenario = load(name)
    result = stack.run_exercise(scenario, speed=600, auto_trainee=True, env=env, out=lambda line: None)
    assert all(i["ok"] for i in result["injects"]), [i["outcome"] for i in result["injects"] if not i["ok"]]
    report = json.loads(Path(result["report"]).with_suffix(".json").read_text(encoding="utf-8"))
    assert report["lang"] == "zh" and report["time_zone"] == "Asia/Shanghai"
    rows = {r["figure"]: r for r in report["seed_figures"]}
    assert set(rows) == {f["figure"] for f in scenario.seed_figures}
    outcome = {f: (r["achieved"], r["met"] or r["reason"]) for f, r in rows.items()}
    for figure, row in rows.items():
        expected = UNMET.get((name, figure))
        if expected is None:
            assert row["met"], outcome
        else:
            assert not row["met"] and row["reason"] == expected, outcome
    page = Path(result["report"]).read_text(encoding="utf-8")
    assert "与参考案例对照" in page and page.count("<tr>") > len(rows)
