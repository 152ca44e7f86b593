"""Shared fixtures: a real embedded broker per test session, and both databases."""
from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
import uuid

import pytest

from infra import broker as embedded
from infra.ports import free_port
from services.common.bus import Bus
from services.common.config import Settings
from services.common.storage import database_answers
from services.common.topics import topic_specs
from tests.helpers import FixedClock, drop_schemas, frozen_clock

# Tests mint identity tokens with a test issuer key of their own (headers_for); the processes they
# start verify with its public key (services/common/tokens.py).
os.environ.setdefault("AUTH_ISSUER_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("AUTH_KEY_ID", "test")
# The suite makes thousands of deliberate 401s from one address; test_throttle.py checks the real limits.
os.environ.setdefault("AUTH_FAILURE_BURST", "1000000")
# Officers' personal fields are sealed with a key of the tests' own (services/common/sealing.py).
os.environ.setdefault("PERSONAL_DATA_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
# Producers sign their events with keys from one registry shared with the processes tests start.
os.environ.setdefault("KEYS_DIR", tempfile.mkdtemp(prefix="keys-"))

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class BrokerHandle:
    def __init__(self, workdir):
        self.workdir, self.port, self.proc = workdir, free_port(), None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = embedded.start(self.port, self.workdir)
        Bus(self.bootstrap).ensure_topics(topic_specs())
        return self

    def restart(self):
        """Stop and start again on the same port: the in-memory broker comes back empty."""
        embedded.stop(self.proc)
        return self.start()

    def stop(self):
        if self.proc:
            embedded.stop(self.proc)


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    handle = BrokerHandle(tmp_path_factory.mktemp("broker")).start()
    yield handle
    handle.stop()


def postgres_available() -> bool:
    return database_answers(PG_URL)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    if not postgres_available():
        pytest.skip(f"no PostgreSQL server answers at {PG_URL}")
    return PG_URL


@pytest.fixture
def fixed_clock():
    """`fixed_clock(at)`: the services' clock stands at `at` (the FixedClock returned moves it:
    `.at = later`) until the test ends, then the wall clock again."""
    with contextlib.ExitStack() as stack:
        def install(at) -> FixedClock:
            return stack.enter_context(frozen_clock(at))
        yield install


@pytest.fixture
def make_settings(broker, tmp_path):
    """Settings for a throw-away service: unique name, so each test has its own schema and group.
    `acts_as="matching"`: its events carry matching's source, so consumers accept the topics it owns."""
    made: list[Settings] = []  # the schemas of those on PostgreSQL are dropped after the test

    def make(*, database_url: str | None = None, mode: str = "live", exercise_id: str | None = None,
             service: str | None = None, acts_as: str | None = None) -> Settings:
        name = service or f"t{uuid.uuid4().hex[:10]}"
        settings = Settings(service=name, database_url=database_url or f"sqlite:///{tmp_path / (name + '.db')}",
                            kafka_bootstrap=broker.bootstrap, mode=mode, exercise_id=exercise_id, acts_as=acts_as)
        if not service:
            made.append(settings)
        return settings
    yield make
    for url in {s.database_url for s in made}:
        drop_schemas(url, [s.db_schema for s in made if s.database_url == url])

