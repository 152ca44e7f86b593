"""Role classes, modules and units: who does what, and at which level.

Role counts are exact quotas, not random draws, so the structure targets of DOMAIN.md hold for
any force size. Specialists are concentrated in the city pools and the province reserve, which
leaves county units with fewer than 15% specialists, as DOMAIN.md describes grassroots units.
"""
from __future__ import annotations

import numpy as np

from services.common.contracts import MODULES
from services.demo.allocation import apportion
from services.demo.force import ROLE_CLASSES
from services.geo.names import english_name
from services.resources.domain.units import UNIT_KIND

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


# A unit's name as its force writes it: the bureau, the branch (大队 in a county, 支队 in a city, 总队
# in the province), then the squad (中队 under a county's branch, 大队 above), numbered per kind, e.g.
# 平湖市公安局交警大队二中队, 嘉兴市公安局特警支队突击一大队, 杭州市公安局上城区分局巡特警大队处突一中队.
# kind: (the county's branch, the city's and province's branch, the squad's word before its number)
BRANCH = {"patrol_squad": ("巡特警", "巡特警", "巡逻"), "traffic_squad": ("交警", "交警", ""),
          "riot_company": ("巡特警", "特警", "处突"), "investigation_squad": ("刑侦", "刑侦", ""),
          "tech_team": ("网安", "网安", "技术"), "rescue_team": ("巡特警", "特警", "应急救援"),
          "swat": ("特警", "特警", "突击"), "forensic_team": ("刑侦", "刑侦", "刑事技术")}
LEVEL_WORDS = {"county": ("大队", "中队"), "city": ("支队", "大队"), "province": ("总队", "大队")}


# The bureau: the province's department, the city's bureau, a city district's branch of it, a county's bureau.
BUREAU = {"province": "{province}公安厅", "city": "{city}公安局", "district": "{city}公安局{county}分局",
          "county": "{county}公安局"}

# The same in English, for the English pages (PSB: public security bureau; place names in Pinyin).
BUREAU_EN = {"province": "{province} Provincial Public Security Department", "city": "{city} PSB",
             "district": "{city} PSB {county} Branch", "county": "{county} PSB"}
BRANCH_EN = {"巡特警": "Patrol and SWAT", "交警": "Traffic Police", "刑侦": "Criminal Investigation",
             "网安": "Cyber Security", "特警": "SWAT"}
SQUAD_EN = {"巡逻": "Patrol", "处突": "Riot", "技术": "Technical", "应急救援": "Rescue", "突击": "Assault",
            "刑事技术": "Forensics", "": ""}
LEVEL_WORDS_EN = {"county": ("Brigade", "Squadron"), "city": ("Detachment", "Brigade"), "province": ("Corps", "Brigade")}


def unit_name(county, level: str, kind: str, seq: int, province_name: str, lang: str = "zh") -> str:
    """`county`: the geography's County the unit is based in (its name and its city's name). In English
    (`lang` "en"): Pinghu City PSB, Traffic Police Brigade, Squadron 2."""
    if level in ("province", "city"):
        bureau_kind = level
    else:
        bureau_kind = "district" if county.name.endswith("区") and county.city_name != county.name else "county"
    county_branch, upper_branch, squad = BRANCH[kind]
    branch = county_branch if level == "county" else upper_branch
    if lang == "en":
        bureau = BUREAU_EN[bureau_kind].format(province=english_name(province_name, "province"),
                                               city=english_name(county.city_name, "city"), county=english_name(county.name))
        branch_word, squad_word = LEVEL_WORDS_EN[level]
        return f"{bureau}, {BRANCH_EN[branch]} {branch_word}, {f'{SQUAD_EN[squad]} {squad_word}'.strip()} {seq}"
    bureau = BUREAU[bureau_kind].format(province=province_name, city=county.city_name, county=county.name)
    branch_word, squad_word = LEVEL_WORDS[level]
    return f"{bureau}{branch}{branch_word}{squad}{chinese_number(seq)}{squad_word}"


def unit_name_en(county, level: str, kind: str, seq: int, province_name: str) -> str:
    return unit_name(county, level, kind, seq, province_name, lang="en")


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五; from 1,000 on (a force far larger than a
    province's) in Arabic digits, 1001, as squads so numbered are written."""
    digits = "零一二三四五六七八九"
    if n < 1:
        raise ValueError(f"a squad number from 1, got {n}")
    if n > 999:
        return str(n)
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (digits[ones] if ones else "")
