"""A county's settings: the use case behind PATCH /counties/{county}."""
from __future__ import annotations

from datetime import datetime

from ..common.http import Problem
from . import store
from .domain.policy import Policy
from .events import report_loads


def set_reserve_share(outbox, county: str, share: float | None, policy: Policy, now: datetime) -> dict:
    """Set the county's reserve share (None: the default) and publish its load under it; 404 when
    there is no such county."""
    with outbox.transaction() as tx:
        if not store.set_reserve_share(tx.conn, county, share):
            raise Problem(404, "Not Found", detail=f"no county {county}")
        return report_loads(tx, [county], now, policy.reserve_share)[0]
