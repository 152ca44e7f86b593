"""generate(): a seeded, plausible provincial police force built on the province's real counties.

Layout: a province reserve in the provincial government's district (unit level "province"),
one pool per city in its main district ("city"), and each county's own force ("county"). Counts
per county follow population x density (see services.demo.allocation for the basis); role
classes follow the DOMAIN.md structure targets exactly (see services.demo.structure).
Same seed, same arguments -> identical force: one numpy Generator, drawn in a fixed order.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import numpy as np

from services.demo import allocation, equipment, skills, structure
from services.demo.assemble import build_officers, build_units, place_units, sort_into_units
from services.demo.force import LEVELS, Force

CST = timezone(timedelta(hours=8))
DEFAULT_AS_OF = datetime(2026, 11, 1, 8, 0, tzinfo=CST)  # fixed, so the default force never drifts

# ISO 3166-2:CN province codes, used as the prefix of officer ids ("ZJ330106-00042").
PROVINCE_ABBR = dict(pair.split(":") for pair in (
    "11:BJ 12:TJ 13:HE 14:SX 15:NM 21:LN 22:JL 23:HL 31:SH 32:JS 33:ZJ 34:AH 35:FJ 36:JX 37:SD "
    "41:HA 42:HB 43:HN 44:GD 45:GX 46:HI 50:CQ 51:SC 52:GZ 53:YN 54:XZ 61:SN 62:GS 63:QH 64:NX "
    "65:XJ 71:TW 81:HK 82:MO").split())


def generate(province: str = "330000", *, officers: int = 20000, seed: int = 7,
             as_of: datetime | None = None, geography=None) -> Force:
    """A force of exactly `officers` officers for `province` (GB area code), start-of-scenario state.

    Basis: officers per county in proportion to resident population x density, 15 per 10,000 in
    rich urban districts down to 5 in remote counties (DOMAIN.md), scaled to `officers`; 6% of
    the force is the province reserve and 20% the city pools; mobile 17.5%, specialists 27.5%,
    rotating 12.5% of all officers. `geography` defaults to `services.geo.Geography.load`.
    """
    geo = geography or _load_geography(province)
    with _collector_paused():
        return _generate(geo, province, officers, seed, as_of or DEFAULT_AS_OF)


def _generate(geo, province: str, officers: int, seed: int, as_of: datetime) -> Force:
    rng = np.random.default_rng(seed)
    counties = sorted(geo.counties, key=lambda c: c.code)
    cities = sorted(geo.cities, key=lambda c: c.code)
    capital = allocation.capital_county(geo, province)
    county_idx, level_idx = _home_counties(counties, cities, capital, officers)
    roles, modules = _roles_and_modules(rng, level_idx, officers)
    plan = sort_into_units(counties, _prefix(province), county_idx, level_idx, roles, modules)
    stations = _stations(geo, seed)
    units = place_units(build_units(plan, counties, geo.province_name), stations)
    standards = equipment.county_standards(rng, counties, cities, capital.code)
    tags = skills.draw_tags(rng, plan.roles, plan.modules)
    kit, kit_ids = _equipment(rng, plan, [c.code for c in counties], units, standards, tags)
    rich = allocation.richness(counties, capital.seat)
    officer_list = build_officers(rng, plan, counties, rich, as_of, tags, kit_ids, units, stations)
    return Force(province=province, seed=seed, as_of=as_of, officers=officer_list,
                 units=units, equipment=kit, standards=standards)


@contextmanager
def _collector_paused():
    """The records hold no reference cycles, so the cyclic collector's repeated passes over
    hundreds of thousands of new objects are wasted work (a fifth of the time at 100,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_geography(province: str):
    # Imported here so that reading a saved roster never needs the boundary data.
    from services.geo import Geography
    return Geography.load(province)


def _stations(geo, seed: int) -> dict[str, list]:
    """County -> its police stations (services.geo.stations); the seat alone without polygons."""
    if not hasattr(geo, "county_shape"):
        return {}
    from services.geo.stations import stations_of
    return stations_of(geo, seed)


def _prefix(province: str) -> str:
    return PROVINCE_ABBR.get(province[:2], "P" + province[:2])


def _home_counties(counties, cities, capital, officers: int) -> tuple[np.ndarray, np.ndarray]:
    """County and level index of every officer: province reserve, city pools, then counties."""
    index = {c.code: i for i, c in enumerate(counties)}
    totals = allocation.level_totals(officers)
    if totals["county"] < len(counties) or totals["city"] < len(cities):
        raise ValueError(f"{officers} officers cannot staff {len(counties)} counties and {len(cities)} city pools")
    weights = allocation.county_weights(counties, capital.seat)
    city_weights = np.array([sum(weights[index[code]] for code in c.counties) for c in cities])
    pool_counties = [index[allocation.main_district([counties[index[k]] for k in c.counties]).code]
                     for c in cities]
    per_county = allocation.apportion(weights, totals["county"], minimum=1)
    per_city = allocation.apportion(city_weights, totals["city"], minimum=1)
    county_idx = np.concatenate([np.full(totals["province"], index[capital.code]),
                                 np.repeat(pool_counties, per_city),
                                 np.repeat(np.arange(len(counties)), per_county)])
    level_idx = np.repeat(np.arange(len(LEVELS)), [totals[lvl] for lvl in LEVELS])
    return county_idx.astype(int), level_idx


def _roles_and_modules(rng, level_idx: np.ndarray, officers: int) -> tuple[np.ndarray, np.ndarray]:
    quotas = structure.role_quotas(allocation.level_totals(officers))
    roles = np.zeros(officers, dtype=int)
    modules = np.zeros(officers, dtype=int)
    for i, level in enumerate(LEVELS):
        at = level_idx == i
        roles[at] = structure.shuffled_roles(rng, quotas[level])
        modules[at] = structure.draw_modules(rng, level, roles[at])
    return roles, modules


def _equipment(rng, plan, county_codes, units, standards, tags):
    """Personal kit is listed on the officer's record; team kit stays with the unit."""
    items, spans = [], []
    for i, officer_tags in enumerate(tags):
        start = len(items)
        county = county_codes[plan.county_idx[i]]
        items += [(kind, plan.unit_ids[i], county) for kind in equipment.personal_kit(officer_tags)]
        spans.append((start, len(items)))
    items += equipment.team_kit(units, len(tags))
    kit = equipment.build(rng, items, standards)
    return kit, [tuple(e.equipment_id for e in kit[a:b]) for a, b in spans]
