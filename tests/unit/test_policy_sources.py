"""The README's table of assumptions against the policy files: every value a policy file marks
`source: assumed (…)` has its row in the table, naming that file; and every row names a file that
exists and marks something assumed (a row left behind by a value that became the seed's, or moved,
fails too)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from services.demand.domain import sources

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def policy_files() -> list[Path]:
    """Every YAML file under services/ and twin/ with at least one sourced entry."""
    out = []
    for path in sorted([*(ROOT / "services").rglob("*.yaml"), *(ROOT / "twin").rglob("*.yaml")]):
        if sources.entries(yaml.safe_load(path.read_text(encoding="utf-8"))):
            out.append(path)
    return out


def assumption_rows(text: str) -> list[tuple[list[str], list[str]]]:
    """(value patterns, files) of each row of the README's `## Assumptions` table."""
    start = text.index("\n## Assumptions\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else None]
    rows = [r for r in section.splitlines() if r.startswith("|") and not r.startswith("| ---")][1:]
    out = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4, row  # | value | default | where (file) | why assumed |
        out.append((re.findall(r"`([^`]+)`", cells[0]), re.findall(r"(?:services|twin)/[\w./-]+\.yaml", cells[2])))
    return out


def matches(entry: str, pattern: str) -> bool:
    """`*` in a table value stands for any rest of the path (``templates.*``, ``rules[*]``)."""
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), entry) is not None


def assumed(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [entry for entry, source in sources.entries(doc) if sources.is_assumed(source)]


def missing(rows, files: list[Path]) -> list[str]:
    out = []
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        for entry in assumed(path):
            if not any(name in where and any(matches(entry, p) for p in patterns) for patterns, where in rows):
                out.append(f"{name} {entry}")
    return out


def test_the_policy_files_of_every_service_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in policy_files()}
    assert {"services/demand/policy/grading-v1.yaml", "services/matching/policy/matching-v1.yaml",
            "services/resources/policy/resources-v1.yaml", "services/logistics/data/reception.yaml",
            "services/demand/needs/data/lexicon.yaml", "services/common/auth-limits.yaml",
            "twin/ui/board.yaml"} <= names


def test_every_assumed_value_of_every_policy_file_has_its_row_in_the_readme():
    gaps = missing(assumption_rows(README.read_text(encoding="utf-8")), policy_files())
    assert not gaps, "assumed but not in the README's table of assumptions:\n" + "\n".join(gaps)


def test_every_row_names_a_policy_file_that_assumes_that_value():
    files = {p.relative_to(ROOT).as_posix(): assumed(p) for p in policy_files()}
    stale = []
    for patterns, where in assumption_rows(README.read_text(encoding="utf-8")):
        assert where, patterns
        for name in where:
            if name not in files:
                stale.append(f"{patterns}: {name} has no sourced entry")
            elif not any(matches(entry, p) for entry in files[name] for p in patterns):
                stale.append(f"{patterns}: nothing assumed in {name} matches")
    assert not stale, "\n".join(stale)


def test_the_seed_names_three_modules_and_the_table_lists_the_other_three():
    rows = assumption_rows(README.read_text(encoding="utf-8"))
    listed = {p for patterns, _ in rows for p in patterns}
    assert {"modules.patrol", "modules.traffic", "modules.emergency_rescue"} <= listed
    assert not {"modules.riot_control", "modules.investigation", "modules.technical_support"} & listed


@pytest.mark.parametrize("cut", ["| `deadlines.III` |", "| `failures`, `clients` (sign-in limits) |"])
def test_a_row_taken_out_of_the_table_is_missed(cut):
    text = README.read_text(encoding="utf-8")
    kept = "\n".join(line for line in text.splitlines() if not line.startswith(cut))
    assert kept != text
    gaps = missing(assumption_rows(kept), policy_files())
    assert gaps and all("deadlines.III" in g or "failures" in g or "clients" in g for g in gaps), gaps
