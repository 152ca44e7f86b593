"""python -m services.demo --province 330000 --officers 20000 --seed 7 --out force.json [--csv officers.csv]"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime

from services.common.private import UMASK
from services.demo.force import STRUCTURE_TARGETS
from services.demo.generate import CST, DEFAULT_AS_OF, generate
from services.demo.roster import write_officers_csv, write_roster


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.demo", description=__doc__)
    parser.add_argument("--province", default="330000", help="GB area code of the province")
    parser.add_argument("--officers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF.isoformat(),
                        help="scenario start, ISO date or date-time (China time if no offset)")
    parser.add_argument("--out", help="write the roster as JSON here")
    parser.add_argument("--csv", help="also write one row per officer here")
    return parser.parse_args(argv)


def as_of(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CST)


def summary_lines(summary: dict, seconds: float) -> list[str]:
    lines = [f"province {summary['province']}  seed {summary['seed']}  as of {summary['as_of']}",
             f"{summary['officers']} officers, {summary['units']} units, {summary['equipment']} items of "
             f"equipment, {len(summary['by_county'])} counties  ({seconds:.2f} s)"]
    for role, share in summary["shares"].items():
        low, high = STRUCTURE_TARGETS.get(role, (None, None))
        target = f"  (target {low:.0%}-{high:.0%})" if low is not None else ""
        lines.append(f"  {role:<11} {share:6.1%}{target}")
    for key in ("by_level", "by_module", "by_status", "by_city"):
        lines.append(f"{key[3:]}: " + ", ".join(f"{k} {v}" for k, v in summary[key].items()))
    lines.append(f"county-level specialists {summary['county_level_specialist_share']:.1%}, "
                 f"volunteers {summary['volunteer_share']:.1%}, "
                 f"equipment ready {summary['equipment_ready_share']:.1%}")
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    os.umask(UMASK)  # the roster files carry (fake) ID numbers and addresses: 0600
    started = time.perf_counter()
    force = generate(args.province, officers=args.officers, seed=args.seed, as_of=as_of(args.as_of))
    print("\n".join(summary_lines(force.summary(), time.perf_counter() - started)))
    if args.out:
        print(f"roster: {write_roster(force, args.out)}")
    if args.csv:
        print(f"officers: {write_officers_csv(force, args.csv)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
