"""Work in hand: the loop's steps under way, during which an exercise at high speed holds its clock.

At ×600 one wall second is ten simulated minutes. A plan takes a wall second or two to compute, an
approval, a commit and a dispatch each a fraction of a second on the stream: played on a running
clock, those wall seconds would become simulated half-hours that no commander would ever lose, and
every request would miss its deadline for the machine's sake. So while a step of the loop is in
hand, simulated time stands still, exactly as `--hold-clock` holds it while an inject is applied:

    reported   an incident inject was sent     -> until incident.reported comes back
    plan       support.requested, commit.rejected -> until plan.proposed (or support.cancelled)
    decide     plan.proposed, unattended trainee only -> until plan.approved / plan.rejected
    commit     plan.approved                   -> until officers.committed / commit.rejected
    dispatch   officers.committed              -> until dispatch.ordered

A human trainee's decision is never held: deciding in time is what the exercise trains. Matching
proposes nothing when nobody qualifies: `planned` closes the planning step of requests matching
reports as planned (GET /requests). Any step still open after `max_wall_s` stops holding, so an
exercise never hangs. Pure bookkeeping over the recorded stream; the runner pauses and resumes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class WorkInHand:
    auto_decisions: bool = False
    max_wall_s: float = 60.0
    opened: dict[str, float] = field(default_factory=dict)  # step -> wall instant it opened
    seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def expect(self, step: str, wall: float) -> None:
        with self._lock:
            self.opened.setdefault(step, wall)

    def _close(self, *steps: str) -> None:
        with self._lock:
            for step in steps:
                self.opened.pop(step, None)

    def planning(self) -> set[str]:
        """Requests whose planning step is open."""
        with self._lock:
            return {s.split(":", 1)[1] for s in self.opened if s.startswith("plan:")}

    def planned(self, request_ids) -> None:
        """Matching has planned these requests (with or without candidates)."""
        self._close(*(f"plan:{r}" for r in request_ids))

    def update(self, events: list[dict], wall: float) -> list[str]:
        """Take the events not seen yet; return the steps holding the clock now (oldest first)."""
        for event in events[self.seen:]:
            self._apply(event["type"], event.get("data") or {}, wall)
        self.seen = len(events)
        return self.holding(wall)

    def holding(self, wall: float) -> list[str]:
        """The steps holding the clock at `wall` (oldest first)."""
        with self._lock:
            opened = sorted(self.opened.items(), key=lambda kv: kv[1])
        return [s for s, at in opened if wall - at < self.max_wall_s]

    def _apply(self, kind: str, d: dict, wall: float) -> None:
        request, plan = d.get("request_id"), d.get("plan_id")
        if kind == "incident.reported":
            self._close(f"reported:{d.get('incident_id')}")
        elif kind in ("support.requested", "commit.rejected"):
            self.expect(f"plan:{request}", wall)
            self._close(f"commit:{plan}")
        elif kind == "support.cancelled":
            self._close(f"plan:{request}", f"decide:{request}")
        elif kind == "plan.proposed":
            self._close(f"plan:{request}")
            if self.auto_decisions:
                self.expect(f"decide:{request}", wall)
        elif kind in ("plan.approved", "plan.rejected"):
            self._close(f"decide:{request}")
            if kind == "plan.approved":
                self.expect(f"commit:{plan}", wall)
        elif kind == "officers.committed":
            self._close(f"commit:{plan}")
            self.expect(f"dispatch:{plan}", wall)
        elif kind == "dispatch.ordered":
            self._close(f"dispatch:{plan}")
