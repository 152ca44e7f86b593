"""The uncertainty a plan preview samples: mobilisation delay and travel time, configurable.

A distribution is written `kind:parameters` (seconds or factors), e.g. in the environment:

    TWIN_MOBILISATION=lognormal:600:0.5    median 600 s (10 min), log-space sigma 0.5
    TWIN_TRAVEL_FACTOR=lognormal:1.0:0.2   multiplies the nominal travel time (traffic, weather)
    TWIN_PREVIEW_RUNS=200                  Monte-Carlo runs per plan
    TWIN_PREVIEW_HORIZON_S=7200            the least simulated time a preview covers (2 hours); a plan's
                                           preview covers its deadline and its latest arrival (covering())

Kinds: `lognormal:median:sigma`, `triangular:low:mode:high`, `uniform:low:high`, `fixed:value`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

KINDS = {"lognormal": 2, "triangular": 3, "uniform": 2, "fixed": 1}


@dataclass(frozen=True)
class Distribution:
    kind: str
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown distribution {self.kind!r}: one of {', '.join(KINDS)}")
        if len(self.params) != KINDS[self.kind]:
            raise ValueError(f"{self.kind} takes {KINDS[self.kind]} parameters, got {len(self.params)}")
        if any(p < 0 for p in self.params):
            raise ValueError(f"{self.kind} parameters must not be negative")
        if self.kind == "triangular" and not self.params[0] <= self.params[1] <= self.params[2]:
            raise ValueError("triangular needs low <= mode <= high")

    @classmethod
    def parse(cls, text: str) -> "Distribution":
        kind, *raw = text.strip().split(":")
        try:
            params = tuple(float(p) for p in raw)
        except ValueError:
            raise ValueError(f"{text!r}: parameters must be numbers") from None
        return cls(kind, params)

    @property
    def median(self) -> float:
        p = self.params
        if self.kind in ("lognormal", "fixed"):
            return p[0]
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2
        low, mode, high = p
        if high == low:
            return low
        if (mode - low) / (high - low) >= 0.5:
            return low + ((high - low) * (mode - low) / 2) ** 0.5
        return high - ((high - low) * (high - mode) / 2) ** 0.5

    def high(self, z: float = 3.09) -> float:
        """An upper bound the samples pass about once in a thousand (the 99.9th percentile of a
        lognormal; the top of a bounded kind)."""
        p = self.params
        if self.kind == "lognormal":
            return p[0] * math.exp(z * p[1])
        if self.kind in ("triangular", "uniform"):
            return p[-1]
        return p[0]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = self.params
        if self.kind == "lognormal":
            return p[0] * np.exp(rng.normal(0.0, p[1], size)) if p[1] else np.full(size, p[0])
        if self.kind == "triangular":
            return rng.triangular(*p, size) if p[0] < p[2] else np.full(size, p[0])
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], size)
        return np.full(size, p[0])

    def __str__(self) -> str:
        return ":".join([self.kind, *(f"{v:g}" for v in self.params)])


@dataclass(frozen=True)
class PreviewConfig:
    runs: int = 200
    horizon_s: float = 7200.0
    step_s: float = 60.0
    mobilisation: Distribution = field(default_factory=lambda: Distribution("lognormal", (600.0, 0.5)))
    travel_factor: Distribution = field(default_factory=lambda: Distribution("lognormal", (1.0, 0.2)))
    seed: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "PreviewConfig":
        env = os.environ if env is None else env
        default = cls()
        return cls(
            runs=int(env.get("TWIN_PREVIEW_RUNS", default.runs)),
            horizon_s=float(env.get("TWIN_PREVIEW_HORIZON_S", default.horizon_s)),
            mobilisation=Distribution.parse(env.get("TWIN_MOBILISATION", str(default.mobilisation))),
            travel_factor=Distribution.parse(env.get("TWIN_TRAVEL_FACTOR", str(default.travel_factor))),
            seed=int(env.get("TWIN_PREVIEW_SEED", default.seed)),
        )

    def covering(self, latest_eta_s: float, deadline_s: float | None) -> "PreviewConfig":
        """This configuration with a horizon that covers the plan: at least the configured horizon, the
        deadline with a quarter to spare, and the latest unit's arrival at the 99.9th percentile of
        mobilisation and travel, so the whole requirement's p50 and p90 and the chance of meeting the
        deadline are numbers, never "beyond the horizon"."""
        travel = max(latest_eta_s - self.mobilisation.median, 0.0) * self.travel_factor.high()
        need = max(self.horizon_s, 1.25 * (deadline_s or 0.0), self.mobilisation.high() + travel)
        return replace(self, horizon_s=math.ceil(need / self.step_s) * self.step_s)

    def describe(self) -> dict:
        return {"runs": self.runs, "horizon_s": self.horizon_s, "mobilisation": str(self.mobilisation),
                "travel_factor": str(self.travel_factor), "seed": self.seed}
