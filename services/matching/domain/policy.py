"""The matching policy (``policy/matching-v*.yaml``): duty limit and shifts, who may be sent, weights.

Read once at import from the file MATCHING_POLICY names (default: the newest shipped version). A
value without a `source` (seed or assumed) is refused, so nothing enters the policy unexplained.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent.parent / "policy"
DEFAULT_FILE = FOLDER / "matching-v1.yaml"
GRADES = ("I", "II", "III", "IV")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class MatchingPolicy:
    version: str
    duty_limit_min: int             # no officer on duty longer, travel and time on scene included
    shift_min: int                  # officers are planned one shift at a time
    stint_min: int                  # ... and sent for at least this long on scene when a shift is not left
    relief_lead_min: int            # the next shift is proposed this long before the running one ends
    warn_min: int                   # alert when an officer comes this close to the limit
    task_minutes: dict[str, int]    # expected time on scene by grade when the request gives none
    deployable: tuple[str, ...]     # role classes proposed for support
    regular_deployable: bool        # the province's switch: regular officers may be proposed too
    reserve_grades: tuple[str, ...]  # grades the province reserve serves
    reserve_share: float            # a donor keeps this share of its on-duty strength at home
    unfairness_s: int
    reserve_quarter_s: int
    joint_batch: bool = False       # plan a batch's fastest plans in one model (planner: `joint`)
    joint_limit_s: float | None = None   # ... kept only if found within this time (None: no limit)

    @property
    def duty_limit_s(self) -> int:
        return self.duty_limit_min * 60

    def may_send(self, role_class: str, province_reserve: bool, grade: str) -> bool:
        """May an officer of this class (and pool) be proposed for a request of this grade?"""
        if province_reserve:
            return grade in self.reserve_grades
        return role_class in self.deployable or self.regular_deployable


def _entry(doc: dict, *path: str) -> dict:
    node = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise PolicyError(f"matching policy: missing {'.'.join(path)}")
        node = node[key]
    source = node.get("source") if isinstance(node, dict) else None
    if not source or not str(source).startswith(("seed", "assumed")):
        raise PolicyError(f"matching policy: {'.'.join(path)} needs a source (seed §... or assumed (...))")
    return node


def parse(doc: dict) -> MatchingPolicy:
    tasks = _entry(doc, "task_minutes")
    missing = [g for g in GRADES if g not in tasks]
    if missing:
        raise PolicyError(f"matching policy: task_minutes lacks {', '.join(missing)}")
    reserve, weights = _entry(doc, "reserve"), _entry(doc, "weights")
    share = float(reserve["share"])
    if not 0 <= share <= 1:
        raise PolicyError(f"matching policy: reserve.share must be between 0 and 1; got {share}")
    out = MatchingPolicy(
        version=str(doc.get("version", "")),
        duty_limit_min=int(_entry(doc, "duty", "limit")["minutes"]),
        shift_min=int(_entry(doc, "duty", "shift")["minutes"]),
        stint_min=int(_entry(doc, "duty", "stint")["minutes"]),
        relief_lead_min=int(_entry(doc, "duty", "relief_lead")["minutes"]),
        warn_min=int(_entry(doc, "duty", "warn")["minutes"]),
        task_minutes={g: int(tasks[g]) for g in GRADES},
        deployable=tuple(_entry(doc, "pools", "deployable")["classes"]),
        regular_deployable=bool(_entry(doc, "pools", "regular")["deployable"]),
        reserve_grades=tuple(_entry(doc, "pools", "province_reserve")["grades"]),
        reserve_share=share, unfairness_s=int(weights["unfairness_s"]),
        reserve_quarter_s=int(weights["reserve_quarter_s"]),
        **_batch(doc))
    if not 0 < out.shift_min <= out.duty_limit_min:
        raise PolicyError("matching policy: a shift must be positive and within the duty limit")
    if not 0 < out.stint_min <= out.shift_min:
        raise PolicyError("matching policy: a stint must be positive and at most one shift")
    return out


def _batch(doc: dict) -> dict:
    """The optional `batch` entry: joint planning of a batch and its time limit (absent: sequential)."""
    if "batch" not in doc:
        return {}
    batch = _entry(doc, "batch")
    limit = batch.get("time_limit_s")
    if limit is not None and float(limit) <= 0:
        raise PolicyError(f"matching policy: batch.time_limit_s must be positive; got {limit}")
    return {"joint_batch": bool(batch["joint"]), "joint_limit_s": None if limit is None else float(limit)}


def load(path: str | Path | None = None, env=os.environ) -> MatchingPolicy:
    with open(path or env.get("MATCHING_POLICY") or DEFAULT_FILE, encoding="utf-8") as f:
        return parse(yaml.safe_load(f))


POLICY = load()
