"""Free text → proposed requirement lines, each with a confidence and the words it came from.

For every clause (see clauses.py) the lexicon proposes a line: its module, tags, certificates and
equipment from the words found, its headcount from the count of people. The model (model.py) then
scores every label on the clause. The lexicon's word is the evidence the reporter checks, so a label it
found stands unless the model is all but sure against it (below VETO: trained wordings where the word
describes the incident, not the group); a label the lexicon did not see is added when the model gives
it at least ADD (how corrections teach new words); the module a group's own word names (技术民警) stays
unless the model is all but sure of another. A clause with no person noun becomes a line only when the
model is sure it asks for officers; officers said to be on hand already (现场已有民警十人) and a part of
a group already asked for (其中铁骑三名) are no line. A clause that only qualifies the line before it
(，持枪 / ，能讲西班牙语 / ，带上无人机 / ，持证上岗) adds to that line; one that only gives its number
(，一名即可 / ，能不能调五六个过来) is read with it; 共需二十名 is that line's total.
A line's confidence is its weakest decision; a line without a headcount is capped at NO_COUNT_CAP, so a
reporter sees at a glance what to check. Pure: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clauses import GE, Clause, split
from .lexicon import Lexicon, normalise
from .model import Model, features

VETO, ADD, LINE_MIN, LINE_ADD = 0.05, 0.5, 0.25, 0.85
LINE_MIN_COUNTED = 0.1  # a group named with its number (技侦1) is a line unless the model is sure it is not
# the model replaces the module a group's own word names only when this sure (and the word's below 1 - it)
MODULE_WORD_OVERRIDE, MODULE_OVERRIDE = 0.95, 0.7
NO_COUNT_CAP = 0.6
# A tag that qualifies officers (a language, first aid) names the module only when nothing else does.
# Words that ask for something: a clause that names no one is a need only with one of them (现场约200人聚集 is not).
NEED_WORDS = ("需要", "需", "请求", "请派", "派", "调", "支援", "增援", "要", "抽调", "协助", "配合", "带", "缺")
MODIFIER_TAGS = ("foreign_language", "first_aid", "interpreter_sign", "mass_incident_handling", "swimming_rescue")
# Officers already there: a clause saying so asks for no one unless it also asks (已有民警十人，还需…).
ON_HAND = re.compile(r"已有|现有|只有|仅有|已派|已到|到场|在场|正在|已出动|已在|已经有|已经派|值班")
NOT_ASKING = re.compile(r"已有|现有|只有|仅有|已派|已到|已出动|已在|已经有|已经派|派出所|值班")
SUBSET = re.compile(r"^\s*(?:其中|内含|包括)|^\s*关于.*(?:报告|请示|的函)\s*$")  # a part of a group; a title
TOTAL = re.compile(r"^\s*(?:共需|共计|总共|合计|一共|共要|总计|共)")
# a clause that qualifies the group before it: its skills (，能讲西班牙语) and certificates (，持枪 / ，配救生员证);
# what it brings (，带冲锋舟) is equipment, never a specialty
QUALIFIER = re.compile(r"^\s*(?:要求|最好|必须|须|需|要|能|会|懂|熟悉|精通|擅长|具备|具有)")
CERTIFIED = re.compile(r"^\s*(?:要求|最好|必须|须|需|要|持|配|带|携|具备|具有|有)")
SKILL = ("会", "懂", "能", "熟悉", "精通", "擅长", "懂得")
ONLY_NUMBER = re.compile(r"即可|就行|就够|足够|左右|过来")


def _asks(text: str) -> bool:
    """Whether a clause asks for something (派出所, 已派 are not asking)."""
    rest = NOT_ASKING.sub("", text)
    return any(w in rest for w in NEED_WORDS)


def _on_hand(text: str) -> bool:
    return bool(ON_HAND.search(text)) and not _asks(text)


def _skilled(c: Clause) -> bool:
    """会俄语的, 懂急救的: a specialty asked as a skill of the group."""
    for h in c.hits:
        if h.kinds("tag") or h.kinds("lang"):
            before = c.text[max(0, h.start - c.start - 3):h.start - c.start]
            if h.word.startswith(SKILL) or any(w in before for w in SKILL):
                return True
    return False


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
        clauses = _join_numbers(self.clauses(original))
        labels = [lexicon_labels(c, self.lexicon) for c in clauses]
        scores = self.model.predict([features(c.text, list(lab)) for c, lab in zip(clauses, labels)]) \
            if self.model else [None] * len(clauses)
        lines: list[Line] = []
        pending: list[tuple[dict, Clause]] = []  # equipment named before any group (无人机2架，飞手2名)
        carried = _carried_counts(clauses, normalise(original))
        for i, (c, lab, p) in enumerate(zip(clauses, labels, scores)):
            if c.has("neg") or SUBSET.match(c.text):
                continue
            on_hand = _on_hand(c.text)
            names, counted = c.names_people, bool(c.person_counts()) or i in carried
            tagged = any(k.startswith("tag:") for k in lab)
            rule_line = not on_hand and (names or counted and tagged and (
                bool(lines) or _asks(c.text) or _skilled(c) or i in carried or c.counts_a_specialty()))
            p_line = p.get("line", 0.0) if p else (0.9 if names else 0.7)
            line_min = LINE_MIN_COUNTED if names and counted else LINE_MIN
            if not (rule_line and p_line >= line_min or p_line >= LINE_ADD and not on_hand):
                if names or on_hand:
                    continue
                if lines and counted and TOTAL.match(c.text) and not tagged:
                    _total(lines[-1], c, original)
                elif lines and not counted:
                    _attach(lines[-1], lab, original, c, self.lexicon)
                elif not counted and any(k.startswith("equip:") for k in lab) and _asks(c.text):
                    pending.append((lab, c))
                continue
            ge = GE in c.text and len({m for h in c.hits for m in h.kinds("module")}) >= 2
            for module_hit in ([h for h in c.hits if h.kinds("module")] if ge else [None]):
                lines.append(self._line(len(lines) + 1, c, lab, p, p_line, module_hit, carried.get(i), original))
            for plab, pc in pending:
                _attach(lines[-1], {k: v for k, v in plab.items() if k.startswith("equip:")}, original, pc,
                        self.lexicon)
            pending = []
        return lines

    def _line(self, n, c: Clause, lab: dict, p: dict | None, p_line: float, module_hit, carried, original) -> Line:
        decisions = [p_line]
        chosen: dict[str, list] = {}
        for label, hits in lab.items():
            score = p.get(label, 0.5) if p else 0.9
            if score >= VETO:
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
        module, module_conf = self._module(module, p, bool(module_hits and module_hits[0].kinds("module")))
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

    def _module(self, rule: str | None, p: dict | None, named: bool = False) -> tuple[str, float]:
        if not p:
            return (rule, 0.9) if rule else ("patrol", 0.4)
        modules = {k[7:]: v for k, v in p.items() if k.startswith("module:")}
        best = max(modules, key=modules.get) if modules else None
        if rule is None:  # a group named by a general word (民警, 人手): patrol unless the model knows better
            if best is None or modules[best] < 0.5:
                return "patrol", 0.4
            return best, modules[best]
        sure = MODULE_WORD_OVERRIDE if named else MODULE_OVERRIDE
        if best and best != rule and modules[best] >= sure and modules.get(rule, 0.0) < 1 - sure:
            return best, modules[best]
        return rule, max(modules.get(rule, 0.5), 0.5 + modules.get(rule, 0.5) / 2)


def _carried_counts(clauses: list[Clause], text: str) -> dict:
    """Clauses that name a group without a number take the next clause's when it says 各 (刑警、特警各10名,
    特警、刑警、交警各五名, 网安、技侦各2人)."""
    out = {}
    for i in range(len(clauses) - 2, -1, -1):
        c, nxt = clauses[i], clauses[i + 1]
        if not (c.names_people or c.has("tag")) or c.person_counts():
            continue
        if GE in nxt.text and nxt.person_counts():
            out[i] = nxt.person_counts()[0]
        elif i + 1 in out and text[c.end:nxt.start].strip() == "、":
            out[i] = out[i + 1]
    return out


def _join_numbers(clauses: list[Clause]) -> list[Clause]:
    """需要能说英语的民警，一名即可: a clause that only gives a number is read with the group before it."""
    out: list[Clause] = []
    for c in clauses:
        prev = out[-1] if out else None
        if (prev is not None and c.person_counts() and not prev.person_counts() and not prev.has("neg")
                and (prev.names_people or prev.has("tag") or prev.has("lang"))
                and not any(h.kinds(k) for h in c.hits for k in ("module", "people", "tag", "lang", "other", "neg"))
                and (_asks(c.text) or ONLY_NUMBER.search(c.text)) and not TOTAL.match(c.text)):
            gap = c.start - prev.end
            out[-1] = Clause(prev.start, c.end, prev.text + " " * gap + c.text, prev.hits + c.hits,
                             prev.counts + c.counts)
            continue
        out.append(c)
    return out


def _attach(line: Line, labels: dict, original: str, c: Clause, lexicon: Lexicon) -> None:
    """A clause that names no one adds to the line before it: equipment (再带两台生命探测仪); certificates,
    languages and specialties when it qualifies the group (，持枪 / ，能讲西班牙语 / ，持证上岗)."""
    skilled, certified = bool(QUALIFIER.match(c.text)), bool(CERTIFIED.match(c.text))
    add = {k: v for k, v in labels.items()
           if k.startswith("equip:") or skilled and k.startswith("tag:") or certified and k.startswith("cert:")}
    if certified and c.has("licensed"):
        licensed = [h for h in c.hits if h.kinds("licensed")]
        for t in line.tags:
            cert = lexicon.tag_certificates.get(t.split(":")[0])
            if cert:
                add.setdefault(f"cert:{cert}", licensed)
    for label, hits in add.items():
        kind, code = label.split(":", 1)
        field_ = {"equip": "equipment", "cert": "certifications", "tag": "tags"}[kind]
        if code not in getattr(line, field_):
            setattr(line, field_, sorted(getattr(line, field_) + [code]))
            line.evidence += [{"word": original[h.start:h.end], "start": h.start, "end": h.end, "means": label}
                              for h in hits]


def _total(line: Line, c: Clause, original: str) -> None:
    """共需二十名: the total of the line before."""
    count = c.person_counts()[0]
    if count.value is not None:
        line.headcount, line.approximate = count.value, count.approximate
        line.evidence.append({"word": original[count.start:count.end], "start": count.start, "end": count.end,
                              "means": "headcount"})
