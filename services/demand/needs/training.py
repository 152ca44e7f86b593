"""Training the matcher's model: from the labelled corpus's train split, plus what reporters confirmed.

``fit(parser, items, feedback)`` trains a new model version on the train descriptions and the
confirmed lines of recorded confirmations (each confirmed line with the clause it came from, see
feedback.py). The held-out sets (test.jsonl, holdout-v2.jsonl, holdout-v3.jsonl) are only ever scored, never trained on.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from . import corpus
from .lexicon import Lexicon
from .model import Model, features, train
from .parser import Parser


def fit(lexicon: Lexicon, items: list[dict], feedback_rows: list[tuple[str, list[str], set[str]]] = (), *,
        version: str, parent: str | None = None) -> Model:
    plain = Parser(lexicon)
    rows = corpus.training_pairs(items, plain) + list(feedback_rows)
    digest = hashlib.sha256(json.dumps([[r[0], sorted(r[2])] for r in rows], ensure_ascii=False).encode()).hexdigest()
    card = {"parent": parent, "lexicon": lexicon.version,
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "trained_on": {"train_descriptions": len(items), "clauses": len(rows) - len(feedback_rows),
                           "confirmed_clauses": len(feedback_rows), "sha256": digest}}
    return train([features(text, codes) for text, codes, _ in rows], [labels for _, _, labels in rows],
                 version=version, card=card)


def held_out(parser: Parser, path=None) -> dict:
    """The parser's figures on a held-out set: the untouched holdout-v3 unless `path` names another."""
    return corpus.score(corpus.load(path or corpus.HOLDOUT), lambda text: [line.as_dict() for line in parser.parse(text)])
