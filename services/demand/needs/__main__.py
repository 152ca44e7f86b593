"""`python -m services.demand.needs <command>`: the intake matcher's model, trained and measured.

  evaluate                 the model in force on the untouched held-out set (holdout-v3), on the development
                           set (holdout-v2, read while needs-model-v2 was built) and on the first
                           held-out split (test, read while the matcher was built), beside the keyword baseline
  train                    a new model version from the corpus's train split alone (after a change to the
                           lexicon, the clause splitter or the features); its card names the version it
                           replaces and holds both held-out sets' figures before and after
  retrain [--database URL] a new model version from the train split plus every recorded correction;
                           prints held-out figures before and after, and writes models/needs-model-v<N+1>
                           (a running demand takes it up within DEMAND_NEEDS_RELOAD_S seconds)
  parse TEXT               the lines proposed for TEXT (JSON)
"""
from __future__ import annotations

import argparse
import json
import sys

from . import baseline, corpus, current, model, training
from .lexicon import default as lexicon
from .parser import Parser


def _figures(name: str, figures: dict) -> str:
    return (f"{name:28s} tag_accuracy {figures['tag_accuracy']:.3f}  line_f1 {figures['line_f1']:.3f}  "
            f"headcount_accuracy {figures['headcount_accuracy']:.3f}  p95 {figures['p95_ms']:.1f} ms  "
            f"({figures['gold_lines']} gold lines in {figures['descriptions']} descriptions)")


def feedback_rows(database_url: str, parser: Parser) -> tuple[list, int, int]:
    """Training rows from every recorded confirmation; (rows, confirmations, corrections)."""
    from sqlalchemy import create_engine

    from ..store import all_feedback, metadata, needs_feedback
    from .feedback import is_correction, training_rows
    engine = create_engine(database_url)
    metadata.create_all(engine, tables=[needs_feedback])
    rows, total, corrected = [], 0, 0
    with engine.connect() as conn:
        for r in all_feedback(conn):
            total += 1
            corrected += is_correction(r.changes)
            rows += training_rows(parser, r.text, r.proposed, r.confirmed)
    engine.dispose()
    return rows, total, corrected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m services.demand.needs", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("evaluate")
    sub.add_parser("train")
    re_ = sub.add_parser("retrain")
    re_.add_argument("--database", help="demand's database (default: DEMAND_DATABASE_URL / DATABASE_URL / var/)")
    p = sub.add_parser("parse")
    p.add_argument("text")
    args = ap.parse_args(argv)

    if args.command == "parse":
        print(json.dumps([line.as_dict() for line in current().parse(args.text)], ensure_ascii=False, indent=2))
        return 0
    if args.command == "evaluate":
        for name, path in (("holdout-v3 (untouched)", corpus.HOLDOUT),
                           ("holdout-v2 (development set since needs-model-v2)", corpus.DEV),
                           ("test (first split)", corpus.TEST)):
            print(name)
            print(_figures(current().version, training.held_out(current(), path)))
            print(_figures("keyword baseline", corpus.score(corpus.load(path), baseline.parse)))
        return 0
    lex = lexicon()
    items = corpus.load(corpus.TRAIN)
    version = model.next_version()
    if args.command == "train":
        before = current() if model.versions() else None
        trained = training.fit(lex, items, version=version,
                               parent=before.model.version if before and before.model else None)
        after = Parser(lex, trained)
        new = training.held_out(after)
        if before is not None:
            trained.card["held_out"] = {"set": corpus.HOLDOUT.name, "before": training.held_out(before), "after": new}
            trained.card["first_split"] = {"set": corpus.TEST.name, "before": training.held_out(before, corpus.TEST),
                                           "after": training.held_out(after, corpus.TEST)}
        path = model.save(trained)
        print(_figures(version, new))
        print(f"written {path.name}")
        return 0
    from ...common.config import database_url
    url = args.database or database_url("demand")
    before = current()
    rows, total, corrected = feedback_rows(url, Parser(lex))
    print(f"{total} recorded confirmations, {corrected} with corrections, {len(rows)} training clauses")
    trained = training.fit(lex, items, rows, version=version, parent=before.model.version if before.model else None)
    after = Parser(lex, trained)
    old, new = training.held_out(before), training.held_out(after)
    trained.card["held_out"] = {"set": corpus.HOLDOUT.name, "before": old, "after": new}
    trained.card["first_split"] = {"set": corpus.TEST.name, "before": training.held_out(before, corpus.TEST),
                                   "after": training.held_out(after, corpus.TEST)}
    path = model.save(trained)
    print(f"on {corpus.HOLDOUT.name}:")
    print(_figures(f"before ({before.version})", old))
    print(_figures(f"after  ({after.version})", new))
    print(f"written {path.name}; a running demand takes it up within its DEMAND_NEEDS_RELOAD_S "
          f"(GET /needs/model; DEMAND_NEEDS_MODEL names another)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
