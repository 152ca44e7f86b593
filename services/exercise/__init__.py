"""Tabletop exercises: scenario files with timed injects, played on the same services in an isolated
exercise mode on an exercise clock, then scored into an after-action report.

This package is the library: it starts no process. `infra.exercise` starts an exercise's processes
(`stack`, `serve`) and is the command line (`python -m infra.exercise run <scenario>`).

Modules, in the order an exercise uses them:
- `scenario`  load and validate a scenario file (contracts/scenario.schema.json)
- `store`     an exercise's files (var/exercises/<id>/), the exercises on this machine, steering a clock
- `clock`     the exercise clock shared by every process of one exercise (speed, pause, resume)
- `schedule`  which injects are due at a simulated instant (pure)
- `conditions` road and bridge closures, weather: travel times under the exercise's conditions
- `injects`   play one inject on the services (HTTP, as a county or resource manager would)
- `recorder`  record the exercise's stream (every topic, this exercise only) for scoring and replay
- `lifecycle` start the stack it is given, load the force, play, score, write the report, stop
- `runner`    play the injects on the exercise clock
- `decisions` trainees approve or reject plans; what the optimiser would have chosen
- `scoring`   the after-action figures, from the recorded events (pure)
- `report`    the after-action report as JSON and self-contained HTML
- `replay`    play a recorded exercise into the twin's model for the debrief
"""
