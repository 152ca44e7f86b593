"""The provincial grading policy and the one function that grades an incident by it.

The policy is data (``policy/grading-v*.yaml``); this module only parses, validates and applies it.
``grade`` looks at the incident's type, domain and size and nothing else (never the county), so the
same facts give the same grade everywhere in the province.

Which rule applies: the rule listing the incident's type; otherwise the rule listing its domain;
otherwise the default rule. A rule maps size measures to grades by thresholds ("at least N → grade");
the incident gets the most severe grade any measure reaches, else the rule's ``otherwise`` grade.

A reported grade: when the policy says ``reported_grade: keep_if_higher`` (grading-v1 does), a
reported grade more severe than the computed one is kept, and the reason records both grades and the
rule, so the escalation is visible and auditable; a reported grade that is less severe is overruled by
the computed one (the point of a single table is that a county cannot grade down). With
``reported_grade: ignore`` the computed grade always stands.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from . import sources

GRADES = ("I", "II", "III", "IV")          # most severe first
SEVERITY = {g: len(GRADES) - i for i, g in enumerate(GRADES)}  # I → 4 ... IV → 1
MEASURES = ("people_involved", "area_km2")  # the fields of the contract's `size`
DOMAINS = ("public_order", "criminal_investigation", "emergency_response", "major_event_security")
REPORTED_GRADE_MODES = ("keep_if_higher", "ignore")


class PolicyError(ValueError):
    """A grading policy that cannot be used; the message names the rule and the field."""


@dataclass(frozen=True)
class Threshold:
    at_least: float
    grade: str


@dataclass(frozen=True)
class Rule:
    id: str
    types: tuple[str, ...]
    domains: tuple[str, ...]
    default: bool
    criteria: tuple[tuple[str, tuple[Threshold, ...]], ...]  # (measure, thresholds most severe first)
    otherwise: str


@dataclass(frozen=True)
class Policy:
    version: str
    effective_from: date
    reported_grade: str
    rules: tuple[Rule, ...]

    def rule_for(self, incident_type: str, domain: str | None) -> Rule:
        for rule in self.rules:
            if incident_type in rule.types:
                return rule
        for rule in self.rules:
            if domain is not None and domain in rule.domains:
                return rule
        return next(r for r in self.rules if r.default)


@dataclass(frozen=True)
class Grading:
    grade: str
    rule_id: str
    policy_version: str
    reason: str
    computed_grade: str
    reported_grade: str | None = None

    def as_dict(self) -> dict:
        return {"grade": self.grade, "rule_id": self.rule_id, "policy_version": self.policy_version,
                "reason": self.reason, "computed_grade": self.computed_grade,
                "reported_grade": self.reported_grade}


def grade(incident: dict, policy: Policy) -> Grading:
    """The incident's grade under `policy`, with the rule that produced it and why. Pure."""
    rule = policy.rule_for(incident.get("type", ""), incident.get("domain"))
    size = incident.get("size") or {}
    computed, why = rule.otherwise, None
    for measure, thresholds in rule.criteria:
        value = size.get(measure)
        if value is None:
            continue
        for t in thresholds:
            if value >= t.at_least:
                if why is None or SEVERITY[t.grade] > SEVERITY[computed]:
                    computed, why = t.grade, f"{measure} {_num(value)} ≥ {_num(t.at_least)} → {t.grade}"
                break
    if why is None:
        known = [f"{m} {_num(size[m])}" for m, _ in rule.criteria if size.get(m) is not None]
        why = (f"{', '.join(known)} below every threshold" if known else "no size measure given") \
            + f" → {rule.otherwise}"
    reason = f"rule {rule.id}: {why}"
    final = computed
    reported = incident.get("reported_grade")
    if reported in SEVERITY and reported != computed:
        if SEVERITY[reported] > SEVERITY[computed] and policy.reported_grade == "keep_if_higher":
            final = reported
            reason += f"; reported grade {reported} kept over computed {computed} (more severe)"
        else:
            reason += f"; reported grade {reported} overruled by computed {computed}"
    return Grading(grade=final, rule_id=rule.id, policy_version=policy.version, reason=reason,
                   computed_grade=computed, reported_grade=reported)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ---------------------------------------------------------------------------------------------
# Parsing and validation of the policy document (a dict, as read from YAML)

def parse_policy(doc: object) -> Policy:
    """A validated Policy, or PolicyError naming the rule and the field that is wrong."""
    if not isinstance(doc, dict):
        raise PolicyError("grading policy: the document must be a mapping")
    unknown = set(doc) - {"version", "effective_from", "reported_grade", "rules", "description", "source"}
    if unknown:
        raise PolicyError(f"grading policy: unknown key(s) {sorted(unknown)}")
    sources.check("grading policy", doc.get("source"), PolicyError)
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        raise PolicyError("grading policy: 'version' must be a non-empty string")
    eff = doc.get("effective_from")
    if isinstance(eff, str):
        try:
            eff = date.fromisoformat(eff)
        except ValueError:
            raise PolicyError(f"grading policy: 'effective_from' {eff!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(eff, date):
        raise PolicyError("grading policy: 'effective_from' must be a date (YYYY-MM-DD)")
    mode = doc.get("reported_grade", "keep_if_higher")
    if mode not in REPORTED_GRADE_MODES:
        raise PolicyError(f"grading policy: 'reported_grade' must be one of {list(REPORTED_GRADE_MODES)}, not {mode!r}")
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise PolicyError("grading policy: 'rules' must be a non-empty list")
    rules, seen_ids, seen_types, seen_domains = [], set(), {}, {}
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, i)
        if rule.id in seen_ids:
            raise PolicyError(f"grading rule {rule.id!r}: duplicate id")
        seen_ids.add(rule.id)
        for t in rule.types:
            if t in seen_types:
                raise PolicyError(f"grading rule {rule.id!r}: type {t!r} is already graded by rule {seen_types[t]!r}")
            seen_types[t] = rule.id
        for d in rule.domains:
            if d in seen_domains:
                raise PolicyError(f"grading rule {rule.id!r}: domain {d!r} is already graded by rule {seen_domains[d]!r}")
            seen_domains[d] = rule.id
        rules.append(rule)
    defaults = [r.id for r in rules if r.default]
    if len(defaults) != 1:
        raise PolicyError(f"grading policy: exactly one rule must be 'default: true' (found {defaults or 'none'})")
    return Policy(version=version, effective_from=eff, reported_grade=mode, rules=tuple(rules))


def _parse_rule(raw: object, index: int) -> Rule:
    if not isinstance(raw, dict):
        raise PolicyError(f"grading rule #{index + 1}: must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid or len(rid) > 64:
        raise PolicyError(f"grading rule #{index + 1}: 'id' must be a string of 1-64 characters")

    def bad(msg: str) -> PolicyError:
        return PolicyError(f"grading rule {rid!r}: {msg}")

    unknown = set(raw) - {"id", "types", "domains", "default", "criteria", "otherwise", "note", "source"}
    if unknown:
        raise bad(f"unknown key(s) {sorted(unknown)}")
    sources.check(f"grading rule {rid!r}", raw.get("source"), PolicyError)
    types = raw.get("types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        raise bad("'types' must be a list of incident type codes")
    domains = raw.get("domains", [])
    if not isinstance(domains, list) or any(d not in DOMAINS for d in domains):
        raise bad(f"'domains' must be a list of {list(DOMAINS)}")
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise bad("'default' must be true or false")
    if not (types or domains or default):
        raise bad("matches nothing: give 'types', 'domains' or 'default: true'")
    otherwise = raw.get("otherwise")
    if otherwise not in SEVERITY:
        raise bad(f"'otherwise' must be one of {list(GRADES)}, not {otherwise!r}")
    raw_criteria = raw.get("criteria", {})
    if not isinstance(raw_criteria, dict):
        raise bad("'criteria' must map a size measure to its thresholds")
    criteria = []
    for measure, raw_thresholds in raw_criteria.items():
        if measure not in MEASURES:
            raise bad(f"criteria: unknown measure {measure!r} (known: {list(MEASURES)})")
        if not isinstance(raw_thresholds, list) or not raw_thresholds:
            raise bad(f"criteria.{measure}: must be a non-empty list of {{at_least, grade}}")
        thresholds = []
        for j, t in enumerate(raw_thresholds):
            where = f"criteria.{measure}[{j}]"
            if not isinstance(t, dict) or set(t) != {"at_least", "grade"}:
                raise bad(f"{where}: must have exactly 'at_least' and 'grade'")
            n, g = t["at_least"], t["grade"]
            if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0 or not math.isfinite(n):
                raise bad(f"{where}.at_least: must be a number ≥ 0, not {n!r}")
            if g not in SEVERITY:
                raise bad(f"{where}.grade: must be one of {list(GRADES)}, not {g!r}")
            if thresholds and not (n < thresholds[-1].at_least and SEVERITY[g] < SEVERITY[thresholds[-1].grade]):
                raise bad(f"{where}: thresholds must go from the most severe grade down, "
                          f"each with a smaller 'at_least' and a less severe grade")
            if SEVERITY[g] <= SEVERITY[otherwise]:
                raise bad(f"{where}.grade: {g} is not more severe than 'otherwise' ({otherwise})")
            thresholds.append(Threshold(at_least=n, grade=g))
        criteria.append((measure, tuple(thresholds)))
    return Rule(id=rid, types=tuple(types), domains=tuple(domains), default=default,
                criteria=tuple(criteria), otherwise=otherwise)
