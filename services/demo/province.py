"""The demo of any province by its area code: its three incidents and its users.

Zhejiang (330000) keeps its curated demo (infra/demo_incidents.json, the seed's own places). Every
other province gets the same three situations, placed by its own geography so that each shows what
the system is for:

- a telecom-fraud den in a county-level city of another prefecture, mid-distance from the capital
  (grade III; investigators and forensics from the neighbouring cities);
- a holiday crowd in the capital's main urban district (grade IV; dense neighbours, usually staffed
  locally or from the next districts within the deadline);
- a night gathering in the county farthest from the capital (grade II; honestly short: the plan says
  what is missing and where pre-positioning would have closed it).

The users are the same roles as Zhejiang's: the province commander, the capital's city commander,
the duty officers of the two counties with incidents, the pool manager, a support officer, a trainer,
an auditor, a viewer and the services' own identities.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from services.geo._distance import matrix_km
from services.geo.geography import Geography

from .allocation import capital_county
from .generate import PROVINCE_ABBR

ZHEJIANG = "330000"
CURATED = Path(__file__).resolve().parents[2] / "infra" / "demo_incidents.json"
SERVICES = ("demand", "resources", "matching", "logistics", "twin")


def places(province: str) -> dict[str, object]:
    """The counties the demo uses: capital (main urban district), fraud (a county-level city of
    another prefecture at the median distance from the capital) and remote (the farthest county)."""
    geo = Geography.load(province)
    capital = capital_county(geo, province)
    seats = np.array([c.seat for c in geo.counties], dtype=float)
    km = matrix_km(np.array([capital.seat], dtype=float), seats)[0]
    order = np.argsort(km, kind="stable")
    remote = geo.counties[int(order[-1])]
    others = [geo.counties[int(i)] for i in order
              if geo.counties[int(i)].city_code != capital.city_code and geo.counties[int(i)].code != remote.code]
    cities = [c for c in others if c.name.endswith("市")] or others or [c for c in geo.counties
                                                                       if c.code not in (capital.code, remote.code)]
    fraud = cities[len(cities) // 2] if cities else capital
    return {"geo": geo, "capital": capital, "fraud": fraud, "remote": remote}


def _address(geo: Geography, county) -> str:
    city = "" if county.city_name in (geo.province_name, county.name) else county.city_name
    return f"{geo.province_name}{city}{county.name}"


def _point(county) -> dict:
    return {"lon": round(county.seat[0], 4), "lat": round(county.seat[1], 4)}


def demo_incidents(province: str = ZHEJIANG) -> list[dict]:
    """The demo incidents of `province`, as a county reports them to demand (POST /incidents)."""
    if province == ZHEJIANG:
        return json.loads(CURATED.read_text(encoding="utf-8"))
    p = places(province)
    geo, capital, fraud, remote = p["geo"], p["capital"], p["fraud"], p["remote"]
    return [
        {"incident_id": f"DEMO-{fraud.code}-FRAUD", "type": "telecom_fraud", "domain": "criminal_investigation",
         "location": {"county": fraud.code, "point": _point(fraud), "address": _address(geo, fraud)},
         "size": {"people_involved": 23}, "reported_grade": "III",
         "description": "跨境电信诈骗团伙窝点线索，需电子取证与技术侦查力量增援。",
         "reported_by": f"{fraud.name}公安局指挥中心"},
        {"incident_id": f"DEMO-{capital.code}-CROWD", "type": "mass_gathering", "domain": "public_order",
         "location": {"county": capital.code, "point": _point(capital), "address": _address(geo, capital)},
         "size": {"people_involved": 260, "area_km2": 0.3}, "reported_grade": "IV",
         "description": "节假日中心城区游客大量聚集，人流密度持续上升，需要增援疏导。",
         "reported_by": f"{capital.name}公安分局指挥中心"},
        {"incident_id": f"DEMO-{remote.code}-NIGHT", "type": "mass_gathering", "domain": "public_order",
         "location": {"county": remote.code, "address": _address(geo, remote)},
         "size": {"people_involved": 600}, "reported_grade": "II",
         "description": "偏远县夜间群体性聚集，本地警力不足，道路条件差。",
         "reported_by": f"{remote.name}公安局指挥中心"},
    ]


def demo_users(province: str) -> dict:
    """users.yaml's document for `province`: the same roles as Zhejiang's, in this province's regions."""
    p = places(province)
    geo, capital, fraud = p["geo"], p["capital"], p["fraud"]
    tag = PROVINCE_ABBR.get(province[:2], "p" + province[:2]).lower()
    spec = {
        f"{tag}-commander": ("province_commander", province, f"{geo.province_name}公安厅指挥中心值班长"),
        f"{tag}-city-commander": ("city_commander", capital.city_code, f"{capital.city_name}公安局指挥中心"),
        f"{tag}-capital-duty": ("county_duty_officer", capital.code, f"{capital.name}公安分局值班员"),
        f"{tag}-fraud-duty": ("county_duty_officer", fraud.code, f"{fraud.name}公安局值班员"),
        f"{tag}-pool": ("resource_manager", province, "省厅警力资源管理"),
        f"{tag}-support": ("support_officer", fraud.code, f"{fraud.name}公安局支援民警"),
        f"{tag}-trainer": ("trainer", province, "省厅演练组"),
        f"{tag}-audit": ("auditor", province, "省厅督察审计"),
        f"{tag}-viewer": ("viewer", province, "值班观察员"),
    }
    users = {name: {"role": role, "region": region, "name": label} for name, (role, region, label) in spec.items()}
    users |= {f"service:{s}": {"role": "integrator", "region": province, "name": f"{s} service"} for s in SERVICES}
    return {"users": users}


def write_demo_users(province: str, path: Path) -> Path:
    """The province's demo users as a users file (USERS_FILE), readable by this account only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# the demo users of province " + province + " (written by make run)\n"
                    + yaml.safe_dump(demo_users(province), allow_unicode=True, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path
