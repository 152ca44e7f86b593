"""The fault suite's shared run without faults (the oracle) and its results table."""
from __future__ import annotations

import json
import os

import pytest

from . import harness


@pytest.fixture(scope="session")
def baseline(tmp_path_factory):
    """(oracle outcome, stream): the stream driven once through a healthy cluster."""
    return harness.run(tmp_path_factory.mktemp("baseline"), None)


@pytest.fixture(scope="session")
def fault_table():
    """Rows for the fault table in docs/reliability.md; printed at the end, written to $FAULT_TABLE if set."""
    rows: list[dict] = []
    yield rows
    if rows:
        print("\n| fault | runs | lost | doubled | recovery time |\n| --- | --- | --- | --- | --- |")
        for r in rows:
            print(f"| {r['fault']} | {r['runs']} | {r['lost']} | {r['doubled']} | {r['recovery']} |")
        if os.environ.get("FAULT_TABLE"):
            with open(os.environ["FAULT_TABLE"], "a") as out:
                out.writelines(json.dumps(r) + "\n" for r in rows)
