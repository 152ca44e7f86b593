"""The pages benchmark compares like with like: on its own random orders and commitments, each figure's
page through the route is the page the old way answered (the benchmark asserts it before timing), for
every caller it times."""
from __future__ import annotations

import random

from bench import pages_bench
from services.common.auth import region_covers


def test_the_commitments_it_times_concern_the_callers_as_described():
    rows, kept = pages_bench._commitments(600, random.Random(3))
    assert len(kept) == 12 * len(rows)
    homes: dict[str, set] = {}
    for k in kept:
        homes.setdefault(k["commit_id"], set()).add(k["county"])
    assert all(len(c) == 3 for c in homes.values())
    share = {region: sum(region_covers(region, r["county"]) or any(region_covers(region, c) for c in homes[r["commit_id"]])
                         for r in rows) / len(rows) for region in ("330700", "330783")}
    assert 0.4 < share["330700"] < 0.65 and 0.12 < share["330783"] < 0.3   # about 5 and 2 in 10


def test_each_figure_is_timed_on_the_page_the_old_way_gave(tmp_path, monkeypatch):
    monkeypatch.setattr(pages_bench, "ROUNDS", 2)
    figures = {**pages_bench.bench_size(str(tmp_path), 400), **pages_bench.bench_commitments(str(tmp_path), 400)}
    assert set(figures) == {"logistics.orders_page.0k.province.p95_ms", "logistics.orders_page.0k.city.p95_ms",
                            "logistics.orders_page.0k.province_by_link.p95_ms",
                            "logistics.deployments_page.0k.city.p95_ms",
                            "resources.commitments_page.0k.city.p95_ms", "resources.commitments_page.0k.county.p95_ms"}
    assert all(f["value"] > 0 and f["baseline"] > 0 for f in figures.values())


def test_the_officer_pages_it_times_are_the_old_ways_and_the_snapshot_reads_every_officer(tmp_path, monkeypatch):
    """bench_officers asserts its pages by position (the whole force's, and the certification search's) are
    the old way's pages at that offset and that the snapshot read every officer once, in id order; at
    2,500 officers the middle page is the third."""
    monkeypatch.setattr(pages_bench, "ROUNDS", 2)
    figures = pages_bench.bench_officers(str(tmp_path), 2500)
    assert set(figures) == {"resources.officers_page.2k.province_by_link.p95_ms", "matching.snapshot_officers.2k.s",
                            "resources.officers_page.2k.certified_by_link.p95_ms"}
    assert all(f["value"] > 0 and f["baseline"] > 0 for f in figures.values())
    assert figures["matching.snapshot_officers.2k.s"]["unit"] == "s"


def test_the_walk_or_sort_table_times_one_page_three_ways(tmp_path):
    """walk_or_sort asserts the page as chosen, walked and sorted is one page; a row per caller and
    offset, with its count of orders: the rare senders at the rates the table's note gives."""
    rows = pages_bench.walk_or_sort(str(tmp_path), 4000, rounds=1)
    assert len(rows) == sum(len(offsets) for _, offsets in pages_bench.WALK_CALLERS)
    counts = {r.split(" | ")[0].strip("| "): int(r.split(" | ")[1].replace(",", "")) for r in rows}
    assert counts["330281"] == 4 and counts["330282"] == 40   # one in a thousand, one in a hundred
    assert all(float(x) > 0 for r in rows for x in r.strip("| ").split(" | ")[3:])
