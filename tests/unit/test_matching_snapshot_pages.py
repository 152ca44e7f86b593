"""matching's first picture of the force reads every officer of the pool once, page after page by the
position each page gives (`next`), not by offsets; an officer the pool adds between two pages is read
when it sorts after the position reached (one sorting before it is the stream's to bring), and none is
read twice."""
from __future__ import annotations

from services.matching import snapshot
from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
from services.resources.store import officers
from tests.helpers import offline_settings
from tests.system import ClientSession


class Recorded(ClientSession):
    """The session, each GET's query kept; `between(n)` runs after the n-th page of officers."""

    def __init__(self, client, between=None):
        super().__init__(client)
        self.asked, self.between = [], between or {}

    def get(self, url, *, params=None, headers=None, timeout=None):
        reply = super().get(url, params=params, headers=headers, timeout=timeout)
        self.asked.append(dict(params or {}))
        if len(self.asked) in self.between:
            self.between[len(self.asked)]()
        return reply


def test_the_snapshot_reads_every_officer_once_in_pages_by_position(tmp_path):
    runtime = build_runtime(offline_settings("resources", tmp_path))
    assert seed_demo_if_empty(runtime, officers_n=2300, seed=7) == 2300
    with runtime.engine.connect() as conn:
        every = [r.officer_id for r in conn.execute(officers.select().order_by(officers.c.officer_id))]

    def add_one():   # an officer sorted into the pages not yet read, and one before them (read next time)
        with runtime.engine.begin() as conn:
            row = dict(conn.execute(officers.select().where(officers.c.officer_id == every[0])).mappings().one())
            conn.execute(officers.insert(), [dict(row, officer_id="ZZ-LATE-1"), dict(row, officer_id="AA-LATE-1")])
    session = Recorded(create_app(runtime).test_client(), between={1: add_one})
    got = snapshot.Snapshot("", session=session).officers()
    ids = [o["officer_id"] for o in got]
    assert ids == every + ["ZZ-LATE-1"]
    assert [a.get("after") is not None for a in session.asked] == [False, True, True]
    assert all("offset" not in a and a["limit"] == snapshot.PAGE for a in session.asked)
    runtime.engine.dispose()
