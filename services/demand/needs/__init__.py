"""Needs written in plain Chinese → proposed requirement lines (intake NLP for demand).

A county duty officer writes "需要懂越南语的反诈民警5名、无人机操作员2名，今晚到东阳"; demand proposes
lines (module, specialty tags, certifications, equipment, headcount), each with a confidence and the
words it came from, and counts them only once the reporter confirms or edits them.

The choice: a curated lexicon (data/lexicon.yaml: about 620 words with synonyms, dialect words and
abbreviations for the pool's modules, tags, certificates and equipment, each with its source), a
Chinese-numeral reader (numerals.py), a clause splitter (clauses.py) and a small model trained here
from the labelled corpus (model.py: per-label logistic regression over character n-grams and lexicon
hits, about 1 MB in float16, trained in seconds with numpy). Nothing is fetched at run time and
nothing large is downloaded: the corpus and the model ship in this package, and every decision can be
traced to a word (the lines' evidence). A pretrained sentence-embedding model would need a download of
hundreds of MB and would not explain itself; the corpus's measured figures (bench/intake_bench.py)
are what the choice is judged on. About 1-2 ms per description on one core.

Learning from use: every confirmation or edit is recorded (needs_feedback table: who, the proposal, the
confirmed lines and what changed); ``python -m services.demand.needs retrain`` trains a new model
version from the corpus plus those corrections and prints held-out figures before and after.
The model in force is the highest ``models/needs-model-v<N>`` unless DEMAND_NEEDS_MODEL names another; a
running demand picks up a newer version within DEMAND_NEEDS_RELOAD_S seconds (GET /needs/model says which).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from . import lexicon as lexicon_mod
from . import model as model_mod
from .parser import Line, Parser

__all__ = ["Line", "Parser", "current", "in_force", "model_path"]

log = logging.getLogger(__name__)
# How often a running demand looks for a newer model version (seconds); 0 looks at every parse.
RELOAD_S = float(os.environ.get("DEMAND_NEEDS_RELOAD_S", "5"))


def model_path():
    """The card (.json) of the model in force: DEMAND_NEEDS_MODEL, else the newest stored version."""
    named = os.environ.get("DEMAND_NEEDS_MODEL")
    if named:
        return named
    found = model_mod.versions()
    return found[-1][1] if found else None


class _InForce:
    """The parser in force in this process, loaded again when the model in force changes.

    At most every RELOAD_S seconds it looks which card is in force (a newer version written by
    ``retrain``, or the file DEMAND_NEEDS_MODEL names rewritten) and loads it, so learning from
    corrections needs no restart. A version that fails to load is logged and the one loaded stays.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.parser: Parser | None = None
        self.key = None
        self.checked = float("-inf")
        self.loaded_at: str | None = None
        self.card: dict | None = None
        self.failed: str | None = None

    def get(self, *, check: bool = False) -> Parser:
        if self.parser is not None and not check and time.monotonic() - self.checked < RELOAD_S:
            return self.parser
        with self._lock:
            if self.parser is not None and not check and time.monotonic() - self.checked < RELOAD_S:
                return self.parser
            path = model_path()
            key = _file_key(path)
            self.checked = time.monotonic()
            if self.parser is None or key != self.key:
                try:
                    loaded = model_mod.load(path) if path else None
                except Exception as exc:  # a half-copied or broken file: keep what is loaded
                    if self.parser is None:
                        raise
                    self.failed = f"{Path(path).name}: {type(exc).__name__}"
                    log.error("needs model %s not loaded, %s stays in force: %s", path, self.parser.version, exc)
                    return self.parser
                previous = self.parser.version if self.parser else None
                self.parser = Parser(lexicon_mod.default(), loaded)
                self.key, self.card, self.failed = key, (loaded.card if loaded else None), None
                self.loaded_at = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
                if previous and previous != self.parser.version:
                    log.info("needs model in force: %s (was %s)", self.parser.version, previous)
            return self.parser


def _file_key(path):
    if not path:
        return None
    try:
        return str(path), Path(path).stat().st_mtime_ns
    except OSError:
        return str(path), None


_in_force = _InForce()


def current() -> Parser:
    """The parser in force in this process (lexicon and the model in force, reloaded when it changes)."""
    return _in_force.get()


current.cache_clear = _in_force.clear  # tests and tools start from nothing


def in_force(*, check: bool = True) -> dict:
    """What GET /needs/model reports: the version in force, its card, when it was loaded."""
    parser = _in_force.get(check=check)
    card = _in_force.card or {}
    return {"version": parser.version, "lexicon": parser.lexicon.version,
            "model": parser.model.version if parser.model else None, "loaded_at": _in_force.loaded_at,
            "reload_s": RELOAD_S, "parent": card.get("parent"), "trained_at": card.get("trained_at"),
            "trained_on": card.get("trained_on"), "held_out": card.get("held_out"),
            **({"not_loaded": _in_force.failed} if _in_force.failed else {})}
