"""Role classes, modules and units: who does what, and at which level.

Role counts are exact quotas, not random draws, so the structure targets of DOMAIN.md hold for
any force size. Specialists are concentrated in the city pools and the province reserve, which
leaves county units with fewer than 15% specialists, as DOMAIN.md describes grassroots units.
"""
from __future__ import annotations

import numpy as np

from services.demo.allocation import apportion
from services.demo.force import MODULES, ROLE_CLASSES

# Whole-force targets: the middle of each DOMAIN.md range; "regular" is what is left.
ROLE_TARGETS = {"mobile": 0.175, "specialist": 0.275, "rotating": 0.125}
# What the province reserve and the city pools are made of; counties take the remainder.
LEVEL_ROLES = {
    "province": {"mobile": 0.45, "specialist": 0.55},
    "city": {"mobile": 0.30, "specialist": 0.70},
}

# Module mix per (level, role class): patrol dominates the counties, riot control the reserves.
MODULE_MIX = {
    ("province", "mobile"): {"riot_control": 0.60, "emergency_rescue": 0.25, "patrol": 0.15},
    ("province", "specialist"): {"technical_support": 0.40, "investigation": 0.25,
                                 "emergency_rescue": 0.20, "riot_control": 0.15},
    ("city", "mobile"): {"riot_control": 0.60, "patrol": 0.25, "emergency_rescue": 0.15},
    ("city", "specialist"): {"investigation": 0.35, "technical_support": 0.25,
                             "riot_control": 0.30, "emergency_rescue": 0.10},
    ("county", "mobile"): {"riot_control": 0.50, "patrol": 0.35, "emergency_rescue": 0.15},
    ("county", "specialist"): {"investigation": 0.50, "technical_support": 0.30,
                               "traffic": 0.10, "emergency_rescue": 0.10},
    ("county", "rotating"): {"riot_control": 0.40, "patrol": 0.40, "traffic": 0.20},
    ("county", "regular"): {"patrol": 0.58, "traffic": 0.22, "investigation": 0.12,
                            "emergency_rescue": 0.08},
}

UNIT_KIND = {"patrol": "patrol_squad", "traffic": "traffic_squad", "riot_control": "riot_company",
             "investigation": "investigation_squad", "technical_support": "tech_team",
             "emergency_rescue": "rescue_team"}
# Above the counties, specialists form the named teams of the pools (SWAT, forensics); technical
# specialists (EOD, drones, communications) stay in tech teams.
SPECIALIST_KIND = {"riot_control": "swat", "investigation": "forensic_team"}
UNIT_SIZE = {"patrol_squad": 12, "traffic_squad": 12, "riot_company": 30, "investigation_squad": 10,
             "tech_team": 8, "rescue_team": 12, "swat": 12, "forensic_team": 6}
KIND_CODE = {"patrol_squad": "PAT", "traffic_squad": "TRF", "riot_company": "RIOT",
             "investigation_squad": "INV", "tech_team": "TECH", "rescue_team": "RESC",
             "swat": "SWAT", "forensic_team": "FOR"}
LEVEL_CODE = {"province": "P", "city": "C", "county": "X"}


def role_quotas(levels: dict[str, int]) -> dict[str, dict[str, int]]:
    """Exact role counts per level; counties receive whatever the targets still need."""
    total = sum(levels.values())
    quotas = {lvl: _split(levels[lvl], LEVEL_ROLES[lvl]) for lvl in ("province", "city")}
    county = {r: round(total * share) - quotas["province"][r] - quotas["city"][r]
              for r, share in ROLE_TARGETS.items()}
    county["regular"] = levels["county"] - sum(county.values())
    if min(county.values()) < 0:
        raise ValueError(f"force of {total} too small for the structure targets")
    quotas["county"] = county
    return quotas


def _split(n: int, shares: dict[str, float]) -> dict[str, int]:
    counts = apportion(np.array([shares.get(r, 0.0) for r in ROLE_CLASSES]), n)
    return dict(zip(ROLE_CLASSES, counts.tolist()))


def shuffled_roles(rng, quota: dict[str, int]) -> np.ndarray:
    """Role-class indices with exactly the quota of each, in random order."""
    roles = np.repeat(np.arange(len(ROLE_CLASSES)), [quota.get(r, 0) for r in ROLE_CLASSES])
    return rng.permutation(roles)


def draw_modules(rng, level: str, roles: np.ndarray) -> np.ndarray:
    """Module indices drawn from the mix of each officer's (level, role class)."""
    modules = np.zeros(len(roles), dtype=int)
    for r, role in enumerate(ROLE_CLASSES):
        mix = MODULE_MIX.get((level, role))
        picked = roles == r
        if mix is None or not picked.any():
            continue
        p = np.array([mix.get(m, 0.0) for m in MODULES])
        modules[picked] = rng.choice(len(MODULES), size=int(picked.sum()), p=p / p.sum())
    return modules


def unit_kind(level: str, role: str, module: str) -> str:
    if level != "county" and role == "specialist" and module in SPECIALIST_KIND:
        return SPECIALIST_KIND[module]
    return UNIT_KIND[module]


def unit_id(county: str, level: str, kind: str, seq: int) -> str:
    return f"U{county}-{LEVEL_CODE[level]}-{KIND_CODE[kind]}{seq:03d}"
