"""Equipment, and the interface standards each county's receiving systems accept.

Most systems take the national standards (video GB/T 28181-2016, evidence upload GA/T 1400,
PDT trunked radio). A few legacy counties still run a vendor-A camera platform, one city runs a
TETRA network and some rural counties keep analog radios; their kit uses those standards in
part, so a support team sent elsewhere can be incompatible, as DOMAIN.md reports.
"""
from __future__ import annotations

import math
from collections import defaultdict

from services.demo.force import READINESS, CountyStandards, Equipment

NATIONAL = ("GA/T 1400", "GB/T 28181-2016", "PDT")
LEGACY_SHARE, ANALOG_SHARE = 0.08, 0.06  # of counties
LOCAL_KIT_SHARE = {"vendor-A": 0.6, "TETRA": 0.35, "analog": 0.4}  # of a county's cameras / radios
READINESS_P = (0.98, 0.013, 0.007)
TYPE_CODE = {"body_camera": "BC", "radio": "RAD", "drone": "UAV", "drone_swarm": "SWM",
             "eod_robot": "EOD", "mobile_command_vehicle": "MCV", "life_detector": "LD",
             "forensic_kit": "FK", "riot_shield_set": "RSS", "vehicle": "VEH"}
NATIONAL_STANDARD = {"body_camera": "GB/T 28181-2016", "radio": "PDT", "drone": "GB/T 28181-2016",
                     "drone_swarm": "GB/T 28181-2016", "forensic_kit": "GA/T 1400",
                     "mobile_command_vehicle": "PDT"}
LOCAL_STANDARD = {"body_camera": ("vendor-A",), "radio": ("TETRA", "analog")}
TAG_KIT = {"e_forensics": "forensic_kit", "drone_pilot": "drone"}
# Team kit: (type, members per item) by unit kind.
UNIT_KIT = {"patrol_squad": (("vehicle", 4),), "traffic_squad": (("vehicle", 4),),
            "riot_company": (("vehicle", 10), ("riot_shield_set", 10)),
            "swat": (("vehicle", 4), ("riot_shield_set", 12)), "rescue_team": (("vehicle", 6),),
            "forensic_team": (("forensic_kit", 6), ("vehicle", 6)), "investigation_squad": (("vehicle", 5),),
            "tech_team": (("vehicle", 8),)}
# Province reserve special equipment: (type, officers in the force per item, minimum, unit kind).
RESERVE_KIT = (("eod_robot", 2500, 2, "tech_team"), ("drone_swarm", 5000, 1, "tech_team"),
               ("mobile_command_vehicle", 4000, 2, "riot_company"),
               ("life_detector", 2500, 2, "rescue_team"))


def county_standards(rng, counties, cities, capital_code: str) -> list[CountyStandards]:
    codes = [c.code for c in counties if c.code != capital_code]
    rural = [c.code for c in counties if not c.name.endswith("区")] or codes
    legacy = _pick(rng, codes, LEGACY_SHARE * len(counties), minimum=2)
    analog = _pick(rng, rural, ANALOG_SHARE * len(counties), minimum=1)
    tetra_city = cities[int(rng.integers(len(cities)))].code
    out = []
    for c in counties:
        extra = {"vendor-A"} if c.code in legacy else set()
        extra |= {"TETRA"} if c.city_code == tetra_city and c.code != capital_code else set()
        extra |= {"analog"} if c.code in analog else set()
        out.append(CountyStandards(county=c.code, accepts=tuple(sorted(set(NATIONAL) | extra)),
                                   legacy=bool(extra)))
    return out


def _pick(rng, codes: list[str], wanted: float, minimum: int) -> set[str]:
    size = min(len(codes), max(minimum, round(wanted)))
    return {str(c) for c in rng.choice(codes, size=size, replace=False)}


def personal_kit(tags: tuple[str, ...]) -> list[str]:
    """Every officer carries a body camera and a radio; some specialists more."""
    return ["body_camera", "radio"] + sorted({TAG_KIT[t] for t in tags if t in TAG_KIT})


def team_kit(units, officers: int) -> list[tuple[str, str, str]]:
    """(type, owner unit, county) for vehicles, shields, lab kits and the reserve's special kit."""
    items = []
    for u in units:
        for kind, per in UNIT_KIT.get(u.kind, ()):
            items += [(kind, u.unit_id, u.county)] * math.ceil(len(u.member_ids) / per)
        if u.level == "city" and u.kind == "rescue_team":
            items.append(("life_detector", u.unit_id, u.county))
    items += _city_command_vehicles(units) + _reserve_kit(units, officers)
    return items


def _city_command_vehicles(units) -> list[tuple[str, str, str]]:
    first = {}
    for u in units:
        if u.level == "city":
            first.setdefault(u.city, u)
    return [("mobile_command_vehicle", u.unit_id, u.county) for _, u in sorted(first.items())]


def _reserve_kit(units, officers: int) -> list[tuple[str, str, str]]:
    reserve = [u for u in units if u.level == "province"]
    items = []
    for kind, per, minimum, unit_kind in RESERVE_KIT:
        owners = [u for u in reserve if u.kind == unit_kind] or reserve
        for i in range(max(minimum, officers // per)):
            owner = owners[i % len(owners)]
            items.append((kind, owner.unit_id, owner.county))
    return items


def build(rng, items: list[tuple[str, str, str]], standards: list[CountyStandards]) -> list[Equipment]:
    """Number items per county and draw their interface standard and readiness."""
    accepts = {s.county: s.accepts for s in standards}
    readiness = [READINESS[r] for r in rng.choice(len(READINESS), size=len(items), p=READINESS_P)]
    local = rng.random(len(items)).tolist()
    seq = defaultdict(int)
    out = []
    for i, (kind, owner, county) in enumerate(items):
        seq[county] += 1
        out.append(Equipment(
            equipment_id=f"EQ{county}-{TYPE_CODE[kind]}-{seq[county]:05d}", type=kind,
            interface_standard=_standard(kind, accepts[county], local[i]),
            readiness=readiness[i], owner_unit=owner, county=county))
    return out


def _standard(kind: str, accepted: tuple[str, ...], draw: float) -> str | None:
    """A local standard where the county runs one (by its share of the kit), else the national."""
    threshold = 0.0
    for candidate in LOCAL_STANDARD.get(kind, ()):
        if candidate in accepted:
            threshold += LOCAL_KIT_SHARE[candidate]
            if draw < threshold:
                return candidate
    return NATIONAL_STANDARD.get(kind)
