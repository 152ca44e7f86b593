"""demand's policy files: a template for every graded incident type and a source on every entry (the
README's table of assumptions is checked against every policy file in test_policy_sources.py)."""
from __future__ import annotations

import pytest
import yaml

from services.demand import policies
from services.demand.domain import sources

FILES = sorted(policies.POLICY_DIR.glob("*.yaml"))


def test_every_type_the_grading_policy_grades_has_its_own_template():
    rules = policies.current()
    for rule in rules.grading.rules:
        for itype in rule.types:
            assert rules.templates.template_name(itype) == itype, f"{itype} falls to the default template"
        for domain in rule.domains:
            assert rules.templates.template_name("anything_else", domain) != "default", domain


@pytest.mark.parametrize("itype", ["flood", "rainstorm", "typhoon"])
def test_weather_disasters_need_rescue_patrol_and_medical_lines(itype):
    lines = policies.current().templates.for_type(itype)
    modules = {line.module for line in lines}
    assert {"emergency_rescue", "patrol"} <= modules
    assert any("first_aid" in line.certifications for line in lines), f"{itype} has no medical line"


def test_counter_terror_is_graded_and_has_its_own_lines():
    rules = policies.current()
    assert rules.grading.rule_for("counter_terror", "public_order").id == "counter_terror"
    assert {"eod", "tactical"} <= {line.line_id for line in rules.templates.for_type("counter_terror")}


def test_a_template_without_a_source_is_refused():
    doc = yaml.safe_load(policies.REQUIREMENTS_FILE.read_text(encoding="utf-8"))
    doc["templates"]["flood"]["source"] = "because"
    with pytest.raises(ValueError, match="requirement template 'flood': 'source' must be"):
        from services.demand.domain.requirements import parse_templates
        parse_templates(doc)


def test_every_grading_rule_and_template_names_its_source():
    for path in FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        named = {p for p, _ in sources.entries(doc)}
        for rule in doc.get("rules", []):
            assert f"rules[{rule['id']}]" in named, (path.name, rule["id"])
        for itype in doc.get("templates", {}):
            assert f"templates.{itype}" in named, (path.name, itype)
        for grade in doc.get("deadlines", {}):
            assert f"deadlines.{grade}" in named, (path.name, grade)
