"""`python -m twin`: rebuild the state from the services, mirror the stream, serve the map.

The composition root of the twin process, which puts its three parts together: settings from the
environment; the model (twin.sim, with the preview's uncertainty from TWIN_* variables) and its steps
on the twin clock (every TWIN_STEP_S, 60 s; with the simulated field devices of the demo and
exercises, every TWIN_DEVICE_INTERVAL_S, 5 s, each step reported); the services' snapshot and the
mirror, a consumer that replays the whole stream into the model (twin.mirror), and an optional
recording to replay; the Dash app under waitress (twin.ui). `main(run_exercise=...)` lets the
exercise page start exercises (the launcher `make run` gives the twin; `python -m twin` has none).
The steps and an exercise's field side are counted in the twin's telemetry, served at /metrics.
"""
from __future__ import annotations

import functools
import logging
import os
import signal

from services.common import logs
from services.common.config import Settings
from services.common.metrics import KitCollector, ServiceMetrics
from services.common.runtime import HttpServer, Runtime
from twin.mirror import recording
from twin.mirror.client import ServicesClient, service_urls
from twin.mirror.names import UnitNames
from twin.mirror.replay import start_mirror
from twin.mirror.snapshot import rebuild
from twin.sim import devices, pace
from twin.sim.model import ProvinceModel, Stepping
from twin.sim.uncertainty import PreviewConfig
from twin.ui import prometheus
from twin.ui.app import create_app


def main(run_exercise=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logs.quiet_kafka()
    logging.getLogger("MESA").setLevel(logging.WARNING)  # its INFO is a line per model step
    settings = Settings.from_env("twin")
    model = ProvinceModel(province=settings.province, preview_config=PreviewConfig.from_env(), follow_clock=True)
    client = ServicesClient(service_urls())
    rebuild(model, client)
    record_to = os.environ.get("TWIN_RECORD_TO")
    mirror = start_mirror(settings, model, recording.Recorder(record_to) if record_to else None)
    telemetry = ServiceMetrics(settings.service)  # the twin's /metrics
    stoppables = [mirror, UnitNames(model, client).start(telemetry)] + start_steps(settings, model, telemetry)
    replay_from = os.environ.get("TWIN_REPLAY_FROM")
    if run_exercise is not None:  # an exercise's field side counts its passes in the twin's telemetry
        run_exercise = functools.partial(run_exercise, telemetry=telemetry)
    app = create_app(model, settings=settings, client=client,
                     recording=recording.load(replay_from) if replay_from else None, run_exercise=run_exercise)
    prometheus.install(app, telemetry)  # GET /metrics, for the roles a service's /metrics is for
    server = HttpServer(app.server, settings.http_host, settings.http_port, threads=8)
    stop_on_signals(server)
    print(f"twin: http://127.0.0.1:{settings.http_port}/ (mirroring {settings.kafka_bootstrap}); sign in with a "
          f"user's token (?token=..., var/tokens.json){'; demo users: one click' if app.twin_signin.demo_users else ''}",
          flush=True)
    try:
        server.run()
    finally:  # the mirror and the devices, once the server has stopped
        for thing in stoppables:
            thing.stop()


def start_steps(settings: Settings, model: ProvinceModel, telemetry: ServiceMetrics | None = None) -> list:
    """The model's steps on the twin clock; in the demo and exercises each step drives the dispatched units
    and the simulated field devices report them, through the runtime (outbox + relay) started here.
    The steps are counted in `telemetry` (loop `steps`), with the outbox's figures when the devices report."""
    if not pace.enabled(settings.mode, os.environ):
        return [Stepping(model.step, float(os.environ.get("TWIN_STEP_S", "60")), telemetry=telemetry).start()]
    runtime = Runtime.build(settings).start()
    if telemetry is not None:
        telemetry.registry.register(KitCollector(telemetry.service, runtime))  # published, backlog (read when scraped)
    speedup = pace.device_speedup(settings.mode, os.environ)
    fleet = devices.FieldDevices(model, devices.outbox_publisher(runtime), speedup=speedup)
    interval_s = float(os.environ.get("TWIN_DEVICE_INTERVAL_S", "5"))
    return [Stepping(fleet.tick, interval_s, telemetry=telemetry).start(), runtime]


def stop_on_signals(server: HttpServer) -> None:
    """SIGTERM and SIGINT close the server and its connections; main() then stops the mirror and the devices."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: server.close())
    signal.signal(signal.SIGINT, lambda _signum, _frame: server.close())


if __name__ == "__main__":
    main()
