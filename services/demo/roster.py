"""A force as plain JSON-ready records, a JSON roster file that loads back, and an officers CSV."""
from __future__ import annotations

import csv
import json
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path

from services.demo.force import Certification, CountyStandards, Equipment, Force, Officer, Unit

KINDS = {"officers": Officer, "units": Unit, "equipment": Equipment, "standards": CountyStandards}


def to_records(force: Force) -> dict[str, list[dict]]:
    return {key: [_record(item) for item in getattr(force, key)] for key in KINDS}


def _record(item) -> dict:
    return {f.name: _plain(getattr(item, f.name)) for f in fields(item)}


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Certification):
        return {"name": value.name, "issued": value.issued.isoformat(), "expires": value.expires.isoformat()}
    return value


def write_roster(force: Force, path) -> Path:
    path = Path(path)
    document = {"province": force.province, "seed": force.seed, "as_of": force.as_of.isoformat(),
                **to_records(force)}
    with path.open("w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
    return path


def load_roster(path) -> Force:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return Force(
        province=document["province"], seed=document["seed"],
        as_of=datetime.fromisoformat(document["as_of"]),
        officers=[_officer(r) for r in document["officers"]],
        units=[Unit(**{**r, "member_ids": tuple(r["member_ids"]), "station": _point(r.get("station"))})
               for r in document["units"]],
        equipment=[Equipment(**r) for r in document["equipment"]],
        standards=[CountyStandards(**{**r, "accepts": tuple(r["accepts"])}) for r in document["standards"]],
    )


def _officer(record: dict) -> Officer:
    certs = tuple(Certification(name=c["name"], issued=date.fromisoformat(c["issued"]),
                                expires=date.fromisoformat(c["expires"])) for c in record["certifications"])
    return Officer(**{**record, "tags": tuple(record["tags"]), "certifications": certs,
                      "equipment_ids": tuple(record["equipment_ids"]), "home": tuple(record["home"]),
                      "station": _point(record.get("station"))})


def _point(value) -> tuple[float, float] | None:
    return tuple(value) if value else None


def officer_row(officer: Officer) -> dict:
    """One flat CSV row: lists joined with ';', a certificate as name|issued|expires."""
    row = _record(officer)
    lon, lat = row.pop("home")
    s_lon, s_lat = row.pop("station") or (None, None)
    row.update(home_lon=lon, home_lat=lat, station_lon=s_lon, station_lat=s_lat, tags=";".join(officer.tags),
               equipment_ids=";".join(officer.equipment_ids),
               certifications=";".join(f"{c.name}|{c.issued}|{c.expires}" for c in officer.certifications))
    return row


UNIT_COLUMNS = ("unit_name", "unit_name_en", "unit_level", "unit_kind")


def unit_columns(unit: Unit | None) -> dict:
    """The officer's unit as a roster row describes it (unit_name, unit_name_en, unit_level, unit_kind),
    so that an import adds the unit under its name."""
    if unit is None:
        return dict.fromkeys(UNIT_COLUMNS, "")
    return {"unit_name": unit.name, "unit_name_en": unit.name_en, "unit_level": unit.level, "unit_kind": unit.kind}


def write_officers_csv(force: Force, path) -> Path:
    path = Path(path)
    columns = ([f.name for f in fields(Officer) if f.name not in ("home", "station")]
               + ["home_lon", "home_lat", "station_lon", "station_lat", *UNIT_COLUMNS])
    units = {u.unit_id: u for u in force.units}
    # utf-8-sig: spreadsheet programs then show the Chinese names instead of mojibake.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows({**officer_row(o), **unit_columns(units.get(o.unit_id))} for o in force.officers)
    return path
