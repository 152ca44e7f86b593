"""Plan preview: the Mesa model with vectorised runs, its closed-form twin, and the uncertainty settings."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from services.common.contracts import example_event
from twin.sim.preview import PreviewModel, UnitRuns, plan_units, preview_numpy, preview_plan, reserve_left
from twin.sim.uncertainty import Distribution, PreviewConfig

FIXED = PreviewConfig(mobilisation=Distribution("fixed", (600.0,)), travel_factor=Distribution("fixed", (1.0,)))


@pytest.fixture
def plan() -> dict:
    return copy.deepcopy(example_event("plan.proposed")["data"])  # units of 2 officers, ETAs 1620/2100/2400 s


@pytest.fixture
def fork() -> dict:
    return {code: {"officers_on_duty": 100, "officers_committed": 10, "reserve_floor": 70, "name": code}
            for code in ("330782", "330703", "330727")}


def test_assignments_are_grouped_into_units_with_their_latest_eta(plan):
    units = plan_units(plan)
    assert [(u.unit_id, u.from_county, u.officers, u.eta_s) for u in units] == [
        ("UNIT-330782-TS-01", "330782", 2, 1620.0), ("UNIT-330703-TS-02", "330703", 2, 2100.0),
        ("UNIT-330727-CI-01", "330727", 2, 2400.0)]


def test_officers_without_a_unit_are_grouped_by_donor_and_line(plan):
    for assignment in plan["assignments"]:
        assignment.pop("unit_id")
    assert [u.unit_id for u in plan_units(plan)] == ["330782/L1", "330703/L1", "330727/L2"]


def test_without_uncertainty_every_run_arrives_at_the_planned_eta(plan, fork):
    preview = preview_plan(plan, fork, deadline_s=2400, config=FIXED)
    assert [(u["p50_s"], u["p90_s"]) for u in preview["units"]] == [(1620, 1620), (2100, 2100), (2400, 2400)]
    assert preview["whole"] == {"p50_s": 2400, "p90_s": 2400, "p_deadline": 1.0, "p_in_horizon": 1.0}
    assert preview_plan(plan, fork, deadline_s=2399, config=FIXED)["whole"]["p_deadline"] == 0.0


def test_the_build_up_counts_the_officers_in_place_at_the_deadline_and_each_hour(plan, fork):
    # units of 2 arriving at 1620, 2100 and 2400 s
    points = preview_plan(plan, fork, deadline_s=1800, config=FIXED)["build_up"]
    assert [(p["at_s"], p["deadline"], p["in_place_p50"], p["in_place_p10"]) for p in points] == [
        (1800, True, 2, 2), (3600, False, 6, 6)]
    assert [p["at_s"] for p in preview_plan(plan, fork, deadline_s=None, config=FIXED)["build_up"]] == [3600]


def test_the_build_up_goes_on_until_nine_runs_in_ten_are_complete_in_coarser_steps_when_long(plan, fork):
    for a, eta in zip(plan["assignments"], (3000, 9000, 12000, 12000, 30000, 30000)):
        a["eta_s"] = eta
    points = preview_plan(plan, fork, deadline_s=1800, config=FIXED)["build_up"]
    # the last unit at 30,000 s: 9 hours, in steps of 2 (no more than six hourly marks)
    assert [p["at_s"] / 3600 for p in points] == [0.5, 2, 4, 6, 8, 10]
    assert [p["in_place_p50"] for p in points] == [0, 0, 4, 4, 4, 6]
    assert preview_numpy(plan, fork, deadline_s=1800, config=FIXED)["build_up"] == points


def test_donor_strength_drops_when_its_unit_leaves(plan, fork):
    donor = preview_plan(plan, fork, deadline_s=None, config=FIXED)["donors"][0]
    times, strength = donor["times_s"], donor["strength_p50"]
    assert donor["county"] == "330703" and donor["on_duty"] == 100
    assert all(s == 90 for t, s in zip(times, strength) if t < 600)  # 100 on duty - 10 already committed
    assert all(s == 88 for t, s in zip(times, strength) if t >= 600)  # its 2 officers left after mobilising
    assert donor["end_ratio_p50"] == 0.88 and donor["p_below_floor"] == 0.0


def test_reserve_left_is_the_lowest_donor_share(plan, fork):
    fork["330727"]["officers_committed"] = 40
    preview = preview_plan(plan, fork, deadline_s=None, config=FIXED)
    assert reserve_left(preview) == pytest.approx(0.58)
    assert next(d for d in preview["donors"] if d["county"] == "330727")["p_below_floor"] == 1.0


def test_the_same_seed_gives_the_same_preview_and_another_seed_another(plan, fork):
    assert preview_plan(plan, fork, deadline_s=2677) == preview_plan(plan, fork, deadline_s=2677)
    other = preview_plan(plan, fork, deadline_s=2677, config=PreviewConfig(seed=1))
    assert other["whole"] != preview_plan(plan, fork, deadline_s=2677)["whole"]


def test_the_mesa_model_and_the_closed_form_agree_run_for_run(plan, fork):
    config = PreviewConfig(runs=500, seed=3)
    assert preview_plan(plan, fork, deadline_s=2677, config=config) == \
        preview_numpy(plan, fork, deadline_s=2677, config=config)


def test_the_runs_live_in_the_agents_as_arrays(plan, fork):
    model = PreviewModel(plan, fork, deadline_s=None, config=PreviewConfig(runs=200))
    units = list(model.agents_by_type[UnitRuns])
    assert len(units) == 3 and all(u.arrival.shape == (200,) for u in units)
    model.run()
    assert model.elapsed_s == pytest.approx(7260)  # 121 steps of a minute: t = 0 .. 7200 s observed
    assert all(np.all(u.progress == 1.0) for u in units)


def test_more_uncertainty_spreads_the_arrivals_and_costs_deadline_chance(plan, fork):
    calm = PreviewConfig(travel_factor=Distribution("lognormal", (1.0, 0.05)),
                         mobilisation=Distribution("lognormal", (600.0, 0.1)))
    rough = PreviewConfig(travel_factor=Distribution("lognormal", (1.0, 0.5)),
                          mobilisation=Distribution("lognormal", (600.0, 0.8)))
    calm_whole = preview_plan(plan, fork, deadline_s=2677, config=calm)["whole"]
    rough_whole = preview_plan(plan, fork, deadline_s=2677, config=rough)["whole"]
    assert rough_whole["p90_s"] > calm_whole["p90_s"]
    assert rough_whole["p_deadline"] < calm_whole["p_deadline"]


def test_the_horizon_follows_the_plan_so_its_figures_are_always_numbers(plan, fork):
    """A configured horizon shorter than the plan (30 min for arrivals up to 45 min) is stretched to
    cover the deadline and the latest arrival at its 99.9th percentile: no figure is 'beyond the horizon'."""
    slow = PreviewConfig(horizon_s=1800, mobilisation=Distribution("fixed", (600.0,)),
                         travel_factor=Distribution("fixed", (1.0,)))
    preview = preview_plan(plan, fork, deadline_s=2677, config=slow)
    latest = max(a["eta_s"] for a in plan["assignments"])
    assert preview["units"][0]["p50_s"] == 1620 and preview["whole"]["p50_s"] == latest
    assert preview["whole"]["p_in_horizon"] == 1.0 and preview["whole"]["p_deadline"] == 1.0
    assert preview["config"]["horizon_s"] == 3360  # 1.25 x the 2677-s deadline, in whole minutes
    rough = PreviewConfig(horizon_s=1800, travel_factor=Distribution("lognormal", (1.0, 0.5)))
    covered = rough.covering(latest, 2677)
    assert covered.horizon_s >= 600 * 4.7 + (latest - 600) * 4.6  # both tails at their 99.9th percentile
    whole = preview_plan(plan, fork, deadline_s=2677, config=rough)["whole"]
    assert whole["p90_s"] is not None and whole["p_in_horizon"] >= 0.99
    assert PreviewConfig(horizon_s=7200).covering(60, None).horizon_s == 7200  # never shorter than configured


def test_a_county_that_never_reported_counts_as_unknown_strength(plan):
    preview = preview_plan(plan, {}, deadline_s=None, config=FIXED)
    assert all(d["end_ratio_p50"] is None for d in preview["donors"])
    assert reserve_left(preview) is None


@pytest.mark.parametrize("text, samples_between", [
    ("lognormal:600:0.5", (0, np.inf)), ("triangular:300:600:1200", (300, 1200)),
    ("uniform:0.9:1.3", (0.9, 1.3)), ("fixed:600", (600, 600))])
def test_distributions_parse_and_sample_in_their_range(text, samples_between):
    distribution = Distribution.parse(text)
    samples = distribution.sample(np.random.default_rng(0), 1000)
    assert str(distribution) == text
    assert samples.min() >= samples_between[0] and samples.max() <= samples_between[1]


def test_a_distribution_median_is_its_middle():
    assert Distribution.parse("lognormal:600:0.5").median == 600
    assert Distribution.parse("uniform:0:10").median == 5
    samples = Distribution.parse("triangular:0:100:400").sample(np.random.default_rng(0), 200_000)
    assert Distribution.parse("triangular:0:100:400").median == pytest.approx(np.median(samples), rel=0.01)


@pytest.mark.parametrize("text", ["gamma:1:2", "lognormal:600", "fixed:-1", "triangular:5:1:9", "uniform:a:b"])
def test_a_bad_distribution_is_refused_with_the_reason(text):
    with pytest.raises(ValueError):
        Distribution.parse(text)


def test_the_preview_settings_come_from_the_environment():
    config = PreviewConfig.from_env({"TWIN_PREVIEW_RUNS": "50", "TWIN_MOBILISATION": "triangular:300:600:900",
                                     "TWIN_TRAVEL_FACTOR": "fixed:1.1", "TWIN_PREVIEW_HORIZON_S": "3600"})
    assert (config.runs, config.horizon_s) == (50, 3600)
    assert config.mobilisation == Distribution("triangular", (300.0, 600.0, 900.0))
    assert config.describe()["travel_factor"] == "fixed:1.1"
    assert PreviewConfig.from_env({}) == PreviewConfig()
