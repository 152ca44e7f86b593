"""A service's start-up heap is frozen out of the collector's full passes once, when its first
runtime starts: those passes walked every module, contract and table object with the service's
threads held."""
from __future__ import annotations

import gc

from services.common import runtime as runtime_module
from services.common.runtime import Runtime
from tests.helpers import offline_settings


def test_the_first_start_freezes_the_start_up_heap_and_later_starts_do_not_collect_again(tmp_path, monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(runtime_module, "_settled", False)
    collected = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(a) or real_collect(*a))
    assert gc.get_freeze_count() == 0
    first = Runtime.build(offline_settings("first", tmp_path)).start(relay=False, worker=False)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000, "modules, contracts and the runtime are frozen"
    assert len(collected) == 1
    second = Runtime.build(offline_settings("second", tmp_path)).start(relay=False, worker=False)
    # Not frozen again: a second freeze would add the second runtime's objects (thousands). The count may
    # fall meanwhile: frozen objects that die leave the permanent generation, and other threads of this
    # test process (clients of earlier tests closing) free some (608 of them, once, in a full run).
    assert len(collected) == 1 and gc.get_freeze_count() <= frozen, "once per process"
    first.stop()
    second.stop()
