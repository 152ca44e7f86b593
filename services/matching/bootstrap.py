"""matching's composition root: `build_runtime` wires the database, the kit and the service's typed
dependencies (`Matching`); `create_app` serves http.py. Nothing connects at import.

The worker keeps the read model and records requests (handlers.py); the batcher (planning.py) takes
the first snapshot of the force from the resource pool and then plans pending requests every
batching window; commanders decide on plans over HTTP (http.py → approvals.py).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from ..common import keys
from ..common.config import Settings
from ..common.runtime import Runtime
from ..common.storage import add_columns
from . import signing, snapshot, store
from .handlers import HANDLERS
from .http import api
from .planning import Batcher, Places, Planner
from .store import metadata, officers, requests

log = logging.getLogger(__name__)


@dataclass
class Matching:
    """What matching's views, handlers' helpers and tests use, typed (runtime.deps)."""
    runtime: Runtime
    signing_key: Ed25519PrivateKey     # signs approvals and this service's events
    public_key: str                    # base64, published at GET /keys and in the key registry
    key_id: str
    planner: Planner
    batcher: Batcher


def key_path(settings: Settings) -> Path:
    given = settings.extra.get("signing_key") or os.environ.get("MATCHING_SIGNING_KEY")
    if given:
        return Path(given)
    return keys.registry().private_path("matching")  # one key per deployment: approvals and events


def build_runtime(settings: Settings | None = None, *, resources_url: str | None = "env") -> Runtime:
    settings = settings or Settings.from_env("matching")
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    add_columns(runtime.engine, officers)   # a read model made before officers had stations
    add_columns(runtime.engine, requests)   # a database made before requests kept why they were re-planned
    with runtime.engine.begin() as conn:
        store.fill_proposing(conn)          # a database made before plans' officers were kept in `proposing`
    key = signing.load_or_create(key_path(settings))
    public = signing.public_key_b64(key)
    if not keys.registry().readonly:
        keys.registry().register("matching", public)  # consumers verify approvals with the registry's keys
    planner = Planner(runtime, settings.extra.get("places") or Places(settings.province))
    url = snapshot.resources_url() if resources_url == "env" else resources_url
    window = float(settings.extra.get("batch_window_s") or os.environ.get("MATCHING_BATCH_WINDOW_S") or 2.0)
    batcher = Batcher(runtime, planner, window_s=window, resources_url=url)
    runtime.deps = Matching(runtime, key, public, signing.key_id(public), planner, batcher)
    runtime.tasks.append(batcher)
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("matching")
    runtime.install(app, [api])
    return app
