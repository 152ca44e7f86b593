"""The resource pool holds the 12-hour limit to the second: from the order, travel included, to the task's end."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.resources.domain import duty
from services.resources.domain.commit_rules import Candidate, Task, check_officer

ORDER = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def task(travel_s: int, scene_min: int) -> Task:
    start = ORDER + timedelta(seconds=travel_s)
    return Task(start, start + timedelta(minutes=scene_min), ORDER)


def test_the_commit_counts_the_travel_from_the_order_to_the_second():
    officer = Candidate("P-1", "330102", "on_duty", 323)
    # 323 min + 2,273 s travel + 360 min on scene = 12 h 53 s: refused (the old check ignored the travel)
    reasons = check_officer(officer, task(2273, 360))
    assert [r.reason for r in reasons] == ["duty_limit_exceeded"]
    assert "43253" not in reasons[0].detail and "21600" not in reasons[0].detail and "23873 s" in reasons[0].detail
    # 2,220 s is exactly 12 hours: allowed
    assert check_officer(officer, task(2220, 360)) == []


def test_a_task_without_an_order_time_counts_from_its_start():
    start = ORDER
    assert Task(start, start + timedelta(minutes=397, seconds=1)).duty_seconds == 397 * 60 + 1
    assert check_officer(Candidate("P-1", "330102", "on_duty", 323), Task(start, start + timedelta(minutes=397, seconds=1)))


def test_worked_time_is_never_rounded_down():
    until = ORDER + timedelta(minutes=90, seconds=20)
    assert duty.worked_minutes(90, ORDER, until) == 91          # logistics reported 90 (rounded): 91 counts
    assert duty.worked_minutes(95, ORDER, until) == 95          # a longer report stands
    assert duty.worked_minutes(90, None, until) == 90
    assert duty.would_exceed_s(719 * 60, 61, 720 * 60) and not duty.would_exceed_s(719 * 60, 60, 720 * 60)


def test_the_policy_file_gives_the_defaults_and_names_every_source(tmp_path):
    from services.resources.domain.policy import DEFAULT_FILE, Policy, load_file
    policy = Policy.from_env({})
    assert (policy.duty_limit_min, policy.rest_min, policy.reserve_share) == (720, 480, 0.70)
    assert Policy.from_env({"RESERVE_SHARE": "0.8"}).reserve_share == 0.8
    broken = tmp_path / "r.yaml"
    broken.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace("  source: assumed (the seed asks donors", "  note: (x"),
                      encoding="utf-8")
    import pytest
    with pytest.raises(ValueError, match="reserve needs a source"):
        load_file(broken)
