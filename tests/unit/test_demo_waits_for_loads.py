"""`make run` reports the demo incidents only once demand holds each demo county's load report: a
county reporting before that asks for the whole need, and a commander would find a support request
(cancelled seconds later) for an incident the county covers itself."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from sqlalchemy import insert

from infra.run import Supervisor
from services.common.storage import make_engine
from services.demand.store import county_loads, metadata
from services.demo.province import demo_incidents


def supervisor(tmp_path) -> tuple[Supervisor, object]:
    url = f"sqlite:///{tmp_path / 'demand.db'}"
    sup = Supervisor({"DEMAND_DATABASE_URL": url, "VAR_DIR": str(tmp_path)}, var=tmp_path)
    sup.service_env = dict(sup.env)
    engine = make_engine(url)
    metadata.create_all(engine)
    return sup, engine


def report_load(engine, county: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(county_loads).values(county=county, report={"county": county},
                                                 at=datetime.now(timezone.utc)))


def test_the_incidents_wait_until_every_demo_county_has_its_load(tmp_path):
    sup, engine = supervisor(tmp_path)
    counties = sorted({i["location"]["county"] for i in demo_incidents()})
    for county in counties[:-1]:
        report_load(engine, county)
    late = threading.Timer(0.8, report_load, (engine, counties[-1]))
    late.start()
    t0 = time.monotonic()
    assert sup.wait_for_county_loads(timeout=10) is True
    assert time.monotonic() - t0 >= 0.7, "it went on before the last county's load was held"
    late.join()


def test_without_a_load_report_it_reports_anyway_after_the_timeout(tmp_path, capsys):
    sup, engine = supervisor(tmp_path)
    assert sup.wait_for_county_loads(timeout=0.5) is False
    assert "no load report yet for" in capsys.readouterr().out
