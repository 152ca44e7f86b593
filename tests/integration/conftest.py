"""Fixtures of the integration tier (the shared tools themselves are in tests/helpers.py)."""
from __future__ import annotations

import pytest

from services.common.runtime import Runtime


@pytest.fixture
def stand_ins(make_settings):
    """`stand_ins(*services)`: started runtimes (relay and all, on the session's broker) that publish as
    those services, by name: their events carry the services' sources, so consumers accept the topics
    those services own. Stopped when the test ends, after the fixtures that use them."""
    started: list[Runtime] = []

    def start(*services: str) -> dict[str, Runtime]:
        runtimes = {name: Runtime.build(make_settings(acts_as=name)).start() for name in services}
        started.extend(runtimes.values())
        return runtimes
    yield start
    for runtime in started:
        runtime.stop()
