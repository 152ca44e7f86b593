"""The shape of a generated provincial force: officers, units, equipment and county standards.

Records are frozen because a generated force is a start-of-scenario snapshot; services that
change an officer's status copy it into their own store (or use `dataclasses.replace`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from services.common.contracts import defined

ROLE_CLASSES = defined("role_class")   # mobile, specialist, rotating, regular: indexes in generated arrays
STATUSES = ("on_duty", "off_duty", "resting", "unavailable")
LEVELS = ("province", "city", "county")
READINESS = ("ready", "maintenance", "faulty")

# DOMAIN.md force-structure targets, as shares of all officers (inclusive bounds).
STRUCTURE_TARGETS = {"mobile": (0.15, 0.20), "specialist": (0.25, 0.30), "rotating": (0.10, 0.15)}


@dataclass(frozen=True, slots=True)
class Certification:
    name: str
    issued: date
    expires: date

    def expired(self, on: date) -> bool:
        return self.expires < on


@dataclass(frozen=True, slots=True)
class Officer:
    officer_id: str
    name: str
    gender: str
    birth_year: int
    county: str
    city: str
    unit_id: str
    rank: str
    module: str
    role_class: str
    tags: tuple[str, ...]
    certifications: tuple[Certification, ...]
    equipment_ids: tuple[str, ...]
    status: str
    duty_minutes_24h: int
    home: tuple[float, float]
    phone: str
    home_address: str
    id_number: str
    base_wage_daily: int
    points_balance: int
    volunteer: bool
    station_id: str = ""                          # the police station the officer works from
    station: tuple[float, float] | None = None    # its (lon, lat)
    watch: str = ""                               # rotation and watch, e.g. "four_watch/2"


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: str
    county: str
    city: str
    kind: str
    level: str
    module: str
    member_ids: tuple[str, ...]
    station_id: str = ""
    station: tuple[float, float] | None = None
    name: str = ""   # as the force writes it (services.demo.structure.unit_name); "": a roster that gave none
    name_en: str = ""   # the same in English, for the English pages


@dataclass(frozen=True, slots=True)
class Equipment:
    equipment_id: str
    type: str
    interface_standard: str | None  # None: no data link, so always compatible
    readiness: str
    owner_unit: str
    county: str


@dataclass(frozen=True, slots=True)
class CountyStandards:
    """Interface standards a county's receiving systems accept (video, evidence upload, radio).

    `legacy` marks a county that also runs a non-national system (vendor-A cameras, TETRA or
    analog radio), so its own kit may not work elsewhere.
    """

    county: str
    accepts: tuple[str, ...]
    legacy: bool

    def accepts_equipment(self, item: Equipment) -> bool:
        return item.interface_standard is None or item.interface_standard in self.accepts


@dataclass
class Force:
    province: str
    seed: int
    as_of: datetime
    officers: list[Officer] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    equipment: list[Equipment] = field(default_factory=list)
    standards: list[CountyStandards] = field(default_factory=list)

    def standards_of(self, county: str) -> CountyStandards:
        return next(s for s in self.standards if s.county == county)

    def summary(self) -> dict:
        """Counts per county, city, module, role class, level and status, plus structure shares."""
        n = len(self.officers) or 1
        level_of = {u.unit_id: u.level for u in self.units}
        roles = Counter(o.role_class for o in self.officers)
        ready = sum(e.readiness == "ready" for e in self.equipment)
        county_level = [o for o in self.officers if level_of[o.unit_id] == "county"]
        return {
            "province": self.province,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "officers": len(self.officers),
            "units": len(self.units),
            "equipment": len(self.equipment),
            "by_county": _sorted_counts(o.county for o in self.officers),
            "by_city": _sorted_counts(o.city for o in self.officers),
            "by_module": _sorted_counts(o.module for o in self.officers),
            "by_role_class": _sorted_counts(o.role_class for o in self.officers),
            "by_level": _sorted_counts(level_of[o.unit_id] for o in self.officers),
            "by_status": _sorted_counts(o.status for o in self.officers),
            "shares": {r: round(roles[r] / n, 4) for r in ROLE_CLASSES},
            "county_level_specialist_share": round(
                sum(o.role_class == "specialist" for o in county_level) / (len(county_level) or 1), 4),
            "volunteer_share": round(sum(o.volunteer for o in self.officers) / n, 4),
            "equipment_ready_share": round(ready / (len(self.equipment) or 1), 4),
        }


def _sorted_counts(values) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))
