"""The on-scene deadlines logistics holds units to: demand's support policy, the same file read by
demand's own parser (DEMAND_SUPPORT_POLICY names another version, for both services), so the two
services never count different minutes for one grade.

An order normally carries its support request's deadline; these minutes apply only when no request
was seen, counted from the approval.
"""
from __future__ import annotations

import os
from functools import cache


@cache
def support_policy():
    from ..demand import policies
    return policies.load_support(os.environ.get("DEMAND_SUPPORT_POLICY") or policies.SUPPORT_FILE)


def arrive_minutes(grade: str, line: str = "emergency") -> int:
    """Minutes to on scene for the grade (an emergency's) or for investigation support."""
    return support_policy().deadline_of(grade, line).arrive_minutes
