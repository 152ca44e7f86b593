"""The labelled needs (data/train.jsonl, data/test.jsonl, data/holdout-v2.jsonl, data/holdout-v3.jsonl) and how a
matcher is scored.

train.jsonl trains the model. test.jsonl, the first held-out split, was read while the matcher was
being fixed, so its figure is not a clean measure any more; holdout-v2.jsonl (HOLDOUT) was written and
labelled afterwards and measured once untouched (needs-model-v1), then read as a development set while
needs-lexicon-v2 and needs-model-v2 were built (DEV): its figure since is not a clean measure either.
holdout-v3.jsonl (HOLDOUT, 265 descriptions) was written and labelled by hand without reading the lexicon,
the model or the other sets, committed before any matcher was run on it, and measured once with
needs-model-v2 in force; nothing is tuned on it and its errors are not read.

A description's gold lines each carry the words they come from (``span``). A proposed line is paired
with the gold line whose words it overlaps most (each used once). Figures:

- ``tag_accuracy``: gold lines whose paired line has exactly the gold tag set (a missed line counts wrong);
- ``line_f1``: a proposed line is right when module, tags, certifications and equipment all equal its
  gold line's; F1 of precision (over proposed lines) and recall (over gold lines);
- ``headcount_accuracy``: gold lines whose paired line has the gold headcount (None when the text gives none);
- ``p95_ms``: time to parse one description, 95th percentile.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
TRAIN, TEST = DATA / "train.jsonl", DATA / "test.jsonl"
DEV, HOLDOUT = DATA / "holdout-v2.jsonl", DATA / "holdout-v3.jsonl"


def load(path: Path | str) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_spans(item: dict) -> list[tuple[int, int]]:
    """Where each gold line's words sit in the text (searched left to right)."""
    out, at = [], 0
    for line in item["lines"]:
        start = item["text"].find(line["span"], at)
        if start < 0:
            start = item["text"].find(line["span"])
        out.append((start, start + len(line["span"])))
        at = max(at, start + 1)
    return out


def pair(item: dict, proposed: list[dict]) -> list[tuple[dict, dict | None]]:
    """(gold line, its proposed line or None), pairing by the largest overlap of their words."""
    spans = gold_spans(item)
    options = []
    for g, (a, b) in enumerate(spans):
        for p, line in enumerate(proposed):
            overlap = min(b, line["span"]["end"]) - max(a, line["span"]["start"])
            if overlap > 0:
                options.append((overlap, g, p))
    taken_g, taken_p, out = set(), set(), {}
    for _, g, p in sorted(options, reverse=True):
        if g not in taken_g and p not in taken_p:
            taken_g.add(g)
            taken_p.add(p)
            out[g] = proposed[p]
    return [(line, out.get(g)) for g, line in enumerate(item["lines"])]


def same_line(gold: dict, line: dict | None) -> bool:
    return line is not None and all(sorted(gold[k]) == sorted(line[k]) if k != "module" else gold[k] == line[k]
                                    for k in ("module", "tags", "certifications", "equipment"))


def score(items: list[dict], parse) -> dict:
    """The figures of `parse(text) -> [line dicts]` over `items`."""
    gold_n = tags_ok = heads_ok = right = proposed_n = 0
    times = []
    for item in items:
        started = time.perf_counter()
        proposed = parse(item["text"])
        times.append((time.perf_counter() - started) * 1000)
        proposed_n += len(proposed)
        for gold, line in pair(item, proposed):
            gold_n += 1
            tags_ok += line is not None and sorted(gold["tags"]) == sorted(line["tags"])
            heads_ok += line is not None and gold["headcount"] == line["headcount"]
            right += same_line(gold, line)
    precision = right / proposed_n if proposed_n else 0.0
    recall = right / gold_n if gold_n else 0.0
    return {"descriptions": len(items), "gold_lines": gold_n, "proposed_lines": proposed_n,
            "tag_accuracy": tags_ok / gold_n if gold_n else 0.0,
            "line_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "headcount_accuracy": heads_ok / gold_n if gold_n else 0.0,
            "p95_ms": float(np.percentile(times, 95)) if times else 0.0}


def training_pairs(items: list[dict], parser) -> list[tuple[str, list[str], set[str]]]:
    """(clause, lexicon codes, gold labels) for every clause of every item: the model's training rows.

    A clause takes the labels of the gold line whose words it overlaps most; a clause no gold line
    overlaps is a negative example (it asks for no one).
    """
    from .parser import lexicon_labels
    out = []
    for item in items:
        spans = gold_spans(item)
        for c in parser.clauses(item["text"]):
            best, best_overlap = None, 0
            for g, (a, b) in enumerate(spans):
                overlap = min(b, c.end) - max(a, c.start)
                if overlap > best_overlap:
                    best, best_overlap = g, overlap
            labels = set() if best is None else labels_of(item["lines"][best])
            out.append((c.text, list(lexicon_labels(c, parser.lexicon)), labels))
    return out


def labels_of(line: dict) -> set[str]:
    return ({"line", f"module:{line['module']}"} | {f"tag:{t}" for t in line["tags"]}
            | {f"cert:{c}" for c in line["certifications"]} | {f"equip:{e}" for e in line["equipment"]})
