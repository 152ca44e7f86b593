"""`python -m infra.exercise.twin`: the twin (`python -m twin`) whose exercise page can start an exercise,
each on processes of its own (`stack.run_exercise`). `make run` starts the twin this way.
"""
from __future__ import annotations

from twin.__main__ import main as twin_main

from .stack import run_exercise


def main() -> None:
    twin_main(run_exercise=run_exercise)


if __name__ == "__main__":
    main()
