"""An exercise's processes: the services (and optionally the twin) of one exercise on its clock.

- `stack`     ExerciseStack (the infra Supervisor in exercise mode) and `run_exercise`, which plays a
              scenario from start to report on a stack of its own (`services.exercise.lifecycle`)
- `serve`     `python -m infra.exercise.serve <process>`: one process on the exercise clock
- `twin`      `python -m infra.exercise.twin`: the twin whose exercise page can start exercises
- `__main__`  `python -m infra.exercise run|validate|list|control|report`
"""
