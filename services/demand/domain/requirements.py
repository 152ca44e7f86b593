"""Requirement templates: which officers and equipment an incident of a given type and grade needs.

Templates are data (``policy/requirements-v*.yaml``); this module parses, validates and applies them.
A template lists lines (module, skill tags, certifications, equipment, headcount). A line's headcount is
its number for the incident's grade, raised when the line scales with a size measure (one officer per
``every`` units of ``measure``, rounded up), and capped by ``max``. An incident type without a template
uses the ``default`` template. Pure: no I/O.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from services.common.contracts import MODULES

from . import sources
from .grading import DOMAINS, GRADES, MEASURES, Grading

CODE = re.compile(r"^[a-z][a-z0-9_:-]{0,63}$")
LINE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_HEADCOUNT = 10000  # the contract's headcount maximum


class TemplateError(ValueError):
    """Requirement templates that cannot be used; the message names the template, line and field."""


@dataclass(frozen=True)
class LineTemplate:
    line_id: str
    module: str
    tags: tuple[str, ...]
    certifications: tuple[str, ...]
    equipment: tuple[str, ...]
    by_grade: dict
    measure: str | None = None
    every: float | None = None
    max: int = MAX_HEADCOUNT


@dataclass(frozen=True)
class Templates:
    version: str
    templates: dict  # incident type (or "default") → tuple[LineTemplate, ...]
    domains: dict = None  # domain → the incident type whose template it uses

    def template_name(self, incident_type: str, domain: str | None = None) -> str:
        """Which template an incident uses: its type's, else its domain's, else "default"."""
        if incident_type in self.templates:
            return incident_type
        return (self.domains or {}).get(domain) or "default"

    def for_type(self, incident_type: str, domain: str | None = None) -> tuple[LineTemplate, ...]:
        return self.templates[self.template_name(incident_type, domain)]


def requirements(incident: dict, grading: Grading, templates: Templates) -> list[dict]:
    """The lines (contract `line` objects) the incident needs at its grade. Pure."""
    size = incident.get("size") or {}
    out = []
    for t in templates.for_type(incident.get("type", ""), incident.get("domain")):
        n = t.by_grade[grading.grade]
        if t.measure and size.get(t.measure) is not None:
            n = max(n, math.ceil(size[t.measure] / t.every))
        n = max(1, min(n, t.max, MAX_HEADCOUNT))
        out.append({"line_id": t.line_id, "module": t.module, "tags": list(t.tags),
                    "certifications": list(t.certifications), "equipment": list(t.equipment), "headcount": n})
    return out


def parse_templates(doc: object) -> Templates:
    """Validated Templates, or TemplateError naming the template, line and field that are wrong."""
    if not isinstance(doc, dict):
        raise TemplateError("requirement templates: the document must be a mapping")
    unknown = set(doc) - {"version", "effective_from", "templates", "domains", "description"}
    if unknown:
        raise TemplateError(f"requirement templates: unknown key(s) {sorted(unknown)}")
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        raise TemplateError("requirement templates: 'version' must be a non-empty string")
    raw = doc.get("templates")
    if not isinstance(raw, dict) or "default" not in raw:
        raise TemplateError("requirement templates: 'templates' must map incident types to lines and include 'default'")
    out = {}
    for itype, template in raw.items():
        if not isinstance(template, dict) or set(template) != {"source", "lines"}:
            raise TemplateError(f"requirement template {itype!r}: must have exactly 'source' and 'lines'")
        sources.check(f"requirement template {itype!r}", template["source"], TemplateError)
        lines = template["lines"]
        if not isinstance(lines, list) or not lines:
            raise TemplateError(f"requirement template {itype!r}: must be a non-empty list of lines")
        parsed, ids = [], set()
        for i, line in enumerate(lines):
            lt = _parse_line(itype, i, line)
            if lt.line_id in ids:
                raise TemplateError(f"requirement template {itype!r}: duplicate line_id {lt.line_id!r}")
            ids.add(lt.line_id)
            parsed.append(lt)
        out[itype] = tuple(parsed)
    return Templates(version=version, templates=out, domains=_domains(doc.get("domains"), out))


def _domains(raw: object, templates: dict) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TemplateError("requirement templates: 'domains' must map a domain to an incident type's template")
    sources.check("requirement templates: domains", raw.get("source"), TemplateError)
    out = {}
    for domain, itype in raw.items():
        if domain == "source":
            continue
        if domain not in DOMAINS:
            raise TemplateError(f"requirement templates: domains: {domain!r} is not one of {list(DOMAINS)}")
        if itype not in templates:
            raise TemplateError(f"requirement templates: domains.{domain}: no template {itype!r}")
        out[domain] = itype
    return out


def _parse_line(itype: str, index: int, raw: object) -> LineTemplate:
    where = f"requirement template {itype!r} line #{index + 1}"
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: must be a mapping")
    unknown = set(raw) - {"line_id", "module", "tags", "certifications", "equipment", "headcount"}
    if unknown:
        raise TemplateError(f"{where}: unknown key(s) {sorted(unknown)}")
    lid = raw.get("line_id")
    if not isinstance(lid, str) or not LINE_ID.match(lid):
        raise TemplateError(f"{where}: 'line_id' must be an id (letters, digits and . _ : -)")
    where = f"requirement template {itype!r} line {lid!r}"
    module = raw.get("module")
    if module not in MODULES:
        raise TemplateError(f"{where}: 'module' must be one of {list(MODULES)}, not {module!r}")
    codes = {}
    for key in ("tags", "certifications", "equipment"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(c, str) and CODE.match(c) for c in value) \
                or len(set(value)) != len(value):
            raise TemplateError(f"{where}: '{key}' must be a list of distinct lowercase codes")
        codes[key] = tuple(value)
    hc = raw.get("headcount")
    if not isinstance(hc, dict):
        raise TemplateError(f"{where}: 'headcount' must be a mapping with a number per grade")
    unknown = set(hc) - set(GRADES) - {"per", "max"}
    if unknown:
        raise TemplateError(f"{where}: headcount: unknown key(s) {sorted(unknown)}")
    by_grade = {}
    for g in GRADES:
        n = hc.get(g)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_HEADCOUNT:
            raise TemplateError(f"{where}: headcount.{g} must be an integer 1-{MAX_HEADCOUNT}, not {n!r}")
        by_grade[g] = n
    measure = every = None
    if "per" in hc:
        per = hc["per"]
        if not isinstance(per, dict) or set(per) != {"measure", "every"}:
            raise TemplateError(f"{where}: headcount.per must have exactly 'measure' and 'every'")
        measure, every = per["measure"], per["every"]
        if measure not in MEASURES:
            raise TemplateError(f"{where}: headcount.per.measure must be one of {list(MEASURES)}, not {measure!r}")
        if isinstance(every, bool) or not isinstance(every, (int, float)) or every <= 0:
            raise TemplateError(f"{where}: headcount.per.every must be a number > 0, not {every!r}")
    cap = hc.get("max", MAX_HEADCOUNT)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= MAX_HEADCOUNT:
        raise TemplateError(f"{where}: headcount.max must be an integer 1-{MAX_HEADCOUNT}, not {cap!r}")
    return LineTemplate(line_id=lid, module=module, by_grade=by_grade, measure=measure, every=every, max=cap,
                        **codes)
