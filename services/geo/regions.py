"""Region codes: which city a county belongs to, and whether a region contains a county.

Every service answers these two questions, so the rules live here once. They follow the
administrative division codes (GB/T 2260), with no boundary files to load:

- a code ending in 0000 is a province, one ending in 00 a city, any other a county;
- a county belongs to the city that shares its first four digits;
- except a county-level city the province administers directly (middle digits 90, e.g. 429004
  Xiantao, 469001 Wuzhishan): it is a city of its own and is named by its own code;
- and the districts of the municipalities and special administrative regions (11, 12, 31, 50, 81,
  82) belong to the province itself, which has no cities below it.

`Geography` builds the same answer from the boundary files; a unit test holds the two together
for every province the files list.

    city_of("330482")                    # "330400" (Pinghu, in Jiaxing)
    city_of("429004")                    # "429004"
    region_covers("330400", "330482")    # True
"""
from __future__ import annotations

# provinces whose counties and districts sit directly under the province
_NO_CITIES = frozenset({"11", "12", "31", "50", "81", "82"})
# the middle digits of the province's directly administered county-level cities
_DIRECT = "90"


def region_level(code: str) -> str:
    """"province", "city" or "county"."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def province_of(code: str) -> str:
    return code[:2] + "0000"


def city_of(county: str) -> str:
    """The code of the city a county belongs to (the province's code where it has no cities)."""
    if county[:2] in _NO_CITIES:
        return province_of(county)
    if county[2:4] == _DIRECT:
        return county
    return county[:4] + "00"


def region_covers(region: str, county: str) -> bool:
    """True when `county` lies inside `region` (a province, a city or the county itself)."""
    level = region_level(region)
    if level == "province":
        return county[:2] == region[:2]
    if level == "city":
        return city_of(county) == region
    return county == region


def region_prefix(region: str) -> str | None:
    """The leading digits every county of `region` starts with (for a SQL LIKE), or None when the
    region is one county and only the exact code matches."""
    level = region_level(region)
    if level == "province":
        return region[:2]
    if level == "city":
        return region[:4]
    return None
