"""From per-officer arrays to records: unit membership, identifiers, Officer and Unit objects.

Officers are ordered by county, level, unit kind and unit, so identifiers run contiguously
through each unit and the same seed always gives the same numbering.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields, replace

import numpy as np

from services.common.contracts import MODULES
from services.demo import people, shifts, skills, structure
from services.demo.force import LEVELS, ROLE_CLASSES, Officer, Unit

KINDS = sorted(structure.UNIT_SIZE)


@dataclass
class Plan:
    """Per-officer arrays, all in final order."""

    county_idx: np.ndarray
    level_idx: np.ndarray
    roles: np.ndarray
    modules: np.ndarray
    unit_ids: list[str]
    unit_kinds: list[str]
    officer_ids: list[str]
    unit_numbers: np.ndarray | None = None   # each officer's unit's number among its county's units of its level and kind


def sort_into_units(counties, prefix: str, county_idx, level_idx, roles, modules) -> Plan:
    kind_idx = np.array([KINDS.index(structure.unit_kind(LEVELS[lv], ROLE_CLASSES[r], MODULES[m]))
                         for lv, r, m in zip(level_idx, roles, modules)])
    group = (county_idx * len(LEVELS) + level_idx) * len(KINDS) + kind_idx
    order = np.argsort(group, kind="stable")  # stable: the random order within a group survives
    unit_no = _unit_numbers(group[order], kind_idx[order])
    regroup = np.lexsort((unit_no, group[order]))
    final, unit_no = order[regroup], unit_no[regroup]
    c, lv, k = county_idx[final], level_idx[final], kind_idx[final]
    codes = [counties[i].code for i in c]
    unit_ids = [structure.unit_id(code, LEVELS[a], KINDS[b], u)
                for code, a, b, u in zip(codes, lv, k, unit_no)]
    seq = np.arange(len(c)) - np.searchsorted(c, c, side="left") + 1
    officer_ids = [f"{prefix}{code}-{s:05d}" for code, s in zip(codes, seq)]
    return Plan(c, lv, roles[final], modules[final], unit_ids, [KINDS[b] for b in k], officer_ids, unit_no)


def _unit_numbers(group: np.ndarray, kind_idx: np.ndarray) -> np.ndarray:
    """Deal a sorted group's officers round-robin into as few units as the kind's size allows."""
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    sizes = np.diff(np.r_[starts, len(group)])
    capacity = np.array([structure.UNIT_SIZE[KINDS[k]] for k in kind_idx[starts]])
    n_units = np.repeat(-(-sizes // capacity), sizes)
    rank = np.arange(len(group)) - np.repeat(starts, sizes)
    return rank % n_units + 1


def build_units(plan: Plan, counties, province_name: str) -> list[Unit]:
    members: dict[str, list[int]] = {}
    for i, uid in enumerate(plan.unit_ids):
        members.setdefault(uid, []).append(i)
    units = []
    for uid, rows in members.items():
        county = counties[plan.county_idx[rows[0]]]
        # A unit's module is its members' commonest (forensic teams mix two).
        module = Counter(MODULES[plan.modules[r]] for r in rows).most_common(1)[0][0]
        kind, level = plan.unit_kinds[rows[0]], LEVELS[plan.level_idx[rows[0]]]
        units.append(Unit(unit_id=uid, county=county.code, city=county.city_code, kind=kind, level=level,
                          module=module, member_ids=tuple(plan.officer_ids[r] for r in rows),
                          name=structure.unit_name(county, level, kind, int(plan.unit_numbers[rows[0]]), province_name),
                          name_en=structure.unit_name_en(county, level, kind, int(plan.unit_numbers[rows[0]]),
                                                         province_name)))
    return units


# Units that work from the county bureau at the seat; the others are spread over the stations.
AT_BUREAU = frozenset({"riot_company", "swat", "rescue_team", "tech_team", "forensic_team"})


def place_units(units: list[Unit], stations: dict[str, list]) -> list[Unit]:
    """Each unit at a station: pools, reserves and the bureau's teams at the seat (station 00), a
    county's patrol, traffic and investigation squads dealt round its stations in turn."""
    dealt: dict[tuple[str, str], int] = {}
    out = []
    for unit in units:
        own = stations.get(unit.county) or []
        if not own:
            out.append(unit)
            continue
        if unit.level != "county" or unit.kind in AT_BUREAU:
            station = own[0]
        else:
            k = dealt.get((unit.county, unit.kind), 0)
            dealt[(unit.county, unit.kind)] = k + 1
            station = own[k % len(own)]
        out.append(replace(unit, station_id=station.station_id, station=tuple(station.point)))
    return out


def rank_in_unit(unit_ids: list[str]) -> np.ndarray:
    """0, 1, 2... within each unit (officers of a unit are contiguous)."""
    ranks, last, k = np.zeros(len(unit_ids), dtype=int), None, 0
    for i, uid in enumerate(unit_ids):
        k = k + 1 if uid == last else 0
        ranks[i], last = k, uid
    return ranks


def officer_stations(plan: Plan, units: list[Unit], stations: dict[str, list], ranks: np.ndarray):
    """(station id, point) per officer: the unit's, except that a county's patrol, traffic and
    investigation officers work from all its stations in turn (a station has a few of each)."""
    where = {u.unit_id: (u.station_id, u.station, u.level, u.county) for u in units}
    ids, points = [], []
    for uid, kind, rank in zip(plan.unit_ids, plan.unit_kinds, ranks.tolist()):
        sid, point, level, county = where.get(uid, ("", None, "", ""))
        own = stations.get(county) or []
        if own and level == "county" and kind not in AT_BUREAU:
            start = next((i for i, st in enumerate(own) if st.station_id == sid), 0)
            st = own[(start + rank) % len(own)]
            sid, point = st.station_id, tuple(st.point)
        ids.append(sid)
        points.append(point)
    return ids, points


def build_officers(rng, plan: Plan, counties, rich, as_of, tags, kit_ids, units: list[Unit] = (),
                   stations: dict | None = None) -> list[Officer]:
    """Draw personal details in a fixed order and make the Officer records."""
    n, c, year = len(plan.roles), plan.county_idx, as_of.year
    codes = [counties[i].code for i in c]
    names, genders = people.names_and_genders(rng, plan.modules)
    birth = people.birth_years(rng, plan.roles, year)
    ranks = rank_in_unit(plan.unit_ids)
    status, minutes, watches = shifts.shift_state(rng, [ROLE_CLASSES[r] for r in plan.roles], ranks, as_of)
    station_ids, station_points = officer_stations(plan, units, stations or {}, ranks)
    home = people.homes(rng, np.array([k.seat for k in counties], dtype=float)[c])
    volunteer, points = people.volunteers_and_points(rng, n)
    columns = {
        "officer_id": plan.officer_ids, "name": names, "gender": genders, "birth_year": birth.tolist(),
        "county": codes, "city": [counties[i].city_code for i in c], "unit_id": plan.unit_ids,
        "rank": people.ranks(birth, year), "module": [MODULES[m] for m in plan.modules],
        "role_class": [ROLE_CLASSES[r] for r in plan.roles], "tags": tags,
        "certifications": skills.certifications(rng, tags, plan.modules, as_of.date()),
        "equipment_ids": kit_ids, "status": status, "duty_minutes_24h": minutes.tolist(),
        "home": list(map(tuple, home.tolist())), "phone": people.phones(rng, n),
        "home_address": people.addresses(rng, [counties[i].city_name for i in c],
                                         [counties[i].name for i in c]),
        "id_number": people.id_numbers(rng, codes, birth, genders),
        "base_wage_daily": people.wages(rng, rich[c], birth, year).tolist(),
        "points_balance": points.tolist(), "volunteer": volunteer.tolist(),
        "station_id": station_ids, "station": station_points, "watch": watches,
    }
    # Positional construction from columns keyed by field name: the keys are checked against the
    # dataclass, and building 100,000 records this way is several times faster than **kwargs.
    ordered = [columns[f.name] for f in fields(Officer)]
    return [Officer(*row) for row in zip(*ordered)]
