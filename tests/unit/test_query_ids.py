"""Ids in a query string go in batches a web server's request line holds (services.common.query)."""
from __future__ import annotations

from urllib.parse import quote

from services.common.query import MAX_QUERY_CHARS, id_batches


def encoded(batch: list[str]) -> int:
    return len(quote(",".join(batch), safe=""))


def test_batches_keep_the_order_and_hold_at_most_so_many_ids_and_characters():
    ids = [f"ZJ330782-{i:05d}" for i in range(1000)]
    batches = list(id_batches(ids, 500))
    assert [i for b in batches for i in b] == ids
    assert all(encoded(b) <= MAX_QUERY_CHARS for b in batches)
    assert len(batches) == 6 and encoded(batches[0]) > MAX_QUERY_CHARS - 20   # full, not half full
    assert [len(b) for b in id_batches(ids[:12], 5)] == [5, 5, 2]            # the count bounds too


def test_an_id_encoded_longer_than_the_limit_goes_alone_and_a_non_ascii_id_counts_as_sent():
    assert list(id_batches(["a" * 40, "b", "c"], 10, max_chars=30)) == [["a" * 40], ["b", "c"]]
    assert list(id_batches(["单位一", "单位二"], 10, max_chars=30)) == [["单位一"], ["单位二"]]   # 27 encoded each
    assert list(id_batches([], 10)) == []
