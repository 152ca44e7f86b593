"""How many officers each county, city pool and the province reserve get.

Basis (DOMAIN.md): police density is 15 officers per 10,000 residents in rich areas and 5 in
remote ones. A county's rate is 5 + 10 x richness, where richness mixes how urban it is (city
districts 1, county-level cities 0.5, counties 0) with how close its seat is to the provincial
capital; its weight is resident population x rate. Zhejiang's ~65 M residents at ~10 per 10,000
would give ~65,000 officers; the weights are scaled to whatever total the caller asks for.
"""
from __future__ import annotations

import numpy as np

# The seat of the provincial government where it is not the capital city's first district.
PROVINCE_SEATS = {"330000": "330106"}
REMOTE_KM = 250.0  # beyond this distance from the capital, proximity adds nothing
URBAN_WEIGHT = 0.7
RATE_MIN, RATE_MAX = 5.0, 15.0  # officers per 10,000 residents

# Shares of the whole force held above the counties (province reserve, city pools).
PROVINCE_SHARE = 0.06
CITY_SHARE = 0.20


def urbanity(name: str) -> float:
    """City districts (区) are urban, county-level cities (市) half, counties (县, 旗) rural."""
    if name.endswith("区"):
        return 1.0
    return 0.5 if name.endswith("市") else 0.0


def distance_km(a: tuple[float, float], b: np.ndarray) -> np.ndarray:
    """Great-circle distance from point a to each (lon, lat) row of b."""
    lon1, lat1 = np.radians(a)
    lon2, lat2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(h))


def richness(counties, capital_seat: tuple[float, float]) -> np.ndarray:
    seats = np.array([c.seat for c in counties], dtype=float)
    proximity = 1.0 - np.minimum(distance_km(capital_seat, seats) / REMOTE_KM, 1.0)
    urban = np.array([urbanity(c.name) for c in counties])
    return URBAN_WEIGHT * urban + (1 - URBAN_WEIGHT) * proximity


def populations(counties) -> np.ndarray:
    """Resident population; unknown ones take the median of the known (all unknown: equal)."""
    known = [c.population for c in counties if c.population]
    fill = float(np.median(known)) if known else 1.0
    return np.array([c.population or fill for c in counties], dtype=float)


def county_weights(counties, capital_seat) -> np.ndarray:
    rate = RATE_MIN + (RATE_MAX - RATE_MIN) * richness(counties, capital_seat)
    return populations(counties) * rate


def apportion(weights: np.ndarray, total: int, minimum: int = 0) -> np.ndarray:
    """Largest-remainder apportionment: integers summing exactly to total, each >= minimum."""
    weights = np.asarray(weights, dtype=float)
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} cannot give {minimum} to each of {len(weights)} shares")
    exact = spare * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    # Stable sort on the remainder, so ties resolve by position and never by chance.
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: spare - counts.sum()]] += 1
    return counts + minimum


def capital_county(geo, province: str):
    """The county hosting the province reserve: the government's seat, else the capital's first district."""
    code = PROVINCE_SEATS.get(province)
    if code:
        return geo.county(code)
    capital = province[:2] + "0100"
    in_capital = [c for c in geo.counties if c.city_code == capital] or list(geo.counties)
    return main_district(in_capital)


def main_district(counties):
    """A city's first urban district by code, where the city bureau (and its pool) usually is."""
    counties = sorted(counties, key=lambda c: c.code)
    return next((c for c in counties if c.name.endswith("区")), counties[0])


def level_totals(officers: int) -> dict[str, int]:
    province = round(officers * PROVINCE_SHARE)
    city = round(officers * CITY_SHARE)
    return {"province": province, "city": city, "county": officers - province - city}
