"""The donor's reserve: a county keeps at least a share of its on-duty strength at home (default 70%)."""
from __future__ import annotations

import math

DEFAULT_SHARE = 0.70


def floor(strength: int, share: float = DEFAULT_SHARE) -> int:
    """Officers the county must keep at home out of `strength` (on duty, committed or not)."""
    return math.ceil(round(share * strength, 9))


def lendable(available: int, strength: int, share: float = DEFAULT_SHARE) -> int:
    """How many available officers may leave without the county falling below its floor."""
    return max(0, available - floor(strength, share))
