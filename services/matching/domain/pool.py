"""The force as columns of numpy arrays, so eligibility for hundreds of lines is vectorised.

One row per officer. Tags, certificates and equipment are coded against small vocabularies:
tags as padded id lists, certificates as expiry ordinals (0 = not held), personal equipment as a
bitmask of the interface standards of the officer's ready items per equipment type (bit 0: an
item with no data link, which works anywhere).

Officers leave from an origin (`origin`, index into `origins`): the county seats come first (origin i
is county i's seat, for officers whose station is not known), then each distinct police station.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from services.common.contracts import MODULES

# Kit a unit brings for its team (vehicles, shields, robots): an officer need not carry it.
TEAM_KIT = frozenset({"vehicle", "riot_shield_set", "eod_robot", "life_detector", "mobile_command_vehicle",
                      "drone_swarm"})
NO_LINK = 0  # bit of an item without an interface standard


@dataclass
class Pool:
    ids: list[str]
    counties: tuple[str, ...]          # county codes; `county` indexes into it
    county: np.ndarray                 # int16
    module: np.ndarray                 # int8, index into MODULES
    tag_ids: np.ndarray                # int16 (n, k), -1 padding, index into tag_vocab
    tag_vocab: list[str]
    cert_expiry: np.ndarray            # int32 (n, len(cert_vocab)): date ordinal, 0 = not held
    cert_vocab: list[str]
    kit_ready: np.ndarray              # uint8 (n, len(kit_vocab)): standards of ready items
    kit_held: np.ndarray               # uint8 (n, len(kit_vocab)): standards of all items
    kit_vocab: list[str]
    standards: list[str | None]        # bit i of a kit mask = standards[i]; standards[0] is None
    duty: np.ndarray                   # int16 duty minutes in the current 24-hour window
    status: np.ndarray                 # object: on_duty, off_duty, reserved, deployed, resting, unavailable
    points: np.ndarray                 # float32 task-points balance
    unit: list[str | None]
    role: np.ndarray = None            # object: role class (mobile, specialist, rotating, regular)
    reserve: np.ndarray = None         # bool: in the province reserve (a pool of its own)
    origin: np.ndarray = None          # int32: where the officer leaves from, index into `origins`
    origins: np.ndarray = None         # float (k, 2): (lon, lat) of each origin; NaN for a seat (the provider's)
    origin_county: np.ndarray = None   # int16 per origin: its county
    station_ids: list[str] = None      # per origin: the station's id, the county code for a seat
    row_of: dict[str, int] = field(default_factory=dict)
    _deployable: tuple | None = field(default=None, repr=False)

    def __post_init__(self):
        self.row_of = {o: i for i, o in enumerate(self.ids)}
        n = len(self.counties)
        if self.origin is None:        # no stations: every officer leaves from their county's seat
            self.origin = self.county.astype(np.int32)
            self.origins = np.full((n, 2), np.nan)
            self.origin_county = np.arange(n, dtype=np.int16)
            self.station_ids = list(self.counties)
        if self.role is None:
            self.role = np.full(len(self.ids), "regular", dtype=object)
        if self.reserve is None:
            self.reserve = np.zeros(len(self.ids), dtype=bool)

    def deployable(self, policy) -> np.ndarray:
        """Boolean per officer: of a role class proposed for support (computed once per pool and policy)."""
        key = (tuple(policy.deployable), policy.regular_deployable, id(self.role))
        if self._deployable is None or self._deployable[0] != key:
            self._deployable = (key, np.isin(self.role, list(policy.deployable)) | policy.regular_deployable)
        return self._deployable[1]

    def sendable(self, rows: np.ndarray, grade: str, policy) -> np.ndarray:
        """Boolean per row: may the officer be proposed for a request of `grade` (pool structure)?"""
        return np.where(self.reserve[rows], grade in policy.reserve_grades, self.deployable(policy)[rows])

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def available(self) -> np.ndarray:
        return self.status == "on_duty"

    @property
    def stations(self) -> np.ndarray:
        """(lon, lat) of the origins that are stations (origins from len(counties) on)."""
        return self.origins[len(self.counties):]

    def county_of(self, row: int) -> str:
        return self.counties[int(self.county[row])]

    def tags_of(self, row: int) -> set[str]:
        return {self.tag_vocab[t] for t in self.tag_ids[row] if t >= 0}

    def cert_expiry_of(self, row: int, name: str) -> date | None:
        if name not in self.cert_vocab:
            return None
        ordinal = int(self.cert_expiry[row, self.cert_vocab.index(name)])
        return date.fromordinal(ordinal) if ordinal else None

    def standard_mask(self, accepts) -> int:
        """Bitmask of the standards a county accepts (items without a data link always work)."""
        return sum(1 << i for i, s in enumerate(self.standards) if s is None or s in set(accepts))


def build_pool(records: list[dict], counties: tuple[str, ...]) -> Pool:
    """A pool from officer records: officer_id, county, module, tags, certifications
    [{name, expires}], equipment [{type, interface_standard, readiness}], duty_minutes, status,
    points, unit_id, role_class (default regular: not sent unless the province says so),
    province_reserve (default false) and, when known, station_id with station (lon, lat) or
    station_lon / station_lat: where the officer leaves from (else the county's seat)."""
    n = len(records)
    county_at = {c: i for i, c in enumerate(counties)}
    tag_vocab, cert_vocab, kit_vocab, standards = {}, {}, {}, {None: 0}
    width = max((len(r["tags"]) for r in records), default=0) or 1
    tag_ids = np.full((n, width), -1, dtype=np.int16)
    certs, kits = [], []
    for i, r in enumerate(records):
        for k, tag in enumerate(r["tags"]):
            tag_ids[i, k] = tag_vocab.setdefault(tag, len(tag_vocab))
        certs.append([(cert_vocab.setdefault(c["name"], len(cert_vocab)), _ordinal(c["expires"]))
                      for c in r["certifications"]])
        kits.append([(kit_vocab.setdefault(e["type"], len(kit_vocab)),
                      standards.setdefault(e.get("interface_standard"), len(standards)),
                      e.get("readiness", "ready") == "ready") for e in r["equipment"]])
    if len(standards) > 8:
        raise ValueError(f"at most 8 interface standards are supported, got {len(standards)}")
    cert_expiry = np.zeros((n, max(1, len(cert_vocab))), dtype=np.int32)
    kit_ready = np.zeros((n, max(1, len(kit_vocab))), dtype=np.uint8)
    kit_held = np.zeros_like(kit_ready)
    for i in range(n):
        for c, exp in certs[i]:
            cert_expiry[i, c] = max(cert_expiry[i, c], exp)
        for t, s, ready in kits[i]:
            kit_held[i, t] |= 1 << s
            if ready:
                kit_ready[i, t] |= 1 << s
    return Pool(
        ids=[r["officer_id"] for r in records], counties=tuple(counties),
        county=np.array([county_at[r["county"]] for r in records], dtype=np.int16),
        module=np.array([MODULES.index(r["module"]) for r in records], dtype=np.int8),
        tag_ids=tag_ids, tag_vocab=list(tag_vocab), cert_expiry=cert_expiry, cert_vocab=list(cert_vocab),
        kit_ready=kit_ready, kit_held=kit_held, kit_vocab=list(kit_vocab), standards=list(standards),
        duty=np.array([r["duty_minutes"] for r in records], dtype=np.int16),
        status=np.array([r["status"] for r in records], dtype=object),
        points=np.array([r.get("points", 0) for r in records], dtype=np.float32),
        unit=[r.get("unit_id") for r in records],
        role=np.array([r.get("role_class") or "regular" for r in records], dtype=object),
        reserve=np.array([bool(r.get("province_reserve")) for r in records], dtype=bool),
        **_origins(records, counties, county_at))


def station_of(record: dict) -> tuple[float, float] | None:
    """The (lon, lat) of the officer's station, None when the record has none."""
    point = record.get("station")
    if isinstance(point, dict):
        point = (point.get("lon"), point.get("lat"))
    if not point:
        point = (record.get("station_lon"), record.get("station_lat"))
    if point[0] is None or point[1] is None:
        return None
    return float(point[0]), float(point[1])


def _origins(records: list[dict], counties: tuple[str, ...], county_at: dict[str, int]) -> dict:
    """Origins: the seats (one per county), then each distinct (county, station) of the records."""
    n = len(counties)
    seen: dict[tuple, int] = {}
    points, owner, names = [(np.nan, np.nan)] * n, list(range(n)), list(counties)
    origin = np.zeros(len(records), dtype=np.int32)
    for i, r in enumerate(records):
        c = county_at[r["county"]]
        point = station_of(r)
        if point is None:
            origin[i] = c
            continue
        key = (c, r.get("station_id") or "", point)
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(points)
            points.append(point)
            owner.append(c)
            names.append(r.get("station_id") or f"{counties[c]}@{point[0]:.5f},{point[1]:.5f}")
        origin[i] = k
    return {"origin": origin, "origins": np.array(points, dtype=float).reshape(-1, 2),
            "origin_county": np.array(owner, dtype=np.int16), "station_ids": names}


def _ordinal(value) -> int:
    return (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).toordinal()
