"""The plan panel's live arrivals: logistics' orders of a dispatched request (each unit's expected arrival
as logistics estimates it now), read with the user's token and summed up for the commander."""
from __future__ import annotations

import copy

import dash

from services.common.auth import Identity
from services.common.contracts import example_event
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.ui import arrivals, board, visibility
from twin.ui.app import create_app, panel_view

from .test_twin_app import triggered
from .test_twin_loop import REQUEST, model, proposed  # noqa: F401 - the fixtures

PROVINCE = Identity("zj-cmd", "province_commander", "330000")
HANGZHOU = Identity("hz-cmd", "city_commander", "330100")  # neither receiving (东阳) nor donor
DEADLINE = "2025-09-15T01:51:40.000Z"  # 09:51:40 Beijing time


def order(unit: str, county: str, *, eta: str | None = None, late: bool = False, arrived_at: str | None = None,
          status: str | None = None) -> dict:
    status = status or ("arrived" if arrived_at else "en_route" if eta else "acknowledged")
    return {"order_id": f"ORD-{unit}", "unit_id": unit, "request_id": REQUEST, "from_county": county,
            "deadline": DEADLINE, "eta": eta, "late": late, "arrived_at": arrived_at, "status": status}


ORDERS = [
    order("U1", "330782", eta="2025-09-15T01:40:00.000Z"),                       # 义乌, 09:40
    order("U2", "330782", arrived_at="2025-09-15T01:35:00.000Z", eta="2025-09-15T01:35:00.000Z"),
    order("U3", "330727", eta="2025-09-15T01:58:00.000Z", late=True),            # 磐安, 09:58: late
    order("U4", "330727"),                                                       # acknowledged, no report yet
    order("U5", "330703", eta="2025-09-15T01:20:00.000Z", status="released", arrived_at="2025-09-15T01:20:00.000Z"),
]
NAMES = {"330782": "义乌市", "330727": "磐安县", "330703": "金东区"}


def test_the_summary_counts_units_in_place_on_the_way_late_and_silent():
    assert arrivals.summary(ORDERS) == {"units": 4, "arrived": 1, "on_way": 3, "late": 1, "silent": 1,
                                        "latest_eta": "2025-09-15T01:58:00.000Z", "deadline": DEADLINE}
    assert arrivals.summary([ORDERS[4]]) is None and arrivals.summary([]) is None
    # an order escalated for want of an acknowledgement whose unit then reports: timed, not silent
    escalated = order("U6", "330782", eta="2025-09-15T01:44:00.000Z", status="escalated")
    assert arrivals.summary([escalated])["silent"] == 0
    assert arrivals.by_county(ORDERS) == [("330727", 2, 0, "2025-09-15T01:58:00.000Z", 1),
                                          ("330782", 2, 1, "2025-09-15T01:40:00.000Z", 0)]


def test_the_block_speaks_beijing_time_in_either_language():
    zh = str(arrivals.block(ORDERS, NAMES, "zh"))
    assert "已到 1/4 个单元；途中 3 个，最晚预计 09:58 到达（时限 09:51）；1 个预计迟到；1 个尚未报告位置" in zh
    assert "磐安县：2 个单元，已到 0，最晚预计 09:58，1 个预计迟到" in zh and "义乌市：2 个单元，已到 1，最晚预计 09:40" in zh
    assert zh.index("磐安县") < zh.index("义乌市")  # the latest first
    en = str(arrivals.block(ORDERS, NAMES, "en"))
    assert "1/4 units in place; 3 on the way, the last expected at 09:58 (deadline 09:51); 1 expected late" in en
    one = str(arrivals.block([ORDERS[0]], NAMES, "zh"))
    assert "途中 1 个，预计 09:40 到达（时限 09:51）" in one and "预计迟到" not in one
    assert arrivals.block(None, NAMES) is None and arrivals.block([ORDERS[4]], NAMES) is None
    assert "倍速" not in zh
    # the demo's devices drive faster than the plan: the block says so, since its times come that much earlier
    demo = str(arrivals.block(ORDERS, NAMES, "zh", speedup=10))
    assert "演示：模拟现场设备以方案行程的 10 倍速行驶" in demo
    assert "drive 10× faster than the plan's journeys" in str(arrivals.block(ORDERS, NAMES, "en", speedup=10))


class Session:
    """Answers GET /orders as logistics would, counting the calls and the tokens they carried."""

    def __init__(self, status: int = 200, body=None):
        self.calls, self.status, self.body = [], status, ORDERS if body is None else body

    def get(self, url, params=None, headers=None, timeout=None):
        self.calls.append((url, params, headers["Authorization"]))
        outer = self

        class Response:
            status_code = outer.status

            def json(self):
                return outer.body
        return Response()


def test_the_client_reads_the_orders_with_the_users_token_and_reuses_them_for_a_few_seconds(monkeypatch):
    session = Session()
    client = ServicesClient({"logistics": "http://logistics"}, session=session)
    clock = [100.0]
    monkeypatch.setattr("twin.mirror.client.time.monotonic", lambda: clock[0])
    assert client.arrivals(REQUEST, "tok-a") == ORDERS
    assert session.calls == [("http://logistics/orders", {"request_id": [REQUEST], "limit": 1000}, "Bearer tok-a")]
    clock[0] += 4
    assert client.arrivals(REQUEST, "tok-a") == ORDERS and len(session.calls) == 1
    assert client.arrivals(REQUEST, "tok-b") == ORDERS and len(session.calls) == 2  # another user: asked
    clock[0] += 2
    client.arrivals(REQUEST, "tok-a")
    assert len(session.calls) == 3
    refused = ServicesClient({"logistics": "http://logistics"}, session=Session(status=403, body={"title": "no"}))
    assert refused.arrivals(REQUEST, "tok-a") is None
    assert ServicesClient({}).arrivals(REQUEST, "tok-a") is None  # a twin without logistics


def test_the_client_reads_several_requests_orders_in_one_read_and_keeps_each(monkeypatch):
    other = dict(ORDERS[0], order_id="ORD-X", request_id="REQ-OTHER")
    session = Session(body=[*ORDERS, other])
    client = ServicesClient({"logistics": "http://logistics"}, session=session)
    clock = [100.0]
    monkeypatch.setattr("twin.mirror.client.time.monotonic", lambda: clock[0])
    got = client.arrivals_of([REQUEST, "REQ-OTHER", "REQ-NONE"], "tok-a")
    assert got == {REQUEST: ORDERS, "REQ-OTHER": [other], "REQ-NONE": []}  # grouped; none readable: []
    assert session.calls == [("http://logistics/orders", {"request_id": sorted([REQUEST, "REQ-NONE", "REQ-OTHER"]), "limit": 1000},
                              "Bearer tok-a")]
    clock[0] += 1
    assert client.arrivals(REQUEST, "tok-a") == ORDERS and len(session.calls) == 1  # kept per request
    client.arrivals_of([REQUEST, "REQ-NEW"], "tok-a")
    assert session.calls[-1][1] == {"request_id": ["REQ-NEW"], "limit": 1000}  # only what is not kept is asked for
    refused = ServicesClient({"logistics": "http://logistics"}, session=Session(status=403, body={"title": "no"}))
    assert refused.arrivals_of([REQUEST, "REQ-OTHER"], "tok-a") == {REQUEST: None, "REQ-OTHER": None}
    many = [f"REQ-{i:03d}" for i in range(250)]  # more than one read may name: in reads of 100
    client.arrivals_of(many, "tok-c")
    assert [len(call[1]["request_id"]) for call in session.calls[-3:]] == [100, 100, 50]


def test_the_panel_shows_live_arrivals_once_units_are_dispatched(proposed):  # noqa: F811
    asked = []

    def live(request_ids):
        asked.extend(request_ids)
        return {r: ORDERS for r in request_ids}

    before = panel_view(proposed, REQUEST, "zh", None, PROVINCE, live_arrivals=live)
    assert asked == [] and "实时到位" not in str(before[0])  # nothing dispatched: logistics is not asked
    replay.apply(proposed, copy.deepcopy(example_event("dispatch.ordered")))
    after = panel_view(proposed, REQUEST, "zh", before[2], PROVINCE, live_arrivals=live)
    assert asked == [REQUEST] and "实时到位（后勤推算）" in str(after[0]) and "1 个预计迟到" in str(after[0])
    assert after[2] != before[2]
    unchanged = panel_view(proposed, REQUEST, "zh", after[2], PROVINCE, live_arrivals=live)
    assert unchanged[0] is dash.no_update and unchanged[2] == after[2]
    moved = panel_view(proposed, REQUEST, "zh", after[2], PROVINCE,
                       live_arrivals=lambda rids: {REQUEST: [dict(ORDERS[0], eta="2025-09-15T01:45:00.000Z"), *ORDERS[1:]]})
    assert moved[2] != after[2]  # an estimate changed: the panel is sent again
    other = []
    panel_view(proposed, REQUEST, "zh", None, HANGZHOU, live_arrivals=other.append)
    assert other == []  # a city the request does not concern sees none of its units: logistics is not asked


# --- the situation board ----------------------------------------------------------------------------

def test_the_board_says_when_the_units_on_the_way_are_expected_once_they_are_dispatched(proposed):  # noqa: F811
    asked = []

    def live(orders):
        def read(request_ids):
            asked.append(list(request_ids))
            return {r: orders for r in request_ids}
        return read

    (row,) = board.queue(visibility.permitted(proposed.snapshot(), PROVINCE), live(ORDERS))
    assert asked == [] and row["live"] is None  # nothing dispatched: logistics is not asked
    replay.apply(proposed, copy.deepcopy(example_event("dispatch.ordered")))
    body, _count, _clock, _iso, key = board.board_view(proposed, PROVINCE, "zh", None, live(ORDERS[:2]))
    cell = str(body[0].children[5])
    assert asked == [[REQUEST]] and "预计 09:40 到齐" in cell and "后勤推算" in cell and "text-success" in cell
    # a unit expected after the deadline turns the estimate red and is counted; one not reporting is named
    late, _c, _cl, _i, late_key = board.board_view(proposed, PROVINCE, "zh", key, live(ORDERS))
    cell = str(late[0].children[5])
    assert "预计 09:58 到齐" in cell and "text-danger" in cell and "1 个预计迟到" in cell
    assert "1 个尚未报告位置" in cell and late_key != key
    same = board.board_view(proposed, PROVINCE, "zh", late_key, live(ORDERS))
    assert same[0] is dash.no_update  # nothing moved: the rows are not sent again
    en = str(board.board_view(proposed, PROVINCE, "en", None, live(ORDERS))[0][0].children[5])
    assert "all in by 09:58" in en and "logistics' estimate" in en and "1 expected late" in en
    # all of them in place, or logistics not answering: the plan's chance, as before dispatch
    in_place = [ORDERS[1]]
    for answer in (in_place, None):
        (row,) = board.queue(visibility.permitted(proposed.snapshot(), PROVINCE), live(answer))
        assert "到齐" not in str(board.chance_cell(row, "zh"))
    assert "倍速" not in str(late[0].children[5])
    sped_up, *_ = board.board_view(proposed, PROVINCE, "zh", None, live(ORDERS), speedup=10)
    assert "后勤推算；演示设备 10 倍速" in str(sped_up[0].children[5])
    assert board.live_late({"late": 0, "latest_eta": "2025-09-15T01:52:00Z", "deadline": DEADLINE})
    assert not board.live_late({"late": 0, "latest_eta": "2025-09-15T01:51:00Z", "deadline": DEADLINE})


def test_the_boards_refresh_reads_the_orders_with_the_signed_in_users_token(proposed):  # noqa: F811
    from services.common.auth import headers_for

    replay.apply(proposed, copy.deepcopy(example_event("dispatch.ordered")))
    session = Session()
    app = create_app(proposed, demo=False, secret="s" * 48,
                     client=ServicesClient({"logistics": "http://logistics"}, session=session))
    headers = headers_for(PROVINCE)
    with app.server.test_request_context("/_dash-update-component", method="POST", headers=headers):
        app.server.preprocess_request()
        body, *_ = app.twin_callbacks["on_board"](1, "zh", None)
    assert session.calls == [("http://logistics/orders", {"request_id": [REQUEST], "limit": 1000}, headers["Authorization"])]
    assert "预计 09:58 到齐" in str(body[0].children[5]) and "倍速" not in str(body[0].children[5])


def test_a_demo_twin_says_its_devices_speedup_beside_live_estimates(proposed, monkeypatch):  # noqa: F811
    from services.common.auth import headers_for

    monkeypatch.setenv("DEMO", "1")
    monkeypatch.setenv("TWIN_DEVICE_SPEEDUP", "12")
    replay.apply(proposed, copy.deepcopy(example_event("dispatch.ordered")))
    app = create_app(proposed, demo=False, secret="s" * 48,
                     client=ServicesClient({"logistics": "http://logistics"}, session=Session()))
    with app.server.test_request_context("/_dash-update-component", method="POST", headers=headers_for(PROVINCE)):
        app.server.preprocess_request()
        body, *_ = app.twin_callbacks["on_board"](1, "zh", None)
        triggered("refresh-interval.n_intervals", 1)
        panel, *_ = app.twin_callbacks["on_panel"](1, REQUEST, None, "zh", None)
    assert "演示设备 12 倍速" in str(body[0].children[5])
    assert "以方案行程的 12 倍速行驶" in str(panel)
