"""County-to-county travel seconds, from whichever travel provider services.geo is configured with."""
from __future__ import annotations

import numpy as np


def county_matrix(geography, provider) -> tuple[tuple[str, ...], np.ndarray]:
    """(county codes, int64 seconds seat -> seat incl. mobilisation); unreachable pairs get a year."""
    codes = tuple(c.code for c in geography.counties)
    seconds = np.asarray(provider.matrix(geography.seats, geography.seats), dtype=float)
    seconds = np.where(np.isfinite(seconds), seconds, 365 * 86400)
    return codes, np.rint(seconds).astype(np.int64)
