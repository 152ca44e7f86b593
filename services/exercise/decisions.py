"""Trainee decisions: approving or rejecting candidate plans as a commander would, and for each
decision what the optimiser would have chosen.

The decision itself goes to matching's HTTP API with the trainee's identity (`decide`); the
judgement reads the exercise's recorded stream: candidates (`plan.proposed`), approvals
(`plan.approved`) and rejections by a person (`plan.rejected` whose `rejected_by` is not matching).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import requests

from services.common.auth import Identity, headers_for
from services.common.clock import parse_time

AUTO_TRAINEE = Identity("exercise-auto-trainee", "province_commander")


def best_plan(candidates: list[dict]) -> dict | None:
    """The optimiser's choice: fills the most of the request, then meets the deadline, then the earliest
    latest arrival (ties: the lower mean ETA, then the plan id)."""
    if not candidates:
        return None

    def rank(plan: dict):
        m = plan.get("metrics", {})
        return (-m.get("fill_ratio", 0.0), not m.get("deadline_met", False), m.get("latest_eta_s", float("inf")),
                m.get("mean_eta_s", float("inf")), plan["plan_id"])
    return min(candidates, key=rank)


def decisions(events) -> list[dict]:
    """Each approval or human rejection, with the best candidate available at that moment: proposed
    before it and not rejected since (matching rejects a version a re-plan superseded, or one whose
    commit was refused, so a trainee is never judged against a plan they could no longer approve)."""
    proposed: dict[str, list[tuple[datetime, dict]]] = defaultdict(list)
    rejected: set[str] = set()
    out = []
    for e in sorted(events, key=lambda e: parse_time(e["time"])):
        d, at = e["data"], parse_time(e["time"])
        if e["type"] == "plan.proposed":
            proposed[d["request_id"]].append((at, d))
        elif e["type"] == "plan.approved" or (e["type"] == "plan.rejected" and d.get("rejected_by") != "matching"):
            candidates = [p for t, p in proposed[d["request_id"]] if t <= at and p["plan_id"] not in rejected]
            row = judge(d, "approved" if e["type"] == "plan.approved" else "rejected", candidates, e["time"])
            if proposed[d["request_id"]]:  # how long the request's plans had waited: since its first was proposed
                row["waited_s"] = max(0, round((at - proposed[d["request_id"]][0][0]).total_seconds()))
            out.append(row)
        if e["type"] == "plan.rejected":
            rejected.add(d["plan_id"])
    return out


def judge(decision: dict, verdict: str, candidates: list[dict], at: str) -> dict:
    best = best_plan(candidates)
    chosen = next((p for p in candidates if p["plan_id"] == decision["plan_id"]), None)
    row = {"at": at, "request_id": decision["request_id"], "plan_id": decision["plan_id"], "verdict": verdict,
           "by": decision.get("approved_by") or decision.get("rejected_by"), "candidates": len(candidates),
           "best_plan_id": best["plan_id"] if best else None,
           "best_latest_eta_s": best.get("metrics", {}).get("latest_eta_s") if best else None,
           "chosen_latest_eta_s": chosen.get("metrics", {}).get("latest_eta_s") if chosen else None}
    relief_of = decision.get("relief_of") or (chosen or {}).get("relief_of")
    if relief_of:  # a relief shift's plan: the request it relieves and the shift's number, as matching wrote them
        row["relief_of"] = {"request_id": relief_of["request_id"], "shift": relief_of["shift"]}
    if verdict == "approved":
        row["chose_best"] = best is not None and best["plan_id"] == decision["plan_id"]
        if row["best_latest_eta_s"] is not None and row["chosen_latest_eta_s"] is not None:
            row["eta_cost_s"] = row["chosen_latest_eta_s"] - row["best_latest_eta_s"]
    else:
        row["rejected_best"] = best is not None and best["plan_id"] == decision["plan_id"]
    return row


def pending(events) -> list[dict]:
    """Candidate plans open for a decision: proposed, neither approved nor rejected since, request not
    cancelled. A re-plan (after a refused commit or an escalation) brings new candidates."""
    closed, plans, cancelled = set(), [], set()
    for e in events:
        d = e["data"]
        if e["type"] == "plan.proposed":
            plans.append(d)
        elif e["type"] in ("plan.approved", "plan.rejected"):
            closed.add(d["plan_id"])
        elif e["type"] == "support.cancelled":
            cancelled.add(d["request_id"])
    return [p for p in plans if p["plan_id"] not in closed and p["request_id"] not in cancelled]


def decide(matching_url: str, plan_id: str, *, approve: bool, trainee: Identity | None = None, comment: str = "",
           timeout: float = 10, token: str | None = None) -> requests.Response:
    """The trainee's decision, sent to matching as the commander they play (role and region):
    with `token`, the signed-in trainee's own token (the twin's exercise page), else one minted for `trainee`.

    The plan's current version is read first: matching refuses (409) a decision on a plan whose
    request was re-planned meanwhile, as it would a real commander's."""
    if token is None and trainee is None:
        raise ValueError("decide needs the trainee's token or identity")
    headers = {"Authorization": f"Bearer {token}"} if token else headers_for(trainee)
    plan = requests.get(f"{matching_url}/plans/{plan_id}", headers=headers, timeout=timeout)
    if plan.status_code != 200:
        return plan
    version = plan.json()["version"]
    if approve:
        body = {"version": version, **({"comment": comment[:200]} if comment else {})}
    else:
        body = {"version": version, "reason": comment or "trainee rejected the plan"}
    path = f"/plans/{plan_id}/{'approve' if approve else 'reject'}"
    return requests.post(matching_url + path, json=body, headers=headers, timeout=timeout)


class AutoTrainee:
    """Stands in for trainees in an unattended run: approves, for each request, the open candidate
    the optimiser ranks best (`best_plan`), as a province commander; again after a re-plan."""

    def __init__(self, matching_url: str, *, trainee: Identity | None = None):
        self.matching_url, self.trainee = matching_url, trainee or AUTO_TRAINEE
        self.tried: set[str] = set()  # plan ids decided on

    def step(self, events: list[dict]) -> list[str]:
        """Decide every request that has open candidates; returns one line per decision."""
        by_request: dict[str, list[dict]] = defaultdict(list)
        for plan in pending(events):
            by_request[plan["request_id"]].append(plan)
        lines = []
        for request_id, candidates in by_request.items():
            best = best_plan(candidates)
            if best["plan_id"] in self.tried:
                continue  # decided already; matching has not answered with new candidates yet
            self.tried.add(best["plan_id"])
            try:
                resp = decide(self.matching_url, best["plan_id"], approve=True, trainee=self.trainee,
                              comment="按最优方案执行（自动受训人）")
                outcome = f"approved {best['plan_id']} ({resp.status_code})"
            except requests.RequestException as exc:
                outcome = f"could not approve {best['plan_id']}: {exc}"
            lines.append(f"{request_id}: {outcome}")
        return lines
