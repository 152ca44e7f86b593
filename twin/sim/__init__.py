"""The twin's simulation: the province as a Mesa 3 model, stepped on the twin clock.

- `model`        ProvinceModel (the live state, its steps, its forks for previews) and `Stepping`
- `agents`       county, incident, unit and officer agents; a unit moves in its own `step`
- `movement`     a unit's trip to its reporting point and where it is at any instant
- `preview`      a candidate plan simulated many times on a fork of the model (PreviewModel)
- `uncertainty`  the preview's sampled delays and travel factors
- `devices`      the simulated field devices of the demo and exercises: report where the agents are
"""
