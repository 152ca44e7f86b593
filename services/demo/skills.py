"""Specialty tags and certifications.

Specialists carry one to three tags from their module's pool; mobile and rotating officers
sometimes carry a general one (mass-incident handling, first aid); regular officers rarely do.
Certificates are issued at random points of their validity window stretched by 12%, so about
one in ten has lapsed on the scenario date and a few more run out within weeks.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from services.common.contracts import MODULES
from services.demo.force import ROLE_CLASSES, Certification

LANGUAGES = ("en", "ja", "ko", "ru", "ar", "vi")
LANGUAGE_P = (0.55, 0.12, 0.10, 0.07, 0.10, 0.06)
# A specialist's tags are drawn from the module's pool with these weights (basis: BASIS.md): the
# everyday skills of a module are common, negotiators, divers, EOD and interpreters scarce. One pool per
# module that has specialists (structure.MODULE_MIX); patrol has none, so its dog handlers serve in
# riot control (special police) and its officers' other skills are the general ones below.
SPECIALTY_TAGS = {
    "investigation": {"cybercrime_investigation": 0.32, "financial_investigation": 0.30, "e_forensics": 0.24,
                      "foreign_language": 0.09, "negotiation": 0.05},
    "technical_support": {"video_analysis": 0.32, "comms_engineering": 0.26, "drone_pilot": 0.24,
                          "e_forensics": 0.12, "eod": 0.06},
    "riot_control": {"mass_incident_handling": 0.60, "k9": 0.14, "sniper": 0.12, "eod": 0.08, "negotiation": 0.06},
    "emergency_rescue": {"first_aid": 0.38, "rope_rescue": 0.22, "drone_pilot": 0.18, "life_detection": 0.12,
                         "swimming_rescue": 0.10},
    "traffic": {"accident_reconstruction": 0.50, "first_aid": 0.28, "drone_pilot": 0.17, "foreign_language": 0.05},
}
GENERAL_TAGS = {"first_aid": 0.62, "swimming_rescue": 0.14, "foreign_language": 0.12, "interpreter_sign": 0.12}
# Chance of carrying a general tag, by role class (specialists always carry specialty ones).
GENERAL_TAG_P = {"mobile": 0.55, "rotating": 0.25, "regular": 0.07}
# Every officer of a module is trained in its core skill: riot-control and stability officers
# (special police, riot companies) in crowd and mass-incident handling.
MODULE_CORE_TAG = {"riot_control": "mass_incident_handling"}

# Certificate name and validity in years, by the tag or module that requires it.
TAG_CERTS = {"drone_pilot": ("uav_pilot_licence", 2), "eod": ("eod_operator", 3),
             "first_aid": ("first_aid", 3), "swimming_rescue": ("lifesaving", 2),
             "e_forensics": ("e_forensics_examiner", 3), "negotiation": ("crisis_negotiator", 3),
             "k9": ("k9_handler", 2), "sniper": ("marksman", 1)}
MODULE_CERTS = {"riot_control": ("firearms", 1), "patrol": ("firearms", 1),
                "traffic": ("traffic_accident_handling", 3), "emergency_rescue": ("rescue_technician", 3)}
WINDOW_STRETCH = 1.12


def _weighted(pool: dict[str, float]) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(pool)
    cum = np.cumsum([pool[t] for t in names])
    return names, cum / cum[-1]


SPECIALTY_CDF = {m: _weighted(pool) for m, pool in SPECIALTY_TAGS.items()}
GENERAL_CDF = _weighted(GENERAL_TAGS)


def draw_tags(rng, roles: np.ndarray, modules: np.ndarray) -> list[tuple[str, ...]]:
    n = len(roles)
    counts = rng.choice([1, 2, 3], size=n, p=[0.45, 0.40, 0.15])
    picks, langs = rng.random((n, 3)), rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_P)
    general = rng.random(n)
    specialist = ROLE_CLASSES.index("specialist")
    out = []
    for i in range(n):
        role, module = ROLE_CLASSES[roles[i]], MODULES[modules[i]]
        core = MODULE_CORE_TAG.get(module)
        if roles[i] == specialist:
            (names, cdf), k = SPECIALTY_CDF[module], counts[i]
        elif general[i] < GENERAL_TAG_P[role]:
            (names, cdf), k = GENERAL_CDF, 1
        else:
            out.append((core,) if core else ())
            continue
        chosen = {names[int(np.searchsorted(cdf, p, side="right"))] for p in picks[i, :k]}
        if core:
            chosen.add(core)
        out.append(tuple(sorted(t + ":" + LANGUAGES[langs[i]] if t == "foreign_language" else t
                                for t in chosen)))
    return out


def certifications(rng, tags: list[tuple[str, ...]], modules: np.ndarray, as_of: date):
    """Certificates each officer's tags and module require, issued at seeded dates."""
    ages = rng.random((len(tags), 4)).tolist()
    today = as_of.toordinal()
    module_certs = [MODULE_CERTS.get(m) for m in MODULES]
    out = []
    for officer_tags, module, age in zip(tags, modules.tolist(), ages):
        needed = {TAG_CERTS[t] for t in officer_tags if t in TAG_CERTS}
        if module_certs[module]:
            needed.add(module_certs[module])
        out.append(tuple(_certificate(name, years, a, today) for (name, years), a in zip(sorted(needed), age)))
    return out


def _certificate(name: str, years: int, age_fraction: float, today: int) -> Certification:
    valid = 365 * years
    issued = today - int(age_fraction * WINDOW_STRETCH * valid)
    return Certification(name=name, issued=date.fromordinal(issued), expires=date.fromordinal(issued + valid))
