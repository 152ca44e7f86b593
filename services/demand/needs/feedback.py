"""What a reporter changed in proposed lines, and the training rows a confirmation gives.

Confirmed lines name the proposed line they keep or edit by its ``line_id`` (text-1, text-2...); a
proposed line not named was removed; a confirmed line with another id was added. Pure: no I/O.
"""
from __future__ import annotations

from .corpus import labels_of
from .parser import Parser, lexicon_labels

FIELDS = ("module", "tags", "certifications", "equipment", "headcount")


def changes(proposed: list[dict], confirmed: list[dict]) -> dict:
    """{"kept": [...], "edited": [{line_id, field: {from, to}}], "removed": [...], "added": [...]}."""
    by_id = {line["line_id"]: line for line in proposed}
    out = {"kept": [], "edited": [], "removed": [], "added": []}
    named = set()
    for line in confirmed:
        before = by_id.get(line["line_id"])
        if before is None:
            out["added"].append(line["line_id"])
            continue
        named.add(line["line_id"])
        diff = {f: {"from": before.get(f), "to": line.get(f)} for f in FIELDS
                if _norm(before.get(f)) != _norm(line.get(f))}
        if diff:
            out["edited"].append({"line_id": line["line_id"], **diff})
        else:
            out["kept"].append(line["line_id"])
    out["removed"] = [lid for lid in by_id if lid not in named]
    return out


def _norm(value):
    return sorted(value) if isinstance(value, list) else value


def is_correction(change: dict) -> bool:
    return bool(change["edited"] or change["removed"] or change["added"])


def training_rows(parser: Parser, text: str, proposed: list[dict], confirmed: list[dict]):
    """(clause, lexicon codes, labels) rows from one confirmation.

    A kept or edited line teaches its confirmed labels on the words it came from; a removed line
    teaches that those words ask for no one; an added line is placed on the one clause of the text no
    proposed line came from, when there is exactly one (else it is kept in the record but not learnt).
    """
    by_id = {line["line_id"]: line for line in proposed}
    rows = []
    for line in confirmed:
        before = by_id.get(line["line_id"])
        if before is not None:
            rows.append(_row(parser, before["span"]["text"], labels_of(line)))
    for lid, before in by_id.items():
        if lid not in {line["line_id"] for line in confirmed}:
            rows.append(_row(parser, before["span"]["text"], set()))
    added = [line for line in confirmed if line["line_id"] not in by_id]
    if added:
        covered = [(p["span"]["start"], p["span"]["end"]) for p in proposed]
        free = [c for c in parser.clauses(text)
                if not any(a < c.end and c.start < b for a, b in covered) and len(c.text.strip()) > 1]
        if len(free) == 1 and len(added) == 1:
            rows.append(_row(parser, free[0].text, labels_of(added[0])))
    return rows


def _row(parser: Parser, words: str, labels: set[str]):
    codes = []
    for c in parser.clauses(words):
        codes += [k for k in lexicon_labels(c, parser.lexicon) if k not in codes]
    return words, codes, labels
