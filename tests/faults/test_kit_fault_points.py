"""The kit's test-only fault points, and how the worker tells a database that is away from a statement
the database refuses (found by the fault suite: the latter stalled a consumer for ever)."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from services.common import faults
from services.common.config import ROOT
from services.common.worker import is_transient


def test_fault_points_are_read_from_the_environment():
    assert faults.armed({"FAULT_POINT": "after_commit:3, after_handle:1"}) == {"after_commit": 3, "after_handle": 1}
    assert faults.armed({}) == {}


@pytest.mark.parametrize("bad", ["after_commit", "after_lunch:2", "after_commit:0", "after_commit:x"])
def test_a_malformed_fault_point_stops_the_process_naming_it(bad):
    with pytest.raises(SystemExit, match="FAULT_POINT"):
        faults.armed({"FAULT_POINT": bad})


def test_a_process_exits_abruptly_on_the_armed_pass_and_not_before():
    code = "from services.common import faults\nfor i in range(5):\n    print(i, flush=True)\n    faults.hit('after_commit')\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env={"FAULT_POINT": "after_commit:3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 137
    assert done.stdout.split() == ["0", "1", "2"]
    assert "after_commit:3" in done.stderr


def _sqlite_error(sql: str) -> OperationalError:
    engine = create_engine("sqlite://")
    with engine.connect() as conn, pytest.raises(OperationalError) as err:
        conn.execute(text(sql))
    return err.value


def test_a_statement_sqlite_refuses_is_the_handlers_failure_not_an_outage():
    assert not is_transient(_sqlite_error("UPDATE counties SET  WHERE county = 1"))
    assert not is_transient(_sqlite_error("SELECT * FROM no_such_table"))


def test_a_locked_or_unreachable_database_is_waited_for(tmp_path):
    locked = OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
    assert is_transient(locked)
    gone = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    assert is_transient(gone)
