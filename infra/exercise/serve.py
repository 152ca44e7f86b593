"""`python -m infra.exercise.serve <service>`: run a service (or the twin) on the exercise clock.

Installs the clock named by EXERCISE_CLOCK_FILE as the process's `services.common.clock.now()`,
then runs the process's own entry point unchanged, so the exercise runs the very same code as live.
"""
from __future__ import annotations

import runpy
import sys

from services.exercise.clock import install_from_env

PROCESSES = {"demand": "services.demand", "resources": "services.resources", "matching": "services.matching",
             "logistics": "services.logistics", "twin": "infra.exercise.twin"}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in PROCESSES:
        raise SystemExit(f"usage: python -m infra.exercise.serve {{{','.join(PROCESSES)}}}")
    if install_from_env() is None:
        raise SystemExit("error: EXERCISE_CLOCK_FILE is not set: an exercise process needs the exercise clock")
    runpy.run_module(PROCESSES[argv[0]], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
