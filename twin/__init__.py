"""The digital twin: a Mesa model of the province that follows the event stream, and the command map.

Three parts, each depending only on those before it:
- `twin.sim`     the Mesa model and its agents (counties, incidents, units, officers), how units move,
                 the plan preview's Monte-Carlo model and its uncertainty, the simulated field devices
- `twin.mirror`  what follows the event stream: the services' snapshot at start, the replay of every
                 event into the model, recordings of the stream, and every HTTP call to the services
- `twin.ui`      the Dash app and its pages (map, board, exercises, the field page, printed orders),
                 sign-in, who may see what, figures, panels, labels and the browser's assets

`python -m twin` (twin/__main__.py) builds the three and serves the app.
"""
