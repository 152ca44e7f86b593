"""A support request's lifecycle, aligned with EDXL-RM 2.0, as one transition table.

requested → planning → awaiting_approval → approved → committed → dispatched → on_scene → released
→ closed, with partially_filled (the committed plan fills less than the need) and cancelled.

Commands (close, cancel) must be one legal step. Facts from other services (a plan approved, units
arrived) may arrive out of order across topics, so ``path`` finds the chain of legal steps that
leads forward to the status a fact implies: every step becomes its own status-changed event, and a
fact that points backwards (a late plan.proposed after the commit) changes nothing.
"""
from __future__ import annotations

from collections import deque

STATUSES = ("requested", "planning", "awaiting_approval", "approved", "partially_filled", "committed",
            "dispatched", "on_scene", "released", "closed", "cancelled")

TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"planning", "awaiting_approval", "cancelled"}),
    "planning": frozenset({"awaiting_approval", "cancelled"}),
    "awaiting_approval": frozenset({"approved", "planning", "cancelled"}),
    "approved": frozenset({"committed", "partially_filled", "planning", "cancelled"}),
    "partially_filled": frozenset({"committed", "dispatched", "planning", "cancelled"}),
    "committed": frozenset({"dispatched", "cancelled"}),
    "dispatched": frozenset({"on_scene", "released", "cancelled"}),
    "on_scene": frozenset({"released", "cancelled"}),
    "released": frozenset({"closed"}),
    "cancelled": frozenset({"closed"}),
    "closed": frozenset(),
}

# Where a status lies on the main line; a fact never moves a request back along it.
ORDER = {s: i for i, s in enumerate(("requested", "planning", "awaiting_approval", "approved", "partially_filled",
                                     "committed", "dispatched", "on_scene", "released", "closed"))}
OPEN = frozenset(STATUSES) - {"released", "closed", "cancelled"}
DETOURS = frozenset({"planning", "partially_filled"})  # entered only when a fact names them
NOT_YET_APPROVED = frozenset({"requested", "planning", "awaiting_approval"})
NOT_YET_LAUNCHED = NOT_YET_APPROVED | {"approved", "partially_filled", "committed"}
NOT_YET_ON_SCENE = OPEN - {"on_scene"}


class IllegalTransition(ValueError):
    def __init__(self, current: str, target: str):
        allowed = sorted(TRANSITIONS[current]) or ["none: the request is closed"]
        super().__init__(f"a {current} request cannot become {target} (allowed: {', '.join(allowed)})")
        self.current, self.target = current, target


def check(current: str, target: str) -> None:
    """Raise IllegalTransition unless `target` is one legal step from `current`."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)


def route(current: str, target: str) -> list[str]:
    """The steps a fact implying `target` takes: one legal step when there is one (a rejected commit
    sends an approved request back to planning), else the forward `path`."""
    if target in TRANSITIONS[current]:
        return [target]
    return path(current, target)


def path(current: str, target: str) -> list[str]:
    """The shortest chain of legal steps forward from `current` to `target` (excluding `current`).

    [] when the request is already there, or when `target` lies behind it or cannot be reached
    (a stale fact); the detours (planning, partially_filled) are never taken on the way forward.
    """
    if current == target or target not in ORDER or current not in ORDER or ORDER[target] < ORDER[current]:
        return []
    seen, queue = {current: None}, deque([current])
    while queue:
        status = queue.popleft()
        if status == target:
            steps = []
            while status != current:
                steps.append(status)
                status = seen[status]
            return steps[::-1]
        for nxt in sorted(TRANSITIONS[status] & ORDER.keys(), key=ORDER.get):
            if nxt not in seen and ORDER[nxt] > ORDER[status] and nxt not in DETOURS:
                seen[nxt] = status
                queue.append(nxt)
    return []
