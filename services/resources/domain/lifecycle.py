"""An officer's status lifecycle: which moves are legal, and which a person may make by hand.

    off_duty ⇄ on_duty → reserved → deployed → on_duty | resting → on_duty
    (any state but reserved/deployed) ⇄ unavailable

reserved and deployed are entered only by a commit and a dispatch order, and left only by a
release (or a cancelled commitment): a hand edit could otherwise free an officer mid-task.
"""
from __future__ import annotations

STATUSES = ("on_duty", "off_duty", "reserved", "deployed", "resting", "unavailable")
COMMITTED = ("reserved", "deployed")

TRANSITIONS: dict[str, frozenset[str]] = {
    "on_duty": frozenset({"off_duty", "reserved", "resting", "unavailable"}),
    "off_duty": frozenset({"on_duty", "unavailable"}),
    "reserved": frozenset({"deployed", "on_duty", "resting"}),
    "deployed": frozenset({"on_duty", "resting"}),
    "resting": frozenset({"on_duty", "off_duty", "unavailable"}),
    "unavailable": frozenset({"on_duty", "off_duty"}),
}
MANUAL_TARGETS = frozenset({"on_duty", "off_duty", "unavailable"})


class IllegalTransition(ValueError):
    def __init__(self, current: str, target: str, reason: str):
        super().__init__(f"{current} → {target}: {reason}")
        self.current, self.target, self.reason = current, target, reason


def check(current: str, target: str) -> None:
    """Refuse a move the lifecycle does not allow."""
    if target not in STATUSES:
        raise IllegalTransition(current, target, f"unknown status; one of {', '.join(STATUSES)}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise IllegalTransition(current, target, f"not allowed from {current} (allowed: {allowed})")


def check_manual(current: str, target: str, *, rested: bool) -> None:
    """A hand edit: only on_duty, off_duty and unavailable, never out of a task, never before rest ends."""
    if target not in MANUAL_TARGETS:
        raise IllegalTransition(current, target, f"{target} is set only by a commit or a dispatch order")
    if current in COMMITTED:
        raise IllegalTransition(current, target, f"the officer is {current}; only a release ends a task")
    if current == "resting" and target == "on_duty" and not rested:
        raise IllegalTransition(current, target, "the mandatory rest has not ended")
    check(current, target)
