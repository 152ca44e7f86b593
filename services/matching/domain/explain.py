"""Plain-language reasons: what a plan achieves, why its officers, why not the nearby others,
and what is missing when a request cannot be met."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import numpy as np

from .eligibility import duty_seconds, stint_seconds, within_duty
from .geo import Reach, reach
from .model import DUTY_LIMIT_S, Assignment, Line, Request
from .policy import POLICY
from .pool import MODULES, NO_LINK, TEAM_KIT, Pool


def minutes(seconds: float) -> int:
    return int(round(seconds / 60))


def metrics(req: Request, chosen: list[Assignment], loads: dict, points: dict[str, float]) -> tuple[dict, list[dict]]:
    """(plan.proposed metrics, per-donor rows: officers, reserve left above the floor, points balance)."""
    etas = [a.eta_s for a in chosen]
    latest = max(etas, default=0)
    per_donor = Counter(a.from_county for a in chosen)
    donors = []
    for county, n in sorted(per_donor.items()):
        load = loads.get(county)
        row = {"county": county, "officers": n, "points_balance": round(points.get(county, 0.0), 1)}
        if load:
            row["reserve_left"] = max(0, load.available - n - load.reserve_floor)
            row["reserve_ratio"] = round(max(0, load.available - n) / load.on_duty, 4) if load.on_duty else 0.0
        donors.append(row)
    ratios = [d["reserve_ratio"] for d in donors if "reserve_ratio" in d]
    balances = [d["points_balance"] for d in donors]
    out = {"latest_eta_s": int(latest), "mean_eta_s": round(float(np.mean(etas)), 1) if etas else 0.0,
           "deadline_met": bool(chosen) and len(chosen) == req.headcount and latest <= req.budget_s,
           "per_donor": dict(per_donor), "headcount": len(chosen),
           "fill_ratio": round(len(chosen) / req.headcount, 4) if req.headcount else 1.0,
           "total_travel_s": int(sum(etas)), "donor_counties": len(per_donor),
           "points_spread": round(max(balances) - min(balances), 1) if balances else 0.0}
    if ratios:
        out["min_reserve_ratio"] = max(0.0, min(1.0, min(ratios)))
    return out, donors


def shortfall(req: Request, chosen: list[Assignment], eligible: dict[str, np.ndarray], pool: Pool,
              travel: Reach | np.ndarray, dest: int) -> list[dict]:
    """Per short line: needed, assigned, qualified officers in the province and within the deadline
    (each from their own station). `travel`: the request's Reach, or a seat-to-seat county matrix."""
    travel = reach(pool, travel, dest)
    got = Counter(a.line_id for a in chosen)
    out = []
    for line in req.lines:
        if got[line.line_id] >= line.headcount:
            continue
        rows = eligible.get(line.line_id, np.zeros(0, dtype=np.int64))
        within = int((travel.of(rows) <= req.budget_s).sum()) if len(rows) else 0
        what = ", ".join(line.tags) or line.module
        text = (f"{line.line_id}: {line.headcount} {what} needed, {got[line.line_id]} assigned; "
                f"{within} qualified officers can arrive within {minutes(req.budget_s)} min, "
                f"{len(rows)} in " + ("the designated cities" if line.donor_cities else "the whole province"))
        out.append({"line_id": line.line_id, "needed": line.headcount, "assigned": got[line.line_id],
                    "qualified_within_deadline": within, "qualified": int(len(rows)), "text": text})
    return out


def prepositioning(req: Request, chosen: list[Assignment], travel: Reach | np.ndarray, dest: int, pool: Pool,
                   names: dict[str, str], *, staging: int = 3) -> list[dict]:
    """What pre-positioning (预置) would have met the deadline: per line, the officers who arrive late or
    are missing, to be staged before the event where the deadline can be kept (the incident's county
    first, then the nearest counties within the grade's deadline window, timed from their seats: staged
    officers set out when the request comes, so a re-plan made late still names where they would have
    had to wait), and whose late officers they would be."""
    budget, seats = req.budget_s, reach(pool, travel, dest).seats
    near = [int(c) for c in np.argsort(seats, kind="stable") if seats[c] <= req.staging_s]
    near = sorted(near, key=lambda c: (c != dest, seats[c]))[:staging]
    stage = [{"county": pool.counties[c], "name": names.get(pool.counties[c], pool.counties[c]),
              "minutes": minutes(seats[c])} for c in near]
    out = []
    for line in req.lines:
        mine = [a for a in chosen if a.line_id == line.line_id]
        late = [a for a in mine if a.eta_s > budget]
        need = len(late) + max(0, line.headcount - len(mine))
        if not need:
            continue
        by = Counter(a.from_county for a in late)
        what = ", ".join(line.tags) or line.module
        where = ", ".join(f"{s['name']} ({s['minutes']} min)" for s in stage) or "nowhere within the deadline"
        source = (" — e.g. " + ", ".join(f"{n} from {names.get(c, c)}" for c, n in by.most_common(3))) if by else ""
        text = f"{line.line_id}: stage {need} {what} at {where} before the event{source}"
        out.append({"line_id": line.line_id, "officers": need, "late": len(late), "stage_at": stage,
                    "from": dict(by), "text": text})
    return out


def refusal(pool: Pool, row: int, req: Request, line: Line, dest: int, travel: Reach | np.ndarray,
            accepts: dict, lendable_left: np.ndarray) -> str | None:
    """Why this officer cannot serve the line (the first rule broken), or None if they could.
    `travel`: the request's Reach, or a seat-to-seat county matrix."""
    if pool.status[row] != "on_duty":
        return f"is {pool.status[row].replace('_', ' ')}"
    if not pool.sendable(np.array([row]), req.grade, POLICY)[0]:
        return (f"is in the province reserve (grades {', '.join(POLICY.reserve_grades)} only)" if pool.reserve[row]
                else f"is a {pool.role[row]} officer, outside the deployable pool")
    if pool.module[row] != MODULES.index(line.module):
        return f"is in {MODULES[pool.module[row]]}"
    missing = [t for t in line.tags if t not in pool.tags_of(row)]
    if missing:
        return f"lacks {', '.join(missing)}"
    for cert in line.certifications:
        expires = pool.cert_expiry_of(row, cert)
        if expires is None:
            return f"holds no {cert} certificate"
        if expires < req.task_end.date():
            return f"certificate {cert} expires {expires.isoformat()}, before the task ends"
    mask = pool.standard_mask(accepts.get(req.county, ())) | (1 << NO_LINK)
    for kind in line.equipment:
        if kind in pool.kit_vocab:
            k = pool.kit_vocab.index(kind)
            held, ready = int(pool.kit_held[row, k]), int(pool.kit_ready[row, k])
            if held and not ready & mask:
                names = [s for i, s in enumerate(pool.standards) if held >> i & 1 and s]
                return (f"{kind} ({', '.join(names) or 'item'}) not usable in {req.county}"
                        if held & mask == 0 else f"{kind} not ready")
            if not held and kind not in TEAM_KIT:
                return f"carries no {kind}"
        elif kind not in TEAM_KIT:
            return f"carries no {kind}"
    duty = int(pool.duty[row])
    travel_s = int(reach(pool, travel, dest).of([row])[0])
    total = int(duty_seconds(pool, np.array([row]), req, np.array([travel_s]))[0])
    if not within_duty(pool, np.array([row]), req, np.array([travel_s]))[0]:
        stint = int(stint_seconds(pool, np.array([row]), req)[0])
        shorter = (f"; a stint of {req.stint_minutes} min from {req.stint_start_s // 60} min after the order would pass "
                   f"it by {stint - DUTY_LIMIT_S} s" if travel_s <= req.stint_start_s else
                   f"; the journey is longer than the {req.stint_start_s // 60} min a stint allows")
        return (f"on duty {duty // 60} h {duty % 60:02d} min: with {travel_s} s travel and "
                f"{req.on_scene_minutes} min on scene it would pass {DUTY_LIMIT_S // 3600} h by {total - DUTY_LIMIT_S} s"
                + shorter)
    if lendable_left[pool.county[row]] <= 0:
        return "county at reserve floor"
    return None


def why_not(pool: Pool, req: Request, line: Line, dest: int, chosen: set[int], travel: Reach | np.ndarray,
            accepts: dict, lendable_left: np.ndarray, names: dict[str, str], *, nearest: int = 3) -> list[str]:
    """Sentences about officers of the line's module in the nearest donor counties (by their nearest
    station) who were not chosen, nearest officers first."""
    travel = reach(pool, travel, dest)
    near = travel.nearest
    order = [c for c in np.argsort(near, kind="stable") if c != dest and line.may_send(pool.counties[c])][:nearest]
    out = []
    for c in order:
        rows = np.flatnonzero((pool.county == c) & (pool.module == MODULES.index(line.module)))
        rows = rows[np.argsort(travel.of(rows), kind="stable")]
        reasons: dict[str, list[str]] = defaultdict(list)
        for row in rows[:400]:
            if int(row) in chosen:
                continue
            why = refusal(pool, int(row), req, line, dest, travel, accepts, lendable_left)
            reasons[_kind(why) if why else "held for another request or a faster fill"].append(
                f"{pool.ids[row]} {why}" if why else pool.ids[row])
        if reasons:
            code = pool.counties[c]
            parts = [f"{len(v)} {k} (e.g. {v[0]})" for k, v in sorted(reasons.items(), key=lambda x: -len(x[1]))[:3]]
            out.append(f"{names.get(code, code)} ({minutes(near[c])} min): " + "; ".join(parts))
    return out


GROUPS = (("on duty ", "near the 12-hour duty limit"), ("is in the province reserve", "in the province reserve"),
          ("is a ", "outside the deployable pool"), ("certificate ", "with certificates expiring during the task"),
          ("holds no ", "without the certificates"), ("lacks ", "without the skills"),
          ("county at reserve floor", "in a county at its reserve floor"),
          ("not usable", "with equipment the receiving systems do not accept"), ("not ready", "with equipment not ready"),
          ("carries no ", "without the equipment"), ("is in ", "of another module"), ("is ", "not on duty"))


def _kind(why: str) -> str:
    return next((label for key, label in GROUPS if why.startswith(key) or (key.startswith("not ") and key in why)), why)


KIND_WORDS = {"fastest": "fastest", "fairest": "fairest", "least_reserve_damage": "least reserve damage"}


def agreement(kinds) -> str:
    """'fastest, fairest and least reserve damage agree.' for a plan that satisfies several criteria."""
    words = [KIND_WORDS.get(k, k) for k in kinds]
    if len(words) < 2:
        return ""
    return f"{', '.join(words[:-1])} and {words[-1]} agree: one plan. "


def deadline_words(req: Request) -> str:
    """The deadline as the plan met it: the minutes left when it was made, or how long it had passed."""
    past = int((req.planned_at - req.deadline).total_seconds())
    if past >= 60:
        return f"deadline passed {minutes(past)} min before this plan"
    return f"deadline {minutes(req.budget_s)} min"


def explanation(req: Request, kind: str, chosen: list[Assignment], metrics_: dict, short: list[dict],
                refusals: dict[str, list[str]], names: dict[str, str], today: date | None = None,
                kinds: tuple[str, ...] = (), preposition: list[dict] | None = None) -> str:
    goal = {"fastest": "the earliest latest arrival, then the least total travel",
            "fairest": "a fair share of support by task points and the cities' reciprocity, within the deadline",
            "least_reserve_damage": "keeping donor counties' reserves high, within the deadline"}[kind]
    if chosen:
        head = agreement(kinds) + (f"{len(chosen)} of {req.headcount} officers; latest arrival "
                                   f"{minutes(metrics_['latest_eta_s'])} min ({deadline_words(req)}: "
                                   f"{'met' if metrics_['deadline_met'] else 'not met'}). Optimised for {goal}.")
    else:
        head = (f"0 of {req.headcount} officers: nobody qualified can be sent ({deadline_words(req)}); "
                f"the reasons line by line below.")
    lines = []
    for line in req.lines:
        mine = [a for a in chosen if a.line_id == line.line_id]
        by = Counter(a.from_county for a in mine)
        eta = Counter()
        for a in mine:   # a county's officers leave from several stations: its latest arrival
            eta[a.from_county] = max(eta[a.from_county], a.eta_s)
        donors = ", ".join(f"{n} from {names.get(c, c)} ({minutes(eta[c])} min)" for c, n in by.most_common())
        why = (f"the nearest qualified: skills, certificates valid to the task's end, equipment accepted in "
               f"{names.get(req.county, req.county)}, duty time left, donor above its reserve floor" if mine
               else "nobody qualifies in time")
        if line.donor_cities:
            why += "; only from the designated cities " + ", ".join(names.get(c, c) for c in line.donor_cities)
        lines.append(f"{line.line_id} ({line.module}{'; ' + ', '.join(line.tags) if line.tags else ''}): "
                     f"{donors or 'nobody'} — {why}.")
        if refusals.get(line.line_id):
            lines.append("Not chosen nearby: " + " | ".join(refusals[line.line_id]) + ".")
    lines += [f"Missing: {s['text']}." for s in short]
    if preposition:
        lines.append("Pre-positioning that would have met the deadline: " + "; ".join(p["text"] for p in preposition) + ".")
    return " ".join([head] + lines)[:4000]
