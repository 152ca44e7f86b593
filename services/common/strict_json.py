"""JSON as RFC 8259 has it, for what crosses a boundary (HTTP bodies, broker records).

Python's reader takes NaN, Infinity and -Infinity, and reads a number too large for a float (1e999)
as infinity; JSON has no such numbers, and a contract's range check lets NaN through (it is neither
below a minimum nor above a maximum). `loads` refuses them with NotJson, saying which.
"""
from __future__ import annotations

import json
import math


class NotJson(ValueError):
    """A number JSON does not have."""


def _constant(name: str):
    raise NotJson(f"{name} is not a JSON number (RFC 8259)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):   # 1e999: infinity by another spelling
        raise NotJson(f"{text[:40]} is beyond the numbers a float holds")
    return value


# One decoder, built once: json.loads given an option builds a decoder on every call.
loads = json.JSONDecoder(parse_constant=_constant, parse_float=_finite).decode
