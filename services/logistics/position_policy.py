"""The province's switch over live positions (DOMAIN.md, data protection): real-time positions are core
data for the province command centre; whether a receiving command also sees the units sent to it is a
province decision. Off unless the policy file or the province command turns it on. Every change is a
row with who, when and why (GET /policy/positions shows them); every read of a position is on the
access log like every request."""
from __future__ import annotations

from datetime import datetime

from ..common.clock import stamp
from . import store
from .policy import Policy

HISTORY = 50


def _row(r) -> dict:
    return {"receiving_command_sees_own_units": r["receiving_command_sees_own_units"], "reason": r["reason"],
            "changed_by": r["changed_by"], "role": r["role"], "at": stamp(r["at"])}


def receiving_command_sees_own_units(conn, policy: Policy) -> bool:
    latest = store.position_switch(conn)
    return policy.receiving_command_sees_own_units if latest is None else bool(latest)


def view(conn, policy: Policy) -> dict:
    rows = store.position_switch_history(conn, HISTORY)
    return {"receiving_command_sees_own_units": receiving_command_sees_own_units(conn, policy),
            "decided_by": "province command" if rows else "policy file",
            "province_command_sees_all": True, "history": [_row(r) for r in rows]}


def change(conn, value: bool, reason: str, identity, now: datetime) -> None:
    store.add_position_switch(conn, receiving_command_sees_own_units=value, reason=reason[:400],
                              changed_by=identity.subject[:128], role=identity.role, at=now)


def change_as(outbox, value: bool, reason: str, who, policy: Policy, now: datetime) -> dict:
    """The province command turns the switch (the permission table lets only it here); the view after."""
    with outbox.transaction() as tx:
        change(tx.conn, value, reason, who, now)
        return view(tx.conn, policy)
