"""Place names on the map, drawn by the browser with its own fonts: nothing is fetched.

MapLibre draws map text from glyph files (PBF) it loads from a font server, so the map's own text
layers would leave the machine. Instead the figure carries the names in `layout.meta.place_labels`
and `assets/place_labels.js` lays them over the map as HTML, placed with the map's projection on
every move and thinned so that no two overlap: city names always, county names from about city zoom
(`county_zoom`) on. Names are the geography's own (Chinese); in English, Hanyu Pinyin with the
kind of unit spelled out (西湖区 → Xihu District, 杭州市 → Hangzhou).
"""
from __future__ import annotations

import re

from services.geo.names import english_name
from twin.ui.messages import DEFAULT_LANGUAGE

ZOOM_STEP_TO_COUNTIES = 0.8  # county names show once the map is zoomed this far in from the province view


def county_names(counties: list[dict], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """{county code: its name in the page's language} (Pinyin with the kind in English for "en")."""
    return {c["code"]: place_name(c["name"], lang) for c in counties}


def city_names(counties: list[dict], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """{county code: its city's name in the page's language}, for the counties whose city is known."""
    return {c["code"]: place_name(c["city_name"], lang, "city") for c in counties if c.get("city_name")}


def place_name(name: str, lang: str = DEFAULT_LANGUAGE, level: str = "county") -> str:
    """One Chinese place name in the page's language."""
    return name if lang != "en" or not name else english_name(name, level)


CHINESE_PLACE = re.compile(r"[\u4e00-\u9fff]+?(?:自治县|新区|区|县|市)(?![\u4e00-\u9fff])")


def places_in_english(words: str) -> str:
    """A text the services wrote in English with the geography's Chinese place names in it (matching's
    plan explanations: "33 from 鹿城区"), with each name in Pinyin (33 from Lucheng District)."""
    return CHINESE_PLACE.sub(lambda m: english_name(m.group(0)), words)


def place_labels(counties: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """One label per city (at the seat of its first county, usually the urban district) and one per
    county (at its seat); cities first, as the overlay places labels in order and drops those that
    would overlap one already placed."""
    cities: dict[str, dict] = {}
    for county in sorted(counties, key=lambda c: c["code"]):
        city = county.get("city_name")
        if city and county.get("seat") and city not in cities and city != county["name"]:
            cities[city] = {"name": place_name(city, lang, "city"), "level": "city",
                            "lon": county["seat"][0], "lat": county["seat"][1]}
    labels = list(cities.values())
    labels += [{"name": place_name(c["name"], lang), "level": "county",
                "lon": c["seat"][0], "lat": c["seat"][1]} for c in counties if c.get("seat")]
    return labels


def label_meta(counties: list[dict], zoom: float, lang: str = DEFAULT_LANGUAGE, avoid=()) -> dict:
    """What the figure's `layout.meta` carries for the overlay: the labels, the zoom from which county
    names show, and the points no label may cover (`avoid`: (lon, lat) of the incidents' markers)."""
    return {"place_labels": place_labels(counties, lang), "county_zoom": round(zoom + ZOOM_STEP_TO_COUNTIES, 2),
            "avoid": [[round(lon, 5), round(lat, 5)] for lon, lat in avoid]}
