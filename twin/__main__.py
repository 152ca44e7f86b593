"""`python -m twin`: mirror the stream into a fresh model and serve the map.

The composition root of the twin process: settings from the environment, the model, the mirror
(a consumer that replays the whole stream into the model) and the Dash app under waitress.
"""
from __future__ import annotations

import logging
import signal
import sys

import waitress

from services.common.config import Settings
from twin.app import create_app
from twin.model import ProvinceModel
from twin.replay import start_mirror


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)  # its INFO is a line per partition move
    settings = Settings.from_env("twin")
    model = ProvinceModel(province=settings.province)
    mirror = start_mirror(settings, model)
    stop_on_signals(mirror)
    app = create_app(model, settings=settings)
    print(f"twin: http://127.0.0.1:{settings.http_port}/ (mirroring {settings.kafka_bootstrap})", flush=True)
    try:
        waitress.serve(app.server, host=settings.http_host, port=settings.http_port, threads=8)
    finally:
        mirror.stop()


def stop_on_signals(mirror) -> None:
    """SIGTERM and SIGINT stop the mirror, then leave: waitress has no stop call of its own."""
    def stop(_signum, _frame):
        mirror.stop()
        sys.exit(0)  # a requested stop is a clean stop
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


if __name__ == "__main__":
    main()
