"""Plan preview: a candidate plan simulated many times on a fork of the live state.

Each unit of the plan mobilises (a sampled delay) and then travels (its nominal travel time times a
sampled factor). A plan's `eta_s` is read as nominal mobilisation + travel, so the nominal travel
time is `eta_s` minus the median mobilisation delay. The whole requirement is in place when the
last unit arrives. A donor county's strength at home is its on-duty force minus what is already
committed elsewhere minus the plan's officers once they have left.

`PreviewModel` is a Mesa model whose agents each carry *all runs at once* as numpy arrays (one
`UnitRuns` per unit, one `DonorRuns` per donor county), stepped minute by minute over the horizon:
the Mesa structure with the Monte-Carlo vectorised inside it. `preview_numpy` computes the same
thing in closed form over arrays; both sample in the same order, so with one seed they agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from twin.sim.uncertainty import PreviewConfig


@dataclass(frozen=True)
class PlanUnit:
    unit_id: str
    from_county: str
    officers: int
    eta_s: float


def plan_units(plan: dict) -> list[PlanUnit]:
    """The plan's assignments grouped by unit (or by donor county and line when no unit is named)."""
    groups: dict[str, list[dict]] = {}
    for assignment in plan["assignments"]:
        key = assignment.get("unit_id") or f"{assignment['from_county']}/{assignment['line_id']}"
        groups.setdefault(key, []).append(assignment)
    return [PlanUnit(unit_id=key, from_county=members[0]["from_county"], officers=len(members),
                     eta_s=float(max(m["eta_s"] for m in members))) for key, members in groups.items()]


def sample_runs(units: list[PlanUnit], config: PreviewConfig, rng: np.random.Generator) -> tuple:
    """(departure_s, arrival_s), each shaped (units, runs)."""
    nominal_mobilisation = config.mobilisation.median
    departures, arrivals = [], []
    for unit in units:
        departure = config.mobilisation.sample(rng, config.runs)
        travel = max(unit.eta_s - nominal_mobilisation, 0.0) * config.travel_factor.sample(rng, config.runs)
        departures.append(departure)
        arrivals.append(departure + travel)
    shape = (len(units), config.runs)
    return np.reshape(departures, shape), np.reshape(arrivals, shape)


def horizon_times(config: PreviewConfig) -> np.ndarray:
    return np.arange(0.0, config.horizon_s + config.step_s / 2, config.step_s)


class UnitRuns(mesa.Agent):
    """One unit of the plan in every run: when it leaves, when it arrives, where it is on its route."""

    def __init__(self, model: "PreviewModel", unit: PlanUnit, departure: np.ndarray, arrival: np.ndarray):
        super().__init__(model)
        self.unit, self.departure, self.arrival = unit, departure, arrival
        self.left = np.zeros(departure.shape, dtype=bool)
        self.arrived_at = np.full(departure.shape, np.inf)

    def step(self) -> None:
        t = self.model.elapsed_s
        self.left |= self.departure <= t
        newly = np.isinf(self.arrived_at) & (self.arrival <= t)
        self.arrived_at[newly] = self.arrival[newly]

    @property
    def progress(self) -> np.ndarray:
        """Share of the route covered in each run, 0 before leaving, 1 on arrival."""
        span = np.maximum(self.arrival - self.departure, 1e-9)
        return np.clip((self.model.elapsed_s - self.departure) / span, 0.0, 1.0)


class DonorRuns(mesa.Agent):
    """A donor county in every run: the officers still at home, recorded at each step."""

    def __init__(self, model: "PreviewModel", county: str, at_home: float, units: list[UnitRuns]):
        super().__init__(model)
        self.county, self.at_home, self.units = county, at_home, units
        self.strength: list[np.ndarray] = []

    def step(self) -> None:
        gone = sum((u.unit.officers * u.left for u in self.units), np.zeros(self.model.config.runs))
        self.strength.append(self.at_home - gone)


class PreviewModel(mesa.Model):
    def __init__(self, plan: dict, fork: dict[str, dict], *, deadline_s: float | None,
                 config: PreviewConfig) -> None:
        super().__init__(seed=config.seed)
        self.units = plan_units(plan)
        config = config.covering(max((u.eta_s for u in self.units), default=0.0), deadline_s)
        self.plan, self.fork, self.deadline_s, self.config = plan, fork, deadline_s, config
        self.elapsed_s = 0.0
        departure, arrival = sample_runs(self.units, config, self.rng)
        runs = [UnitRuns(self, unit, departure[i], arrival[i]) for i, unit in enumerate(self.units)]
        for county in donors_of(self.units):
            DonorRuns(self, county, at_home(fork.get(county)), [r for r in runs if r.unit.from_county == county])

    def step(self) -> None:
        self.agents_by_type[UnitRuns].do("step")
        self.agents_by_type[DonorRuns].do("step")
        self.elapsed_s += self.config.step_s

    def run(self) -> dict:
        for _t in horizon_times(self.config):
            self.step()
        units = list(self.agents_by_type[UnitRuns])
        arrived_at = np.vstack([u.arrived_at for u in units])
        strength = {d.county: np.vstack(d.strength) for d in self.agents_by_type[DonorRuns]}
        return summarise(self.plan, self.units, arrived_at, strength, self.fork, self.deadline_s, self.config)


def preview_plan(plan: dict, fork: dict[str, dict], *, deadline_s: float | None,
                 config: PreviewConfig | None = None) -> dict:
    """The plan's preview through the Mesa model (the twin's own path)."""
    return PreviewModel(plan, fork, deadline_s=deadline_s, config=config or PreviewConfig()).run()


def preview_numpy(plan: dict, fork: dict[str, dict], *, deadline_s: float | None,
                  config: PreviewConfig | None = None) -> dict:
    """The same preview in closed form over arrays, without agents or steps (the benchmark's baseline)."""
    units = plan_units(plan)
    config = (config or PreviewConfig()).covering(max((u.eta_s for u in units), default=0.0), deadline_s)
    departure, arrival = sample_runs(units, config, np.random.default_rng(config.seed))
    times = horizon_times(config)
    arrived_at = np.where(arrival <= times[-1], arrival, np.inf)
    officers = np.array([u.officers for u in units], dtype=float)
    strength = {}
    for county in donors_of(units):
        mine = np.array([u.from_county == county for u in units])
        left = departure[mine][None, :, :] <= times[:, None, None]  # (times, units, runs)
        strength[county] = at_home(fork.get(county)) - np.einsum("tur,u->tr", left, officers[mine])
    return summarise(plan, units, arrived_at, strength, fork, deadline_s, config)


def donors_of(units: list[PlanUnit]) -> list[str]:
    return sorted({u.from_county for u in units})


def at_home(county: dict | None) -> float:
    """Officers on duty at home and not committed elsewhere (0 when the county never reported)."""
    if not county:
        return 0.0
    return float(max(county.get("officers_on_duty", 0) - county.get("officers_committed", 0), 0))


def summarise(plan: dict, units: list[PlanUnit], arrived_at: np.ndarray, strength: dict[str, np.ndarray],
              fork: dict[str, dict], deadline_s: float | None, config: PreviewConfig) -> dict:
    whole = arrived_at.max(axis=0)
    times = horizon_times(config)
    return {
        "plan_id": plan["plan_id"], "request_id": plan["request_id"], "kind": plan.get("kind"),
        "config": config.describe(), "deadline_s": deadline_s,
        "whole": {"p50_s": quantile(whole, 0.5), "p90_s": quantile(whole, 0.9),
                  "p_deadline": on_time_share(whole, deadline_s), "p_in_horizon": float(np.isfinite(whole).mean())},
        "units": [{"unit_id": u.unit_id, "from_county": u.from_county, "officers": u.officers, "eta_s": u.eta_s,
                   "p50_s": quantile(arrived_at[i], 0.5), "p90_s": quantile(arrived_at[i], 0.9),
                   "p_deadline": on_time_share(arrived_at[i], deadline_s)} for i, u in enumerate(units)],
        "build_up": build_up(units, arrived_at, deadline_s, whole),
        "donors": [donor_summary(county, series, fork.get(county) or {}, times) for county, series in
                   sorted(strength.items())],
    }


def checkpoints(deadline_s: float | None, whole: np.ndarray, most: int = 6) -> list[float]:
    """When to count the officers in place: the deadline, and whole hours after the proposal until the
    hour by which nine runs in ten have everyone in place (every 2 h, 3 h... when that is more than
    `most` hours away; the last run that never arrives is left to the "beyond the horizon" figures)."""
    done = whole[np.isfinite(whole)]
    last = float(np.quantile(done, 0.9, method="inverted_cdf")) if done.size else 3600.0
    hours = max(int(np.ceil(last / 3600.0)), 1)
    step = int(np.ceil(hours / most))
    marks = {3600.0 * h for h in range(step, hours + step, step)}
    if deadline_s is not None and deadline_s > 0:
        marks.add(float(deadline_s))
    return sorted(marks)


def build_up(units: list[PlanUnit], arrived_at: np.ndarray, deadline_s: float | None, whole: np.ndarray) -> list[dict]:
    """Officers in place at each checkpoint (median and 10th percentile of runs): how the plan fills in
    over time, not only when its last unit arrives; a commander weighs 80 officers by the deadline
    and the last 10 three hours later differently from nobody until the third hour."""
    officers = np.array([u.officers for u in units], dtype=float)
    out = []
    for at in checkpoints(deadline_s, whole):
        in_place = officers @ (arrived_at <= at) if len(units) else np.zeros(whole.shape)
        out.append({"at_s": at, "deadline": deadline_s is not None and at == float(deadline_s),
                    "in_place_p50": int(np.quantile(in_place, 0.5, method="inverted_cdf")),
                    "in_place_p10": int(np.quantile(in_place, 0.1, method="inverted_cdf"))})
    return out


def donor_summary(county: str, series: np.ndarray, figures: dict, times: np.ndarray) -> dict:
    """Strength at home over time (median and 10th percentile of runs) and the reserve left at the end."""
    on_duty = figures.get("officers_on_duty", 0)
    floor = figures.get("reserve_floor", 0)
    end = series[-1]
    every = max(len(times) // 24, 1)  # about 24 points over the horizon are enough to draw
    return {"county": county, "name": figures.get("name", county), "on_duty": on_duty, "reserve_floor": floor,
            "times_s": times[::every].tolist(), "strength_p50": np.quantile(series, 0.5, axis=1)[::every].tolist(),
            "strength_p10": np.quantile(series, 0.1, axis=1)[::every].tolist(),
            "end_ratio_p50": round(float(np.median(end)) / on_duty, 4) if on_duty else None,
            "p_below_floor": float((end < floor).mean()) if on_duty else None}


def quantile(values: np.ndarray, q: float) -> float | None:
    """A sample quantile (no interpolation, so runs that never arrive stay 'never'); None for never."""
    value = float(np.quantile(values, q, method="inverted_cdf"))
    return round(value, 1) if np.isfinite(value) else None


def on_time_share(arrivals: np.ndarray, deadline_s: float | None) -> float | None:
    return None if deadline_s is None else float((arrivals <= deadline_s).mean())


def reserve_left(preview: dict) -> float | None:
    """The lowest median share of on-duty strength left at home among the donors at the horizon."""
    ratios = [d["end_ratio_p50"] for d in preview["donors"] if d["end_ratio_p50"] is not None]
    return min(ratios) if ratios else None
