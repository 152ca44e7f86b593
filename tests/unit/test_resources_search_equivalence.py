"""The availability search answers exactly as timing every candidate did: the same officers, in the same
order, to the second, on a seeded pool with and without positions. The reference reads every candidate
the filters keep through SQLAlchemy (no box), builds the travel matrix's origins row by row and times
them all; the search reads only the box (two statements in one, on the driver), times only those
inside the straight-line circle, and builds its origins column-wise."""
from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pytest
from sqlalchemy import select, update

from services.resources import officers, reach, store
from services.resources.bootstrap import build_runtime, seed_demo_if_empty
from services.resources.store import officers as officers_table
from tests.helpers import offline_settings

NOW = datetime(2025, 9, 15, 2, 0, tzinfo=timezone.utc)


def holds_valid(certs: list[dict], names: list[str], on: date) -> bool:
    """Every certificate of `names` held with an expiry date on or after `on` (decided in Python)."""
    valid = {c["name"] for c in certs if date.fromisoformat(c["expires"]) >= on}
    return all(n in valid for n in names)


def reference_candidates(conn, filters, now) -> list:
    """Every officer the filters keep, by id, as SQLAlchemy rows (no travel box); certificates' names
    and dates decided here, in Python, from each officer's list."""
    cols = [officers_table.c.officer_id, officers_table.c.county, officers_table.c.lon, officers_table.c.lat,
            officers_table.c.certifications]
    rows = conn.execute(select(*cols).where(*store.search_filters({**filters, "certification": []}, now))
                        .order_by(officers_table.c.officer_id)).all()
    if filters.get("certification"):
        valid_on = filters.get("valid_on") or now.date()
        rows = [r for r in rows if holds_valid(r.certifications, filters["certification"], valid_on)]
    return rows


def reference_search(conn, filters, now, role, *, travel, seats) -> dict:
    """The search as it was: every candidate timed, origins built one row at a time."""
    rows = reference_candidates(conn, filters, now)
    ids, seconds = [r.officer_id for r in rows], None
    if filters.get("point") and rows:
        origins = np.array([(r.lon, r.lat) if r.lon is not None else seats[r.county] for r in rows], dtype=float)
        seconds = travel.matrix(origins, [filters["point"]])[:, 0]
        keep = np.flatnonzero(seconds <= filters.get("max_travel_s", np.inf))
        keep = keep[np.argsort(seconds[keep], kind="stable")]
        ids, seconds = [ids[i] for i in keep], seconds[keep]
    page = slice(filters["offset"], filters["offset"] + filters["limit"])
    chosen = ids[page]
    full = store.officers_by_id(conn, chosen)
    times = seconds[page] if seconds is not None else [None] * len(chosen)
    items = [officers.view(full[i], now, role, travel_s=t) for i, t in zip(chosen, times)]
    return {"total": len(ids), "offset": filters["offset"], "limit": filters["limit"], "items": items}


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("search")))
    seed_demo_if_empty(runtime, officers_n=3000, seed=13)
    with runtime.engine.begin() as conn:  # every seventh officer has no known position: the seat stands in
        ids = [r.officer_id for r in conn.execute(officers_table.select().order_by(officers_table.c.officer_id))]
        conn.execute(update(officers_table).where(officers_table.c.officer_id.in_(ids[::7])).values(lon=None, lat=None))
        # every fifth holder's firearms certificate expired before NOW (so holding the name is not enough)
        held = conn.execute(select(officers_table.c.officer_id, officers_table.c.certifications)
                            .where(officers_table.c.cert_text.contains(";firearms;"))
                            .order_by(officers_table.c.officer_id)).all()
        store.update_each(conn, [{"officer_id": officer_id, "certifications": [
            dict(c, expires="2025-03-31") if c["name"] == "firearms" else c for c in certs]}
            for officer_id, certs in held[::5]])
    yield runtime
    runtime.engine.dispose()


QUERIES = [
    {"status": ["on_duty"], "module": ["patrol"], "max_travel_s": 3600},
    {"status": ["on_duty"], "max_travel_s": 1800, "offset": 20},
    {"module": ["traffic", "riot_control"], "max_travel_s": 7200, "limit": 200},
    {"certification": ["firearms"], "status": ["on_duty", "resting"], "max_travel_s": 2700},
    {"tag": ["first_aid"], "max_travel_s": 600},    # mobilisation alone: nobody can make it
    {"max_travel_s": 3600, "limit": 5000},         # every officer within the hour, whole
    {},  # no bound: every candidate, nearest first
    {"status": ["on_duty"], "offset": 700},                  # no bound, deep: the reach widens
    {"module": ["traffic"], "status": ["on_duty"], "limit": 20},   # no bound, few candidates
    {"certification": ["firearms"], "limit": 10},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("seat", [0, 5, 40])
@pytest.mark.parametrize("few", [0, officers.FEW])   # unbounded: the widening boxes, or every candidate
def test_the_search_answers_exactly_as_the_row_by_row_path(pool, query, seat, few, monkeypatch):
    monkeypatch.setattr(officers, "FEW", few)
    places = pool.deps.places
    point = list(places.seats.values())[seat]
    filters = _filters(**query, point=point)
    with pool.engine.connect() as conn:
        fast = officers.search(conn, filters, NOW, "province_commander", travel=places.travel, seats=places.seats)
        slow = reference_search(conn, filters, NOW, "province_commander", travel=places.travel, seats=places.seats)
    assert _without_next(fast) == slow
    assert fast["total"] > 0 or query.get("max_travel_s") == 600  # the comparison is not of two empty answers
    assert ("next" in fast) == (filters["offset"] + filters["limit"] < fast["total"])


def _without_next(page: dict) -> dict:
    return {k: v for k, v in page.items() if k != "next"}


def _filters(**query) -> dict:
    return {"county": [], "city": [], "module": [], "unit_id": [], "tag": [], "certification": [], "status": [],
            "offset": 0, "limit": 50, **query}


UNTIMED = [
    {"status": ["on_duty"], "module": ["patrol"]},
    {"status": ["on_duty"], "offset": 120, "limit": 40},     # cut by the database: the count and the page
    {"county": ["330783", "330106"], "status": ["resting"]},
    {"certification": ["firearms"], "status": ["on_duty", "resting"], "offset": 10},   # dates read in SQL
    {"certification": ["firearms"], "valid_on": date(2025, 3, 31)},    # the expired ones' last day
    {"certification": ["first_aid"], "valid_on": date(2026, 9, 1)},    # a later day: fewer still valid
    {"certification": ["firearms", "first_aid"], "limit": 20},
    {"tag": ["no_such_tag"]},
    {"limit": 1000, "offset": 2500},
]


@pytest.mark.parametrize("query", UNTIMED)
def test_a_search_without_a_point_answers_as_the_reference_in_id_order(pool, query):
    filters = _filters(**query)
    with pool.engine.connect() as conn:
        fast = officers.search(conn, filters, NOW, "province_commander")
        slow = reference_search(conn, filters, NOW, "province_commander", travel=None, seats=None)
    assert _without_next(fast) == slow
    assert fast["total"] > 0 or query.get("tag") == ["no_such_tag"]
    assert ("next" in fast) == (filters["offset"] + filters["limit"] < fast["total"])


def test_a_certification_counts_only_on_the_days_it_is_valid(pool):
    """The database reads each holder's expiry date: a certificate that expired before the day asked is
    not held, one that expires on that day still is."""
    def total(**query):
        with pool.engine.connect() as conn:
            return officers.search(conn, _filters(**query), NOW, "province_commander")["total"]
    holders = total(tag=[], certification=["firearms"], valid_on=date(2025, 1, 1))
    expired_on_the_31st = holders - total(certification=["firearms"], valid_on=date(2025, 4, 1))
    assert holders > 1000 and expired_on_the_31st == len(range(0, holders, 5))
    assert total(certification=["firearms"], valid_on=date(2025, 3, 31)) == holders
    assert total(certification=["firearms"]) == holders - expired_on_the_31st


@pytest.mark.parametrize("query", [{"status": ["on_duty"]}, {"certification": ["firearms"]},
                                   {"module": ["patrol"], "max_travel_s": 5400, "point": 5},
                                   {"status": ["on_duty"], "point": 40}])
@pytest.mark.parametrize("few", [0, officers.FEW])
def test_following_next_gives_every_officer_once_in_the_order_of_the_whole_list(pool, query, few, monkeypatch):
    """Page after page by `next` (by id, or by travel time with a point) gives the reference's whole list."""
    monkeypatch.setattr(officers, "FEW", few)
    places = pool.deps.places
    query = dict(query)
    if "point" in query:
        query["point"] = list(places.seats.values())[query["point"]]
    timing = {"travel": places.travel, "seats": places.seats}
    with pool.engine.connect() as conn:
        whole = reference_search(conn, _filters(**query, limit=10 ** 6), NOW, "province_commander", **timing)
        pages, after = [], None
        while True:
            page = officers.search(conn, _filters(**query, limit=97, after=after), NOW, "province_commander", **timing)
            assert page["total"] == whole["total"] and "offset" not in (page if after else {})
            pages += page["items"]
            if "next" not in page:
                break
            position = (officers.BY_TRAVEL if "point" in query else officers.BY_ID).position(page["next"])
            assert position[-1] == page["items"][-1]["officer_id"]
            after = position
    assert len(whole["items"]) > 2 * 97 and pages == whole["items"]


def test_the_box_and_the_driver_read_the_candidates_the_reference_reads_inside_the_box(pool):
    places = pool.deps.places
    point = list(places.seats.values())[5]
    box = reach.box(places.travel, point, 3600)
    for filters in ({"status": ["on_duty"], "module": ["patrol"]}, {"certification": ["firearms"]}):
        with pool.engine.connect() as conn:
            fast = store.candidate_positions(conn, filters, NOW, box)
            every = reference_candidates(conn, filters, NOW)
        inside = [tuple(r[:4])
                  for r in every if r.lon is None or (box[0] <= r.lon <= box[1] and box[2] <= r.lat <= box[3])]
        assert fast == inside and 0 < len(fast) < len(every)


def test_an_officer_without_a_position_is_timed_from_the_seat_of_their_county(pool):
    places = pool.deps.places
    with pool.engine.connect() as conn:
        rows = store.candidate_positions(conn, {}, NOW)
    origins = officers._origins(rows, places.seats)
    unplaced = [i for i, (_, _, lon, _) in enumerate(rows) if lon is None]
    assert unplaced and all(tuple(origins[i]) == tuple(places.seats[rows[i][1]]) for i in unplaced)
    placed = [i for i, (_, _, lon, _) in enumerate(rows) if lon is not None]
    assert all(tuple(origins[i]) == rows[i][2:4] for i in placed[:200])


@pytest.mark.parametrize("seat", [0, 5, 40])
def test_only_origins_beyond_the_reach_go_untimed_and_every_one_of_them_is_too_far(pool, seat):
    places = pool.deps.places
    point = list(places.seats.values())[seat]
    with pool.engine.connect() as conn:
        rows = store.candidate_positions(conn, {}, NOW)
    origins = officers._origins(rows, places.seats)
    every = places.travel.matrix(origins, [point])[:, 0]
    for bound in (600, 1800, 3600, 7200):
        near = reach.within(places.travel, point, bound, origins)
        far = np.setdiff1d(np.arange(len(origins)), near)
        assert len(far) and (every[far] > bound).all()
        seconds, kept = officers._timed(places.travel, origins, point, bound)
        assert (kept == np.flatnonzero(every <= bound)).all() and (seconds[kept] == every[kept]).all()


def test_a_driver_error_in_the_search_is_raised_as_sqlalchemy_raises_it(tmp_path):
    """The search runs on the driver's cursor; its errors still come as SQLAlchemy's, so the service's
    handlers (and a lost connection's invalidation) treat them as they treat every other statement's."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    runtime = build_runtime(offline_settings("resources", tmp_path))
    try:
        with runtime.engine.begin() as conn:
            conn.execute(text("DROP TABLE officers"))
            with pytest.raises(OperationalError, match="officers"):
                store.candidate_positions(conn, {}, NOW)
    finally:
        runtime.engine.dispose()


@pytest.mark.parametrize("seat", [0, 5])
def test_an_unbounded_search_reads_the_nearest_in_widening_boxes_and_answers_as_timing_them_all(pool, seat,
                                                                                                monkeypatch):
    """Without a bound the page is found in boxes of widening reach, not by reading every candidate: the
    first page of 20 reads one box, holding a fraction of the candidates; a deep page widens it; and both
    answer as the reference that times every candidate. A search of few candidates, one whose boxes read
    half the candidates, and one on a provider with no box read every candidate, once."""
    places = pool.deps.places
    point = list(places.seats.values())[seat]
    reads: list[tuple] = []
    real = store.candidate_positions

    def counted(conn, f, now, box=None):
        rows = real(conn, f, now, box)
        reads.append((box, len(rows)))
        return rows
    monkeypatch.setattr(store, "candidate_positions", counted)
    monkeypatch.setattr(officers, "FEW", 100)     # this pool's 831 on duty count as many
    timing = {"travel": places.travel, "seats": places.seats}

    def search(**query):
        reads.clear()
        filters = _filters(status=["on_duty"], point=point, limit=20, **query)
        fast = officers.search(conn, filters, NOW, "province_commander", **timing)
        assert _without_next(fast) == reference_search(conn, filters, NOW, "province_commander", **timing)
        return fast

    with pool.engine.connect() as conn:
        for offset, boxes in ((0, 1), (60, 2)):
            fast = search(offset=offset)
            assert len(reads) >= boxes and all(box is not None for box, _ in reads)
            assert reads[-1][1] < fast["total"]    # the last box still held fewer than every candidate
        fast = search(offset=800)                  # the boxes read half of them: every candidate
        assert len(reads) >= 2 and reads[-1] == (None, fast["total"])
        assert sum(n for _, n in reads[:-1]) >= fast["total"] / 2 > sum(n for _, n in reads[:-2])
        monkeypatch.setattr(officers, "FEW", 1000)
        fast = search()
        assert reads == [(None, fast["total"])]
        monkeypatch.setattr(officers, "FEW", 100)
        monkeypatch.setattr(reach, "box", lambda *a: None)     # a routing server
        fast = search()
        assert reads == [(None, fast["total"])]
