"""Reads the grading policy, requirement templates and support policy from their files and validates them.

The only module of demand's policy code that does I/O. `load()` runs when the service is built, so a
broken file stops the service at start with a message naming the file, the rule and the field.
DEMAND_GRADING_POLICY / DEMAND_REQUIREMENTS / DEMAND_SUPPORT_POLICY name other files (e.g. a newer version).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .domain.grading import Policy, PolicyError, parse_policy
from .domain.requirements import TemplateError, Templates, parse_templates
from .domain.support_policy import SupportPolicy, parse_support_policy

POLICY_DIR = Path(__file__).resolve().parent / "policy"
GRADING_FILE = POLICY_DIR / "grading-v1.yaml"
REQUIREMENTS_FILE = POLICY_DIR / "requirements-v1.yaml"
SUPPORT_FILE = POLICY_DIR / "support-v1.yaml"


@dataclass(frozen=True)
class Policies:
    grading: Policy
    templates: Templates
    support: SupportPolicy


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path.name}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML ({exc})") from None


def load_grading(path: Path | str = GRADING_FILE) -> Policy:
    path = Path(path)
    try:
        return parse_policy(_read(path))
    except PolicyError as exc:
        raise PolicyError(f"{path.name}: {exc}" if not str(exc).startswith(path.name) else str(exc)) from None


def load_templates(path: Path | str = REQUIREMENTS_FILE) -> Templates:
    path = Path(path)
    try:
        return parse_templates(_read(path))
    except (TemplateError, PolicyError) as exc:
        msg = str(exc) if str(exc).startswith(path.name) else f"{path.name}: {exc}"
        raise TemplateError(msg) from None


def load_support(path: Path | str = SUPPORT_FILE) -> SupportPolicy:
    path = Path(path)
    try:
        return parse_support_policy(_read(path))
    except PolicyError as exc:
        raise PolicyError(str(exc) if str(exc).startswith(path.name) else f"{path.name}: {exc}") from None


def load(grading_path: Path | str | None = None, templates_path: Path | str | None = None,
         support_path: Path | str | None = None) -> Policies:
    return Policies(grading=load_grading(grading_path or os.environ.get("DEMAND_GRADING_POLICY") or GRADING_FILE),
                    templates=load_templates(templates_path or os.environ.get("DEMAND_REQUIREMENTS")
                                             or REQUIREMENTS_FILE),
                    support=load_support(support_path or os.environ.get("DEMAND_SUPPORT_POLICY") or SUPPORT_FILE))


_current: Policies | None = None


def current() -> Policies:
    """The policies in force in this process (loaded once)."""
    global _current
    if _current is None:
        _current = load()
    return _current
