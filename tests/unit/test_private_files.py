"""Private files: what a process writes under var/ is readable by its own account only."""
from __future__ import annotations

import os
import stat

import pytest

from services.common import access_log, private
from services.common.auth import Identity
from services.common.config import Settings
from services.common.runtime import Runtime
from twin.mirror.recording import Recorder


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_restored():
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def test_a_runtime_writes_its_database_wal_and_shm_files_0600_in_a_0700_var(tmp_path, umask_restored):
    os.umask(0o022)  # what a shell usually gives
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "log").mkdir(mode=0o755)
    old_log = var / "log" / "demand.log"
    old_log.write_text("written before var/ was private\n")
    os.chmod(old_log, 0o644)
    env = {"VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'demand.db'}",
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    runtime = Runtime.build(Settings.from_env("demand", env))
    try:
        access_log.metadata.create_all(runtime.engine)
        access_log.record(runtime.engine, identity=Identity("zj-commander", "province_commander"), method="GET",
                          path="/officers", query="", status=200)
        files = [var / "demand.db", var / "demand.db-wal", var / "demand.db-shm"]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        runtime.stop()
    assert mode(var) == 0o700 and mode(var / "log") == 0o700
    assert mode(old_log) == 0o600  # a checkout written before is tightened on the next start
    fresh = var / "anything-else.json"
    fresh.write_text("{}")  # the process umask: whatever else it writes is private too
    assert mode(fresh) == 0o600


def test_an_exercise_database_folder_is_0700(tmp_path, umask_restored, monkeypatch):
    from services.common import config
    var = tmp_path / "var"
    monkeypatch.setattr(config, "VAR", var)
    env = {"VAR_DIR": str(var), "MODE": "exercise", "EXERCISE_ID": "ex1", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    settings = Settings.from_env("demand", env)
    folder = var / "exercises" / "ex1"
    assert settings.database_url.endswith(str(folder / "demand.db"))
    assert mode(folder) == 0o700


def test_a_recording_of_the_stream_is_0600(tmp_path, umask_restored):
    os.umask(0o022)
    path = tmp_path / "rec" / "stream.jsonl"
    Recorder(path)({"type": "officer.status-changed", "time": "2026-01-01T00:00:00Z"})
    assert mode(path) == 0o600


def test_write_atomic_is_never_seen_half_written_and_is_0600(tmp_path, umask_restored, monkeypatch):
    """A file another process polls for (var/urls.json) exists only once it is complete."""
    os.umask(0o022)
    target = tmp_path / "urls.json"
    seen_while_writing = []
    real_fdopen = os.fdopen

    class Watched:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

        def write(self, data):
            seen_while_writing.append(target.exists())
            return self.f.write(data)

    monkeypatch.setattr(private.os, "fdopen", lambda fd, *a, **k: Watched(real_fdopen(fd, *a, **k)))
    assert private.write_atomic(target, '{"matching": "http://127.0.0.1:8103"}\n')
    assert seen_while_writing == [False]
    assert target.read_text() == '{"matching": "http://127.0.0.1:8103"}\n'
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["urls.json"]  # no temporary file left


def test_write_atomic_replaces_whole_or_with_exclusive_keeps_the_first(tmp_path, umask_restored):
    os.umask(0o022)
    target = tmp_path / "key.pem"
    assert private.write_atomic(target, b"first", exclusive=True)
    assert not private.write_atomic(target, b"second", exclusive=True)
    assert target.read_bytes() == b"first"
    assert private.write_atomic(target, b"third")
    assert target.read_bytes() == b"third"
    assert private.write_atomic(tmp_path / "entry.json", b"{}", 0o644)
    assert mode(tmp_path / "entry.json") == 0o644  # a public key's entry: the mode asked for
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.json", "key.pem"]
