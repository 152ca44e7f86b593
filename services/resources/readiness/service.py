"""Readiness answers from the pool's tables and the travel provider, shaped for the API; a request it
cannot answer is refused with Problem (422 naming each field)."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from ...common.http import Problem
from ..events import stamp as iso
from ..store import commitment
from . import coverage, preposition, store, weights
from .force import MODULES, Force, build
from .policy import ReadinessPolicy

UNSOLVABLE = "Pre-positioning request cannot be solved"


class Readiness:
    """One service's readiness: its policy, geography and travel provider (Places)."""

    def __init__(self, places, policy: ReadinessPolicy, default_share: float):
        self.places, self.policy, self.default_share = places, policy, default_share
        self._minutes: dict[bytes, np.ndarray] = {}

    @property
    def counties(self):
        return self.places.geography.counties

    def force(self, conn, now: datetime) -> Force:
        return build(store.force_rows(conn, now), self.counties, self.policy, now,
                     store.reserve_shares(conn), self.default_share)

    def minutes(self, force: Force) -> np.ndarray:
        """Travel minutes from the force's origins to every county seat (kept per set of origins)."""
        key = force.origins.tobytes()
        if key not in self._minutes:
            seats = np.array([c.seat for c in self.counties], dtype=float)
            if len(self._minutes) > 8:
                self._minutes.clear()
            self._minutes[key] = coverage.travel_minutes(self.places.travel, force.origins, seats)
        return self._minutes[key]

    # ------------------------------------------------------------------ coverage
    def coverage(self, conn, now: datetime, at: datetime, horizon_h: float, shown: list[str] | None) -> dict:
        force = self.force(conn, now)
        steps = coverage.timeline(force, self.policy, self.minutes(force), now, at, horizon_h)
        first = steps[0]
        keep = [i for i, c in enumerate(force.counties) if shown is None or c in shown]
        return {
            "at": iso(at), "computed_at": iso(now), "horizon_h": horizon_h,
            "thresholds_min": list(self.policy.thresholds_min), "circle_min": self.policy.circle_min,
            "team": self.policy.team, "on_scene_min": self.policy.on_scene_min, "modules": list(MODULES),
            "counties": [self._county(first, i) for i in keep],
            "outside": self._outside(first, keep),
            "timeline": [{"at": iso(c.at), "outside": self._outside(c, keep),
                          "counties_outside": int((~c.covered[keep]).any(axis=1).sum())} for c in steps],
        }

    def what_if(self, conn, now: datetime, officer_ids: list[str], shown: list[str] | None,
                plan_id: str | None = None) -> dict:
        """Which counties would leave the circle if `officer_ids` left. When `plan_id`'s commit holds
        them already, they are counted at home before, so the answer is what sending them changed (not
        "nothing", the plan's officers being gone from both sides)."""
        force = self.force(conn, now)
        held = commitment(conn, plan_id=plan_id) if plan_id else None
        if held and held["status"] == "committed":
            force = force.restored(set(held["officer_ids"]) & set(officer_ids))
        known = set(force.ids.tolist())
        unknown = [{"field": f"officer_ids.{i}", "reason": f"no officer {o}"} for i, o in enumerate(officer_ids)
                   if o not in known]
        if unknown:
            raise Problem(422, "Unknown officers", unknown)
        minutes = self.minutes(force)
        state = coverage.project(force, self.policy, now, now)
        before = coverage.compute(force, self.policy, minutes, now, state)
        after_force = force.without(officer_ids)
        after = coverage.compute(after_force, self.policy, minutes, now, coverage.project(after_force, self.policy, now, now))
        keep = [i for i, c in enumerate(force.counties) if shown is None or c in shown]
        circle = self.policy.thresholds_min.index(self.policy.circle_min)
        rows = np.isin(force.ids, officer_ids)
        left, changes = [], []
        for i in keep:
            lost = [MODULES[m] for m in range(len(MODULES)) if before.covered[i, m] and not after.covered[i, m]]
            if lost:
                left.append({**self._names(i), "modules": lost})
            for m in range(len(MODULES)):
                b, a = int(before.support[i, m, circle]), int(after.support[i, m, circle])
                if a != b:
                    changes.append({"county": force.counties[i], "module": MODULES[m], "support_before": b,
                                    "support_after": a})
        return {"at": iso(now), "removed": len(officer_ids),
                "available_removed": int((rows & (force.state == 0)).sum()),
                "left_circle": left, "changes": changes,
                "counties_outside_before": int((~before.covered[keep]).any(axis=1).sum()),
                "counties_outside_after": int((~after.covered[keep]).any(axis=1).sum())}

    def _names(self, i: int) -> dict:
        c = self.counties[i]
        return {"county": c.code, "name": c.name, "city": c.city_code}

    def _county(self, cov: coverage.Coverage, i: int) -> dict:
        modules = {m: {"local": cov.local[i, k].tolist(), "support": cov.support[i, k].tolist(),
                       "covered": bool(cov.covered[i, k])} for k, m in enumerate(MODULES)}
        return {**self._names(i), "lendable": int(cov.lendable[i]), "modules": modules,
                "covered_modules": [m for k, m in enumerate(MODULES) if cov.covered[i, k]],
                "outside_modules": [m for k, m in enumerate(MODULES) if not cov.covered[i, k]]}

    def _outside(self, cov: coverage.Coverage, keep: list[int]) -> dict[str, list[str]]:
        return {m: [self.counties[i].code for i in keep if not cov.covered[i, k]] for k, m in enumerate(MODULES)}

    # ------------------------------------------------------------ pre-positioning
    def preposition(self, conn, now: datetime, body: dict, region: list[str] | None = None) -> dict:
        """The stationing `body` asks for; `region`, when given, the counties of a region-bound caller:
        only their demand is weighed (a city commander stations teams for the city's counties)."""
        codes = tuple(c.code for c in self.counties)
        errors = []
        if not body["teams"]:
            errors.append({"field": "teams", "reason": "name at least one module and its number of teams"})
        if "weights" in body and not body["weights"]:
            errors.append({"field": "weights", "reason": "give at least one county's weight, or leave weights out"})
        for m in body["teams"]:
            if m not in MODULES:
                errors.append({"field": f"teams.{m}", "reason": f"unknown module (one of {', '.join(MODULES)})"})
        for c in body.get("weights", {}):
            if c not in codes:
                errors.append({"field": f"weights.{c}", "reason": f"no county {c}"})
        sites = body.get("sites") or list(codes)
        for i, c in enumerate(sites):
            if c not in codes:
                errors.append({"field": f"sites.{i}", "reason": f"no county {c}"})
        for m, n in body["teams"].items():
            if m in MODULES and n > len(sites):
                errors.append({"field": f"teams.{m}", "reason": f"{n} stations asked for, only {len(sites)} sites"})
        hours = body.get("hours")
        if hours and hours[0] == hours[1]:
            errors.append({"field": "hours", "reason": "an empty window: from and to are equal"})
        if errors:
            raise Problem(422, UNSOLVABLE, errors)
        w, source, counted = self._weights(conn, codes, body)
        if region is not None:
            w = np.where(np.isin(np.array(codes), region), w, 0.0)
        if w.sum() <= 0:
            raise Problem(422, UNSOLVABLE, [{"field": "weights" if "weights" in body else "weekday",
                                             "reason": "no demand: every county weighs 0"}])
        threshold = int(body.get("threshold_min", self.policy.circle_min))
        seats = np.array([c.seat for c in self.counties], dtype=float)
        site_idx = [codes.index(c) for c in sites]
        minutes = coverage.travel_minutes(self.places.travel, seats[site_idx], seats)
        cover = minutes <= threshold
        force = self.force(conn, now)
        out = {"threshold_min": threshold, "weights_source": source, "incidents_counted": counted,
               "weights": {c: round(float(v), 6) for c, v in zip(codes, w / w.sum()) if v > 0},
               "sites": len(sites), "modules": {}}
        for m, teams in body["teams"].items():
            best = preposition.solve(cover, w, teams, float(body.get("time_limit_s", 10)))
            greedy = preposition.greedy(cover, w, teams)
            today = self._today(force, MODULES.index(m), site_idx, teams)
            today_cov = preposition.covered_by(cover, today)
            out["modules"][m] = {
                "teams": teams, "status": best.status, "gap": best.gap, "proof": (
                    "optimal: the solver proved no stationing covers more demand" if best.status == "OPTIMAL"
                    else f"best found within the time limit; at most {best.gap:.2%} below the optimum"),
                "covered_share": round(best.share, 4), "bound_share": round(best.bound_share, 4),
                "solve_s": round(best.solve_s, 3),
                "stations": self._stations(cover, w, minutes, best.stations, site_idx),
                "uncovered": [codes[c] for c in np.flatnonzero(~best.covered & (w > 0))],
                "today": {"stations": [codes[site_idx[s]] for s in today],
                          "covered_share": round(preposition.share_of(w, today_cov), 4),
                          "basis": "the counties holding most of the module's deployable officers now"},
                "greedy": {"stations": [codes[site_idx[s]] for s in greedy.stations],
                           "covered_share": round(greedy.share, 4),
                           "worse_by": round(best.share - greedy.share, 4)},
                "gain_over_today": round(best.share - preposition.share_of(w, today_cov), 4),
            }
        return out

    def _weights(self, conn, codes, body) -> tuple[np.ndarray, str, int | None]:
        if "weights" in body:
            return np.array([float(body["weights"].get(c, 0)) for c in codes]), "request", None
        hours = tuple(body["hours"]) if body.get("hours") else None
        counts, used = weights.from_history(store.incident_history(conn), codes, body.get("weekday"), hours)
        if used >= self.policy.min_incidents:
            return counts, "incidents", used
        return weights.from_population(self.counties), "population", used

    def _today(self, force: Force, module: int, site_idx: list[int], teams: int) -> list[int]:
        """Today's stationing of `teams` teams: the sites whose counties hold the most deployable officers
        of the module (any status), as indices into the sites."""
        rows = force.deployable & (force.module == module)
        held = np.bincount(force.county[rows], minlength=len(force.counties))[site_idx]
        order = sorted(range(len(site_idx)), key=lambda s: (-int(held[s]), s))
        return [s for s in order[:teams] if held[s] > 0]

    def _stations(self, cover, w, minutes, stations, site_idx) -> list[dict]:
        codes = [c.code for c in self.counties]
        out = []
        for e in preposition.explain(cover, w, minutes, stations):
            county = self.counties[site_idx[e["site"]]]
            reached = [codes[c] for c in e["reached"]]
            alone = [codes[c] for c in e["only_here"]]
            out.append({"county": county.code, "name": county.name, "city": county.city_code,
                        "reaches": reached, "only_here": alone, "demand_share": e["demand_share"],
                        "only_here_share": e["only_here_share"], "max_travel_min": e["max_travel_min"],
                        "why": (f"reaches {len(reached)} counties holding {e['demand_share']:.1%} of the demand "
                                f"within the threshold; {len(alone)} of them ({e['only_here_share']:.1%}) "
                                "no other chosen station reaches")})
        return out
