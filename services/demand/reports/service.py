"""The report's policy, its generation (build, hash, keep) and the schedule that generates it.

REPORT_POLICY names another policy file; REPORT_SCHEDULE (half_year | month | year | off) overrides
the policy's schedule; LOGISTICS_URL where logistics answers, RESOURCES_URL where resources answers
(default their loopback ports)."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from ...common import clock
from ...common.periodic import Periodic
from . import build, store
from .periods import Period, last_complete

POLICY_FILE = Path(__file__).resolve().parent.parent / "policy" / "report-v1.yaml"
SCHEDULES = ("half_year", "month", "year", "off")


def load_policy(path: Path | None = None) -> dict:
    path = Path(os.environ.get("REPORT_POLICY") or path or POLICY_FILE)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for ph in doc["phases"]:
        for key in ("from", "to"):
            if not isinstance(ph[key], date):
                raise ValueError(f"{path.name}: phases.{ph['name']}.{key}: a date")
    for name, spec in doc["figures"].items():
        for where, b in [("target", spec.get("target"))] + [(f"phases.{k}", v) for k, v in (spec.get("phases") or {}).items()]:
            if b is not None and not ({"min", "max", "min_vs_baseline"} & set(b) and b.get("source")):
                raise ValueError(f"{path.name}: figures.{name}.{where}: a bound (min, max or min_vs_baseline) and its source")
    settled = doc.get("empty_settled_h")
    hours = settled.get("hours") if isinstance(settled, dict) else None
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0 or not settled.get("source"):
        raise ValueError(f"{path.name}: empty_settled_h: {{hours: 0 or more, source: ...}}")
    if doc.get("schedule") not in SCHEDULES:
        raise ValueError(f"{path.name}: schedule: one of {', '.join(SCHEDULES)}")
    return doc


def default_sources(settings) -> build.Sources:
    from ...common.config import port_for
    url = os.environ.get("LOGISTICS_URL") or f"http://127.0.0.1:{port_for('logistics', os.environ)}"
    resources = os.environ.get("RESOURCES_URL") or f"http://127.0.0.1:{port_for('resources', os.environ)}"
    return build.Sources(indicators=build.LogisticsIndicators(url), force=build.ResourcesForce(resources))


class Reports:
    """Generates, hashes and keeps reports (one transaction each)."""

    def __init__(self, runtime, policy: dict, sources: build.Sources, geography):
        self.runtime, self.policy, self.sources, self._geography = runtime, policy, sources, geography

    @property
    def geography(self):
        return self._geography()

    def generate(self, period: Period, region: str, *, trigger: str, by: str, now: datetime | None = None) -> dict:
        now = now or clock.now()
        with self.runtime.engine.begin() as conn:
            report = build.build(conn, self.sources, self.policy, period, region, self.geography, now)
            return build.keep(conn, report, trigger=trigger, by=by, at=now)


class ReportSchedule(Periodic):
    """A background thread: once the latest period of the schedule's kind has ended, the province's and
    every city's report for it are generated and kept (retried each check until every source answered).
    A region with nothing recorded in the period is asked again at each check (a late event may still
    give it figures) until the period has settled: every source answered that nothing was recorded, and
    the period ended at least the policy's `empty_settled_h` ago. Then it is left for the period (kept
    in memory: a restarted service asks once more). The loop: common/periodic.py."""

    def __init__(self, reports: Reports, kind: str, interval_s: float = 300.0):
        self.reports, self.kind, self.interval_s = reports, kind, interval_s
        self.stats = {"checks": 0, "generated": 0, "errors": 0, "settled_empty": 0}
        self.settled_after = timedelta(hours=float(reports.policy["empty_settled_h"]["hours"]))
        self._settled_empty: tuple[str, set[str]] = ("", set())  # (period, regions)
        super().__init__("report-schedule", interval_s, self._counted_tick, floor_s=1.0,
                         telemetry=reports.runtime, service="demand")

    def tick(self, now: datetime | None = None) -> list[dict]:
        now = now or clock.now()
        self.stats["checks"] += 1
        if self.kind == "off":
            return []
        period = last_complete(self.kind, now)
        if self._settled_empty[0] != period.label:
            self._settled_empty = (period.label, set())
        settled = self._settled_empty[1]
        geo = self.reports.geography
        out = []
        for region in [geo.province_code] + [c.code for c in geo.cities]:
            if region in settled:
                continue
            with self.reports.runtime.engine.connect() as conn:
                if store.scheduled_done(conn, period.label, region):
                    continue
            try:
                made = self.reports.generate(period, region, trigger="schedule", by="service:demand", now=now)
            except build.EmptyPeriod as exc:  # nothing to review in that region, as far as is known
                if not exc.unanswered and now - period.end >= self.settled_after:
                    settled.add(region)
                    self.stats["settled_empty"] += 1
                continue
            out.append({k: made[k] for k in ("period", "region", "sha256", "kept")})
            self.stats["generated"] += 1
        return out

    def _counted_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # logged by the loop; the next check tries again
            self.stats["errors"] += 1
            raise
