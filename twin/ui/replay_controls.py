"""The replay panel: a recorded period on its own map, with a time slider, a speed and play/pause.

Shown only when a recording is loaded. While playing, each tick moves the slider by
`speed x tick` seconds of recorded time; moving the slider by hand jumps there.
"""
from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from twin.mirror.recording import Player, instant
from twin.ui import ids, signin, views, visibility
from twin.ui.figures import beijing_time
from twin.ui.messages import DEFAULT_LANGUAGE, text

SPEEDS = [1, 10, 60, 300, 1800]
TICK_MS = 1000


def replay_section(recording: list[dict] | None, lang: str = DEFAULT_LANGUAGE) -> html.Div:
    if not recording:
        return html.Div(id=ids.REPLAY, children=[html.Small(f"{text('replay', lang)}: {text('replay_none', lang)}",
                                                            style={"color": "#999"})])
    span = max(_span(recording), 1.0)
    return html.Div(id=ids.REPLAY, style={"borderTop": "1px solid #ccc", "marginTop": "8px"}, children=[
        html.H3(text("replay", lang), style={"fontSize": "16px", "margin": "6px 0"}),
        html.Div(style={"display": "flex", "gap": "12px", "alignItems": "center"}, children=[
            html.Button(text("replay_play", lang), id=ids.REPLAY_PLAY, n_clicks=0),
            html.Span(text("replay_speed", lang)),
            dcc.Dropdown(id=ids.REPLAY_SPEED, options=[{"label": f"{s}×", "value": s} for s in SPEEDS], value=60,
                         clearable=False, style={"width": "100px"}),
            html.Span(id=ids.REPLAY_CLOCK, style={"color": "#666"}),
        ]),
        dcc.Slider(id=ids.REPLAY_SLIDER, min=0, max=span, value=0, step=1, marks=None,
                   tooltip={"placement": "bottom"}, updatemode="mouseup"),
        dcc.Graph(id=ids.REPLAY_MAP, style={"height": "55vh"}, config={"displaylogo": False}),
        dcc.Interval(id=ids.REPLAY_TICK, interval=TICK_MS, disabled=True),
    ])


def _span(recording: list[dict]) -> float:
    return (instant(recording[-1]["time"]) - instant(recording[0]["time"])).total_seconds()


def advance(offset_s: float, speed: float, span_s: float, tick_ms: int = TICK_MS) -> tuple[float, bool]:
    """The slider's next value and whether the replay is still playing (it stops at the end)."""
    nxt = min(offset_s + speed * tick_ms / 1000, span_s)
    return nxt, nxt < span_s


def install_replay(app: dash.Dash, geography, geojson: dict, recording: list[dict] | None) -> None:
    if not recording:
        return
    player = Player(recording, geography)

    @app.callback(
        Output(ids.REPLAY_TICK, "disabled"), Output(ids.REPLAY_PLAY, "children"),
        Input(ids.REPLAY_PLAY, "n_clicks"), State(ids.REPLAY_TICK, "disabled"), State(ids.LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def on_play(_clicks, disabled, lang):
        playing = bool(disabled)  # a click flips it
        return not playing, text("replay_pause" if playing else "replay_play", lang)

    @app.callback(
        Output(ids.REPLAY_SLIDER, "value"), Output(ids.REPLAY_TICK, "disabled", allow_duplicate=True),
        Output(ids.REPLAY_PLAY, "children", allow_duplicate=True),
        Input(ids.REPLAY_TICK, "n_intervals"), State(ids.REPLAY_SLIDER, "value"), State(ids.REPLAY_SPEED, "value"),
        State(ids.LANGUAGE, "data"), prevent_initial_call=True,
    )
    def on_tick(_n, offset_s, speed, lang):
        value, playing = advance(offset_s or 0, speed or 1, player.duration_s)
        return value, not playing, text("replay_pause" if playing else "replay_play", lang)

    @app.callback(
        Output(ids.REPLAY_MAP, "figure"), Output(ids.REPLAY_CLOCK, "children"),
        Input(ids.REPLAY_SLIDER, "value"), State(ids.LANGUAGE, "data"),
    )
    def on_slider(offset_s, lang):
        snapshot = visibility.visible(player.at(float(offset_s or 0)), signin.current_identity())
        figure = views.map_figure(snapshot, geojson, colour_by="load", request_id=None, lang=lang)
        return figure, text("clock", lang, time=beijing_time(snapshot["clock"]))

    app._replay_player = player  # for tests and tools
