"""Fixtures of the unit tier (the shared tools themselves are in tests/helpers.py)."""
from __future__ import annotations

import importlib

import pytest

from services.common import keys
from tests.helpers import offline_settings


@pytest.fixture
def offline_runtime(tmp_path):
    """`offline_runtime(service, **fields)`: `service`'s runtime (its own `build_runtime`, from
    services/<service>/bootstrap.py, or `build=`) on a SQLite file in the test's folder, with no
    broker and never started; `fields` go to Settings (file=, extra=, auth_keys= ...) and
    `build_options` to the build (matching's resources_url=None). Engines are disposed when the test ends."""
    built = []

    def make(service: str, *, build=None, build_options: dict | None = None, **fields):
        build = build or importlib.import_module(f"services.{service}.bootstrap").build_runtime
        runtime = build(offline_settings(service, tmp_path, **fields), **(build_options or {}))
        built.append(runtime)
        return runtime
    yield make
    for runtime in built:
        runtime.engine.dispose()


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """The key registry in the test's own folder (KEYS_DIR), read afresh before and after."""
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))
    keys.reset()
    yield keys.registry()
    keys.reset()
