"""python -m infra.exercise run SCENARIO [--speed N] [--twin] [--auto-trainee] [--lang en]   play a scenario
python -m infra.exercise validate SCENARIO                         check a scenario file
python -m infra.exercise list                                      built-in scenarios and past exercises
python -m infra.exercise control EXERCISE_ID pause|resume|speed N  steer a running exercise's clock
python -m infra.exercise report EXERCISE_ID SCENARIO [--lang en]   rebuild a finished exercise's report

The after-action report is in Chinese unless --lang en (or EXERCISE_REPORT_LANG=en); every instant in
Beijing time (EXERCISE_REPORT_TZ to change it).
"""
from __future__ import annotations

import argparse
import signal
import sys

from services.common.private import private_process
from services.exercise.scenario import ScenarioError, builtin_names, load
from services.exercise.texts import LANGUAGES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.exercise", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("scenario")
    run.add_argument("--speed", type=float, help="clock speed ×1..×600 (default: the scenario's)")
    run.add_argument("--twin", action="store_true", help="also start the twin's map on the exercise")
    run.add_argument("--auto-trainee", action="store_true",
                     help="approve the optimiser's best plan of each request (unattended runs, benchmarks)")
    run.add_argument("--hold-clock", action="store_true",
                     help="stop simulated time while each inject is applied (exact inject times at high speed)")
    run.add_argument("--free-clock", action="store_true",
                     help="let simulated time run on while plans, approvals, commits and dispatches are in hand "
                          "(by default it stands still for them: at ×600 a wall second is ten simulated minutes)")
    run.add_argument("--lang", choices=LANGUAGES, help="the report's language (default: Chinese)")
    sub.add_parser("validate").add_argument("scenario")
    sub.add_parser("list")
    ctl = sub.add_parser("control")
    ctl.add_argument("exercise_id")
    ctl.add_argument("action", choices=["pause", "resume", "speed"])
    ctl.add_argument("value", nargs="?", type=float)
    rep = sub.add_parser("report")
    rep.add_argument("exercise_id")
    rep.add_argument("scenario")
    rep.add_argument("--lang", choices=LANGUAGES, help="the report's language (default: Chinese)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    private_process()  # the exercise's databases, logs, reports and exports under var/ are 0600
    try:
        if args.command == "validate":
            s = load(args.scenario)
            print(f"{s.name}: valid ({len(s.injects)} injects over {s.duration_s / 3600:g} h)")
        elif args.command == "list":
            from services.exercise.store import exercises
            print("built-in scenarios: " + ", ".join(builtin_names()))
            for x in exercises():
                print(f"  {x['exercise_id']}  running={x['running']} report={x['report']}")
        elif args.command == "control":
            from services.exercise.store import control
            state = control(args.exercise_id, args.action, args.value)
            print(f"{args.exercise_id}: ×{state.speed:g}{' paused' if state.paused else ''}")
        elif args.command == "report":
            from services.exercise.lifecycle import rescore
            print("report: %s, %s" % rescore(args.exercise_id, args.scenario, lang=args.lang))
        else:
            from .stack import run_exercise
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds, so the stack stops its processes
            run_exercise(load(args.scenario), speed=args.speed, with_twin=args.twin, auto_trainee=args.auto_trainee,
                         hold_clock=args.hold_clock, hold_work=not args.free_clock, lang=args.lang,
                         out=lambda line: print(line, flush=True))
    except ScenarioError as exc:
        print("error: " + "\n  ".join([f"scenario {exc.source}:"] + [f"{w}: {r}" for w, r in exc.problems]),
              file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
