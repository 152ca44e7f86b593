"""Free text → proposed requirement lines, each with a confidence and the words it came from.

For every clause (see clauses.py) the lexicon proposes a line: its module, tags, certificates and
equipment from the words found, its headcount from the count of people. The model (model.py) then
scores every label on the clause: a lexicon label stays when the model gives it at least KEEP, a label
the lexicon did not see is added when the model gives it at least ADD (how corrections teach new
words), a clause with no person noun becomes a line only when the model is sure it asks for officers.
A line's confidence is its weakest decision; a line without a headcount is capped at NO_COUNT_CAP, so a
reporter sees at a glance what to check. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .clauses import GE, Clause, split
from .lexicon import Lexicon, normalise
from .model import Model, features

KEEP, ADD, LINE_MIN, LINE_ADD = 0.2, 0.5, 0.25, 0.85
NO_COUNT_CAP = 0.6
# A tag that qualifies officers (a language, first aid) names the module only when nothing else does.
# Words that ask for something: a clause that names no one is a need only with one of them (现场约200人聚集 is not).
NEED_WORDS = ("需要", "需", "请求", "请派", "派", "调", "支援", "增援", "要", "抽调", "协助", "配合", "带")
MODIFIER_TAGS = ("foreign_language", "first_aid", "interpreter_sign", "mass_incident_handling", "swimming_rescue")


@dataclass
class Line:
    line_id: str
    module: str
    tags: list[str]
    certifications: list[str]
    equipment: list[str]
    headcount: int | None
    confidence: float
    span: dict
    evidence: list[dict] = field(default_factory=list)
    approximate: bool = False

    def as_dict(self) -> dict:
        return {"line_id": self.line_id, "module": self.module, "tags": self.tags,
                "certifications": self.certifications, "equipment": self.equipment, "headcount": self.headcount,
                "headcount_approximate": self.approximate, "confidence": round(self.confidence, 2),
                "span": self.span, "evidence": self.evidence}


def lexicon_labels(clause: Clause, lexicon: Lexicon) -> dict[str, list]:
    """label → the hits that give it, from the lexicon alone."""
    out: dict[str, list] = {}
    tags = []
    for h in clause.hits:
        for kind, code in h.meanings:
            if kind == "tag":
                tags.append(code)
                out.setdefault(f"tag:{code}", []).append(h)
            elif kind == "lang":
                out.setdefault(f"tag:foreign_language:{code}", []).append(h)
            elif kind in ("cert", "equip"):
                out.setdefault(f"{kind}:{code}", []).append(h)
    if any(k.startswith("tag:foreign_language:") for k in out):
        out.pop("tag:foreign_language", None)
    licensed = [h for h in clause.hits if h.kinds("licensed")]
    if licensed:
        for t in tags:
            cert = lexicon.tag_certificates.get(t)
            if cert:
                out.setdefault(f"cert:{cert}", []).extend(licensed)
    return out


def rule_module(clause: Clause, labels: dict, lexicon: Lexicon) -> tuple[str | None, list]:
    """The module a clause names (its last module word: the head noun), else its strongest tag's."""
    words = [h for h in clause.hits if h.kinds("module")]
    if words:
        return words[-1].kinds("module")[0], [words[-1]]
    tags = [k[4:] for k in labels if k.startswith("tag:")]
    base = [t.split(":")[0] for t in tags]
    ranked = sorted(zip(base, tags), key=lambda bt: (bt[0] in MODIFIER_TAGS,
                                                     not any(h.kinds("people") for h in labels[f"tag:{bt[1]}"])))
    if ranked:
        tag = ranked[0][0]
        return lexicon.tag_modules.get(tag), labels[f"tag:{ranked[0][1]}"]
    return None, []


class Parser:
    def __init__(self, lexicon: Lexicon, model: Model | None = None):
        self.lexicon, self.model = lexicon, model

    @property
    def version(self) -> str:
        return f"{self.lexicon.version}+{self.model.version if self.model else 'no-model'}"

    def clauses(self, text: str) -> list[Clause]:
        return split(normalise(text or ""), self.lexicon)

    def parse(self, text: str) -> list[Line]:
        original = text or ""
        clauses = self.clauses(original)
        labels = [lexicon_labels(c, self.lexicon) for c in clauses]
        scores = self.model.predict([features(c.text, list(lab)) for c, lab in zip(clauses, labels)]) \
            if self.model else [None] * len(clauses)
        lines: list[Line] = []
        carried = _carried_counts(clauses)
        for i, (c, lab, p) in enumerate(zip(clauses, labels, scores)):
            if c.has("neg"):
                continue
            names, counted = c.names_people, bool(c.person_counts()) or i in carried
            rule_line = names or (counted and any(k.startswith("tag:") for k in lab)
                                  and (bool(lines) or any(w in c.text for w in NEED_WORDS)))
            p_line = p.get("line", 0.0) if p else (0.9 if names else 0.7)
            if not (rule_line and p_line >= LINE_MIN or p_line >= LINE_ADD):
                if lines and not counted and not names and any(k.startswith("equip:") for k in lab):
                    _attach_equipment(lines[-1], lab, original, c)
                continue
            ge = GE in c.text and len({m for h in c.hits for m in h.kinds("module")}) >= 2
            for module_hit in ([h for h in c.hits if h.kinds("module")] if ge else [None]):
                lines.append(self._line(len(lines) + 1, c, lab, p, p_line, module_hit, carried.get(i), original))
        return lines

    def _line(self, n, c: Clause, lab: dict, p: dict | None, p_line: float, module_hit, carried, original) -> Line:
        decisions = [p_line]
        chosen: dict[str, list] = {}
        for label, hits in lab.items():
            score = p.get(label, 0.5) if p else 0.9
            if score >= KEEP:
                chosen[label] = hits
                decisions.append(max(score, 0.5 + score / 2))  # the lexicon and the model agree, or nearly
        if p:
            for label, score in p.items():
                if label not in lab and score >= ADD and label.split(":")[0] in ("tag", "cert", "equip"):
                    chosen[label] = []
                    decisions.append(score)
        if module_hit is not None:
            module, module_hits = module_hit.kinds("module")[0], [module_hit]
        else:
            module, module_hits = rule_module(c, {k: v for k, v in chosen.items() if k.startswith("tag:")},
                                              self.lexicon)
        module, module_conf = self._module(module, p)
        decisions.append(module_conf)
        if module_hits:
            chosen.setdefault(f"module:{module}", module_hits)
        counts = c.person_counts()
        count = counts[0] if counts else carried
        headcount = count.value if count else None
        confidence = min(decisions)
        if headcount is None:
            confidence = min(confidence, NO_COUNT_CAP)
        elif count.approximate:
            confidence = min(confidence, 0.85)
        codes = {kind: sorted(k.split(":", 1)[1] for k in chosen if k.startswith(kind + ":"))
                 for kind in ("tag", "cert", "equip")}
        evidence = [{"word": original[h.start:h.end], "start": h.start, "end": h.end, "means": label}
                    for label, hits in chosen.items() for h in hits]
        if count is not None:
            evidence.append({"word": original[count.start:count.end], "start": count.start, "end": count.end,
                             "means": "headcount"})
        evidence.sort(key=lambda e: (e["start"], e["means"]))
        return Line(line_id=f"text-{n}", module=module, tags=codes["tag"], certifications=codes["cert"],
                    equipment=codes["equip"], headcount=headcount, confidence=confidence,
                    span={"start": c.start, "end": c.end, "text": original[c.start:c.end]}, evidence=evidence,
                    approximate=bool(count and count.approximate))

    def _module(self, rule: str | None, p: dict | None) -> tuple[str, float]:
        if not p:
            return (rule, 0.9) if rule else ("patrol", 0.4)
        modules = {k[7:]: v for k, v in p.items() if k.startswith("module:")}
        best = max(modules, key=modules.get) if modules else None
        if rule is None:
            if best is None:
                return "patrol", 0.4
            return best, modules[best]
        if best and best != rule and modules[best] >= 0.7 and modules.get(rule, 0.0) < 0.3:
            return best, modules[best]
        return rule, max(modules.get(rule, 0.5), 0.5 + modules.get(rule, 0.5) / 2)


def _carried_counts(clauses: list[Clause]) -> dict:
    """Clauses that name people without a number take the next clause's when it says 各 (刑警、特警各10名)."""
    out = {}
    for i in range(len(clauses) - 1, -1, -1):
        c = clauses[i]
        if c.names_people and not c.person_counts() and i + 1 < len(clauses):
            nxt = clauses[i + 1]
            nxt_counts = nxt.person_counts() or ([out[i + 1]] if i + 1 in out else [])
            if GE in nxt.text and nxt_counts:
                out[i] = nxt_counts[0]
    return out


def _attach_equipment(line: Line, labels: dict, original: str, c: Clause) -> None:
    """再带两台生命探测仪: equipment named on its own goes with the line before it."""
    for label, hits in labels.items():
        if label.startswith("equip:") and label[6:] not in line.equipment:
            line.equipment = sorted(line.equipment + [label[6:]])
            line.evidence += [{"word": original[h.start:h.end], "start": h.start, "end": h.end, "means": label}
                              for h in hits]
