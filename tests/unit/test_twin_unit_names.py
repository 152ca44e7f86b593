"""The twin names a unit as its roster does (twin.mirror.names): on the map, in the alerts and on the board,
falling back to the unit's id while resources has not answered or has no name for it."""
from __future__ import annotations

import requests

from tests.helpers import StubResponse
from tests.unit.test_twin_board_alerts import FRAUD, PROVINCE, UNIT, event, situation
from twin.mirror import replay
from twin.mirror.names import RENAME_S, RETRY_S, UnitNames
from twin.ui import alerts, board
from twin.ui.map_layers import unit_traces

NAME = "义乌市公安局巡特警大队处突一中队"
NAME_EN = "Yiwu City PSB, Patrol and SWAT Brigade, Riot Squadron 1"


class Roster:
    """ServicesClient.unit_names over a dict; `down` answers None as when resources does not answer."""

    def __init__(self, names: dict[str, str]):
        self.names, self.down, self.asked = names, False, []

    def unit_names(self, unit_ids):
        self.asked.append(sorted(unit_ids))
        return None if self.down else {u: {"zh": self.names[u], "en": EN.get(self.names[u], self.names[u])}
                                       for u in unit_ids if u in self.names}


EN = {NAME: NAME_EN}


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_a_dispatched_unit_is_named_from_the_roster_and_an_unknown_one_asked_again_later():
    model = situation()
    replay.apply(model, event("dispatch.ordered", order_id="ORD-2", request_id=FRAUD, unit_id="U-NOT-IN-ROSTER",
                              from_county="330782", plan_id="PLAN-X"))
    roster, clock = Roster({UNIT: NAME}), Clock()
    names = UnitNames(model, roster, clock=clock)
    roster.down = True
    assert names.refresh() == 0 and model.unit_names == {}           # resources down: nothing learned ...
    roster.down = False
    assert names.refresh() == 1 and model.unit_names == {UNIT: {"zh": NAME, "en": NAME_EN}}  # ... asked again
    assert roster.asked[-1] == sorted([UNIT, "U-NOT-IN-ROSTER"])
    assert names.refresh() == 0 and len(roster.asked) == 2             # the unknown unit is not asked every round
    clock.t += RETRY_S
    roster.names["U-NOT-IN-ROSTER"] = "义乌市公安局交警大队一中队"       # imported since
    assert names.refresh() == 1 and roster.asked[-1] == ["U-NOT-IN-ROSTER"]
    unit = next(u for u in model.snapshot()["units"] if u["unit_id"] == UNIT)
    assert (unit["name"], unit["name_en"]) == (NAME, NAME_EN)


def test_a_unit_the_roster_renames_is_shown_under_its_new_name_within_the_rename_interval():
    model = situation()
    roster, clock = Roster({UNIT: NAME}), Clock()
    names = UnitNames(model, roster, clock=clock)
    assert names.refresh() == 1 and len(roster.asked) == 1
    clock.t += RENAME_S - 1
    assert names.refresh() == 0 and len(roster.asked) == 1             # a named unit is not asked every round
    roster.names[UNIT] = "义乌市公安局巡特警大队处突二中队"                 # a roster import renamed it
    clock.t += 1
    assert names.refresh() == 1 and roster.asked[-1] == [UNIT]
    assert model.unit_names[UNIT]["zh"] == "义乌市公安局巡特警大队处突二中队"
    del roster.names[UNIT]                                               # a roster that drops the name ...
    clock.t += RENAME_S
    assert names.refresh() == 0 and model.unit_names[UNIT]["zh"] == "义乌市公安局巡特警大队处突二中队"   # ... keeps it
    assert names.refresh() == 0 and len(roster.asked) == 3


def test_the_map_the_alerts_and_the_board_say_the_units_name():
    model = situation()
    replay.apply(model, event("unit.late", unit_id=UNIT, order_id="ORD-20250915-0042"))
    unnamed = model.snapshot()
    UnitNames(model, Roster({UNIT: NAME})).refresh()
    named = model.snapshot()
    hover = " ".join(t for trace in unit_traces(named["units"], "zh") for t in (trace.text or ()))
    assert f"{NAME} · " in hover and f"<br>{UNIT}" in hover
    assert NAME not in " ".join(t for trace in unit_traces(unnamed["units"], "zh") for t in (trace.text or ()))
    late = [a for a in alerts.alerts_for(named, PROVINCE, "zh") if a["kind"] == "late"]
    assert late and NAME in late[0]["text"]
    fraud = next(r for r in board.queue(named) if r["request_id"] == FRAUD)
    assert fraud["late_units"] == [NAME]
    # the English pages say the roster's English name
    hover_en = " ".join(t for trace in unit_traces(named["units"], "en") for t in (trace.text or ()))
    assert f"{NAME_EN} · " in hover_en and NAME not in hover_en
    assert NAME_EN in [a for a in alerts.alerts_for(named, PROVINCE, "en") if a["kind"] == "late"][0]["text"]
    assert next(r for r in board.queue(named, lang="en") if r["request_id"] == FRAUD)["late_units"] == [NAME_EN]


class ResourcesSession:
    """requests.Session's get() as resources' GET /units?ids= answers it (`status` other than 200: refused)."""

    def __init__(self, status=200):
        self.status, self.reads, self.lines = status, [], []

    def get(self, url, params=None, headers=None, timeout=None):
        assert url.endswith("/units") and headers["Authorization"].startswith("Bearer ")
        asked = params["ids"].split(",")
        self.reads.append(len(asked))
        sent = requests.Request("GET", url, params=params).prepare()   # as requests encodes it
        self.lines.append(len(f"GET {sent.path_url} HTTP/1.1"))
        return StubResponse(self.status, [{"unit_id": u, "name": f"{u}中队" if u != "U-NAMELESS" else None,
                                       **({"name_en": f"Squadron {u}"} if u != "U7" else {})} for u in asked])


def test_the_client_reads_names_at_most_500_a_time_and_leaves_out_a_unit_without_one():
    from twin.mirror.client import ServicesClient
    session = ResourcesSession()
    ids = [f"U{i}" for i in range(1100)] + ["U-NAMELESS"]
    got = ServicesClient({"resources": "http://resources"}, session=session).unit_names(ids)
    assert sum(session.reads) == 1101 and max(session.reads) <= 500 and len(got) == 1100 and "U-NAMELESS" not in got
    assert got["U8"] == {"zh": "U8中队", "en": "Squadron U8"}
    # the roster's own ids are longer: as many a read as gunicorn's request line (4,094 bytes) holds
    long = ServicesClient({"resources": "http://resources"}, session=(session := ResourcesSession()))
    assert len(long.unit_names([f"U330106-X-PAT{i:03d}" for i in range(500)])) == 500
    assert sum(session.reads) == 500 and max(session.lines) <= 4094   # 500 in one read: 9,521 bytes
    assert got["U7"] == {"zh": "U7中队", "en": "U7中队"}   # no English name in the roster: the Chinese one
    assert ServicesClient({"resources": "http://resources"}, session=ResourcesSession(503)).unit_names(["U1"]) is None
    assert ServicesClient({}, session=session).unit_names(["U1"]) is None   # a twin wired without resources


def test_a_page_asks_the_roster_only_for_the_units_the_twin_cannot_name_yet():
    from twin.mirror.names import names_for
    model = situation()
    model.unit_names[UNIT] = {"zh": NAME, "en": NAME_EN}
    roster = Roster({"U-PLANNED": "义乌市公安局交警大队一中队"})
    got = names_for(model, roster, {UNIT, "U-PLANNED", "U-UNKNOWN"})
    assert roster.asked == [["U-PLANNED", "U-UNKNOWN"]]                 # the held name is not read again
    assert got == {UNIT: {"zh": NAME, "en": NAME_EN},
                   "U-PLANNED": {"zh": "义乌市公安局交警大队一中队", "en": "义乌市公安局交警大队一中队"}}
    assert names_for(model, roster, {UNIT, "U-PLANNED"}) == {k: got[k] for k in (UNIT, "U-PLANNED")}
    assert len(roster.asked) == 1                                        # kept from the first read
