"""Specialty tags and certifications.

Specialists carry one to three tags from their module's pool; mobile and rotating officers
sometimes carry a general one (mass-incident handling, first aid); regular officers rarely do.
Certificates are issued at random points of their validity window stretched by 12%, so about
one in ten has lapsed on the scenario date and a few more run out within weeks.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from services.demo.force import MODULES, ROLE_CLASSES, Certification

LANGUAGES = ("en", "ja", "ko", "ru", "ar", "vi")
LANGUAGE_P = (0.55, 0.12, 0.10, 0.07, 0.10, 0.06)
SPECIALTY_TAGS = {
    "investigation": ("cybercrime_investigation", "e_forensics", "financial_investigation",
                      "negotiation", "foreign_language"),
    "technical_support": ("e_forensics", "drone_pilot", "eod", "video_analysis", "comms_engineering"),
    "riot_control": ("mass_incident_handling", "negotiation", "sniper", "k9", "eod"),
    "emergency_rescue": ("swimming_rescue", "first_aid", "rope_rescue", "drone_pilot", "life_detection"),
    "patrol": ("k9", "negotiation", "first_aid", "interpreter_sign", "foreign_language"),
    "traffic": ("accident_reconstruction", "drone_pilot", "first_aid", "foreign_language"),
}
GENERAL_TAGS = ("mass_incident_handling", "first_aid", "swimming_rescue", "foreign_language",
                "interpreter_sign")
# Chance of carrying general tags, by role class (specialists always carry specialty ones).
GENERAL_TAG_P = {"mobile": 0.55, "rotating": 0.25, "regular": 0.07}

# Certificate name and validity in years, by the tag or module that requires it.
TAG_CERTS = {"drone_pilot": ("uav_pilot_licence", 2), "eod": ("eod_operator", 3),
             "first_aid": ("first_aid", 3), "swimming_rescue": ("lifesaving", 2),
             "e_forensics": ("e_forensics_examiner", 3), "negotiation": ("crisis_negotiator", 3),
             "k9": ("k9_handler", 2), "sniper": ("marksman", 1)}
MODULE_CERTS = {"riot_control": ("firearms", 1), "patrol": ("firearms", 1),
                "traffic": ("traffic_accident_handling", 3), "emergency_rescue": ("rescue_technician", 3)}
WINDOW_STRETCH = 1.12


def draw_tags(rng, roles: np.ndarray, modules: np.ndarray) -> list[tuple[str, ...]]:
    n = len(roles)
    counts = rng.choice([1, 2, 3], size=n, p=[0.45, 0.40, 0.15])
    picks, langs = rng.random((n, 3)), rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_P)
    general = rng.random(n)
    specialist = ROLE_CLASSES.index("specialist")
    out = []
    for i in range(n):
        role = ROLE_CLASSES[roles[i]]
        if roles[i] == specialist:
            pool, k = SPECIALTY_TAGS[MODULES[modules[i]]], counts[i]
        elif general[i] < GENERAL_TAG_P[role]:
            pool, k = GENERAL_TAGS, 1
        else:
            out.append(())
            continue
        chosen = {pool[int(p * len(pool))] for p in picks[i, :k]}
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
