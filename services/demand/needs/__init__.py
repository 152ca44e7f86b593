"""Needs written in plain Chinese → proposed requirement lines (intake NLP for demand).

A county duty officer writes "需要懂越南语的反诈民警5名、无人机操作员2名，今晚到东阳"; demand proposes
lines (module, specialty tags, certifications, equipment, headcount), each with a confidence and the
words it came from, and counts them only once the reporter confirms or edits them.

The choice: a curated lexicon (data/lexicon.yaml: about 480 words with synonyms, dialect words and
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
The model in force is the highest ``models/needs-model-v<N>`` unless DEMAND_NEEDS_MODEL names another.
"""
from __future__ import annotations

import os
from functools import cache

from . import lexicon as lexicon_mod
from . import model as model_mod
from .parser import Line, Parser

__all__ = ["Line", "Parser", "current", "model_path"]


def model_path():
    """The card (.json) of the model in force: DEMAND_NEEDS_MODEL, else the newest stored version."""
    named = os.environ.get("DEMAND_NEEDS_MODEL")
    if named:
        return named
    found = model_mod.versions()
    return found[-1][1] if found else None


@cache
def current() -> Parser:
    """The parser in force in this process (lexicon and model loaded once)."""
    path = model_path()
    return Parser(lexicon_mod.default(), model_mod.load(path) if path else None)
