"""Each fault against the oracle: the end state of a run with the fault equals the end state of the
same stream without it (every incident handled, every officer in one place, duty minutes and points
identical, no doubled dispatch or award), and every producer's ledger verifies."""
from __future__ import annotations

import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from . import harness
from .delivery import POISON_KINDS, late_position_reports, poison_every_topic, redeliver_everything
from .driver import PHASES
from .harness import Outcome, kill_and_restart
from .oracle import consumed_topics
from .postgres import PrivatePostgres
from .postgres import available as postgres_unavailable

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(600)]
DOWN_S = 60.0  # "a service down for a minute"
# Where the kills and fault points fall; fixed by default so a failure can be replayed, any other
# value explores other points: FAULT_SEED=17 make test-faults.
SEED = int(os.environ.get("FAULT_SEED", "5"))


def check(outcome: Outcome, oracle: Outcome, fault: str, table: list, *, recovery: str | None = None) -> None:
    diff = outcome.against(oracle)
    print(f"\n{fault}: timings {outcome.timings}, recovery {outcome.recovery_s}, "
          f"differences {Counter((kind, key[0] if kind == 'changed' else key[:2]) for kind in ('lost', 'doubled', 'changed') for key in ([c[0] for c in diff[kind]] if kind == 'changed' else diff[kind]))}")
    table.append({"fault": fault, "runs": 1, "lost": len(diff["lost"]) + len(diff["changed"]),
                  "doubled": len(diff["doubled"]), "recovery": recovery or _seconds(outcome.recovery_s)})
    why = outcome.explain(oracle, diff) if diff["lost"] or diff["changed"] or diff["doubled"] else ""
    assert diff["lost"] == [], f"lost after {fault}: {diff['lost'][:10]}\n{why}"
    assert diff["changed"] == [], f"changed after {fault}: {diff['changed'][:10]}\n{why}"
    assert diff["doubled"] == [], f"doubled after {fault}: {diff['doubled'][:10]}\n{why}"
    assert diff["places"] == [], diff["places"]
    assert diff["ledgers"] == [], diff["ledgers"]


def _seconds(values: list[float]) -> str:
    return " / ".join(f"{v:.1f} s" for v in values) or "-"


def test_the_oracle_run_exercises_the_whole_stream(baseline):
    oracle, stream = baseline
    facts = oracle.snapshot["facts"]
    assert sum(k[0] == "incident" for k in facts) == len(stream.cases) + len(stream.minor)
    assert sum(k[0] == "commitment" for k in facts) >= len(stream.cases) // 2, "most plans commit"
    assert any(k[0] == "points" for k in facts), "released officers earn points"
    # each commitment's officers are kept beside it, as the region lists read them
    assert {k[1]: v[0] for k, v in facts.items() if k[0] == "commitment"} == {
        k[1]: v for k, v in facts.items() if k[0] == "commitment officers"}
    assert oracle.ledgers == {}
    # every input is taken: nothing dead-lettered, and each unit logistics sent reports its way in and arrives
    assert {name: dead for name, dead in oracle.notes["deadletters"].items() if dead} == {}
    events = oracle.snapshot["events"]
    sent = {k[-1] for k in events if k[:2] == ("logistics", "dispatch.ordered")}      # unit ids
    arrived = {k[-1] for k in events if k[:2] == ("logistics", "unit.arrived")}
    assert sent and arrived == sent, f"{len(arrived & sent)} of {len(sent)} units arrived"


def test_kill_9_of_each_service_mid_flow_loses_and_doubles_nothing(baseline, tmp_path, fault_table):
    """Each service killed once, at a point drawn from FAULT_SEED: a phase, how far into its inputs,
    how long it stays down."""
    oracle, stream = baseline
    rng = random.Random(SEED)
    hooks, where = {}, []
    for name in ("demand", "matching", "resources", "logistics"):
        phase, fraction = rng.choice(PHASES), round(rng.random(), 2)
        while f"{phase}@{fraction}" in hooks:
            fraction = round(rng.random(), 2)
        down_s = rng.uniform(0.2, 2.0)
        hooks[f"{phase}@{fraction}"] = kill_and_restart(name, down_s=down_s)
        where.append(f"{name} {phase}@{fraction:.2f} down {down_s:.1f} s")
    outcome, _ = harness.run(tmp_path, stream, hooks)
    check(outcome, oracle, f"kill -9 of each service at random points, restart (FAULT_SEED={SEED}: "
          + "; ".join(where) + ")", fault_table)
    assert len(outcome.recovery_s) == 4


def test_dying_between_commit_and_publish_and_between_handling_and_offset_commit(baseline, tmp_path, fault_table):
    """FAULT_POINT (services/common/faults.py) kills each process at the worst moments of the flow:
    the point and the pass drawn from FAULT_SEED (passes few enough that every process gets there)."""
    oracle, stream = baseline
    rng = random.Random(SEED + 1)
    # How many passes each process certainly makes in this stream: matching publishes only its plan
    # proposals, in one planning round or two; the others emit and publish throughout.
    busy = {"after_commit": 6, "after_handle": 3, "after_publish": 2}
    passes = {"demand": busy, "resources": busy, "logistics": busy,
              "matching": {"after_commit": 1, "after_handle": 3, "after_publish": 1}}
    armed = {}
    for name, most in passes.items():
        point = rng.choice(sorted(most))
        armed[name] = f"{point}:{rng.randint(1, most[point])}"
    outcome, _ = harness.run(tmp_path, stream, fault_points=armed)
    check(outcome, oracle, f"process exits at a fault point (FAULT_SEED={SEED}: "
          + ", ".join(f"{n} {p}" for n, p in armed.items()) + ")", fault_table)
    assert sorted(outcome.notes["revived"]) == sorted(armed), "each armed process died once and came back"


def test_a_wiped_broker_is_refilled_from_the_ledgers_and_nothing_is_doubled(baseline, tmp_path, fault_table):
    oracle, stream = baseline
    outcome, _ = harness.run(tmp_path, stream, {"track": harness.wipe_broker})
    # Consumers catch up by their offset reset or by a rewind, whichever comes first; what counts is
    # the end state against the oracle, checked here.
    check(outcome, oracle, "embedded broker killed and restarted empty mid-flow", fault_table)


def test_every_record_delivered_twice_changes_nothing(baseline, tmp_path, fault_table):
    oracle, stream = baseline
    outcome, _ = harness.run(tmp_path, stream, {"release:after": redeliver_everything})
    check(outcome, oracle, "every record of every ledger delivered a second time", fault_table)
    duplicates = sum(v for m in outcome.metrics.values() for k, v in m.items()
                     if k.startswith("mutual_deploy_events_duplicate_total"))
    assert duplicates >= len(stream.cases) * 4, "the inboxes dropped the second copies"


def test_a_position_report_older_than_the_one_applied_changes_nothing(baseline, tmp_path, fault_table):
    oracle, stream = baseline
    outcome, _ = harness.run(tmp_path, stream, {"track:after": late_position_reports})
    check(outcome, oracle, "position reports delivered late (older than the one applied)", fault_table)


def test_poison_on_every_topic_is_dead_lettered_counted_and_the_consumers_keep_going(baseline, tmp_path,
                                                                                      fault_table):
    """On a broker that does not validate (Apache Kafka as deployed), poison reaches the consumers."""
    oracle, stream = baseline
    outcome, _ = harness.run(tmp_path, stream, {"report": poison_every_topic}, validate=False)
    check(outcome, oracle, f"poison ({', '.join(POISON_KINDS)}) on every consumed topic", fault_table)
    for name, metrics in outcome.metrics.items():
        poison = [(t, why) for t, key, why in outcome.notes["deadletters"][name] if (key or "").startswith("poison-")]
        assert sorted(t for t, _ in poison) == sorted(list(consumed_topics(name)) * len(POISON_KINDS)), name
        for start in ("not JSON", "breaks the", "refused: source '/somewhere-else/unknown'"):
            assert sum(why.startswith(start) for _, why in poison) == len(consumed_topics(name)), (name, start)
        counted = metrics[f'mutual_deploy_events_deadlettered_total{{service="{name}"}}']
        assert counted == metrics[f'mutual_deploy_deadletters_stored{{service="{name}"}}'] == \
            len(outcome.notes["deadletters"][name]) >= len(poison), name


def test_postgres_restarted_mid_flow_services_reconnect_and_lose_nothing(baseline, tmp_path, fault_table):
    why_not = postgres_unavailable()
    if why_not:
        pytest.skip(why_not)
    oracle, stream = baseline
    pg = PrivatePostgres().init()
    try:
        outcome, _ = harness.run(tmp_path / "run", stream, {"report": harness.restart_database(pg),
                                                            "release": harness.restart_database(pg)}, postgres=pg)
    finally:
        pg.stop()
    check(outcome, oracle, "PostgreSQL restarted twice mid-flow (private cluster)", fault_table)
    assert len(outcome.recovery_s) == 2


def test_a_burst_of_ten_times_the_rate_while_resources_is_down_a_minute_is_absorbed(baseline, tmp_path, fault_table):
    oracle, stream = baseline
    burst = {}

    def hook(cluster, driver):
        t0 = time.monotonic()
        cluster.services["resources"].kill()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(driver.report, driver.stream.minor))
        burst["rate"] = len(driver.stream.minor) / (time.monotonic() - t0)
        time.sleep(max(0.0, DOWN_S - (time.monotonic() - t0)))
        cluster.restart("resources")
        burst["catch_up_s"] = driver.wait_caught_up(what="catch-up after the outage")
        driver.recovery.append(time.monotonic() - t0)

    outcome, _ = harness.run(tmp_path, stream, {"report": hook})
    check(outcome, oracle, f"burst of {len(stream.minor)} incidents at ≥10× the rate, resources down {DOWN_S:.0f} s",
          fault_table, recovery=f"{burst['catch_up_s']:.1f} s after restart")
    assert burst["rate"] >= 10 * harness.NORMAL_INCIDENTS_PER_S, f"the burst ran at {burst['rate']:.0f}/s"
