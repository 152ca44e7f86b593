"""One place per process for configuration: environment variables with working defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .private import private_dir, private_process

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
CONTRACTS = ROOT / "contracts"

DEFAULT_PORTS = {
    "kafka": 19092,
    "demand": 8101,
    "resources": 8102,
    "matching": 8103,
    "logistics": 8104,
    "twin": 8050,
}


def port_variable(name: str) -> str:
    """The environment variable that changes the port of process `name`."""
    return "KAFKA_PORT" if name == "kafka" else f"{name.upper()}_PORT"


def port_for(name: str, env: dict | None = None) -> int:
    env = os.environ if env is None else env
    return int(env.get(port_variable(name), DEFAULT_PORTS[name]))


def database_url(service: str, env: dict | None = None, mode: str = "live", exercise_id: str | None = None) -> str:
    """`<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else a SQLite file under var/.

    An exercise never shares a database with live: its SQLite file lives in its own folder, and on
    PostgreSQL it gets its own schema (see storage.make_engine).
    """
    env = os.environ if env is None else env
    url = env.get(f"{service.upper()}_DATABASE_URL") or env.get("DATABASE_URL")
    if url:
        return url
    folder = VAR if mode == "live" else VAR / "exercises" / str(exercise_id)
    for one in (VAR, *([] if mode == "live" else [VAR / "exercises", folder])):
        private_dir(one)
    return f"sqlite:///{folder / (service + '.db')}"


@dataclass
class Settings:
    """What every service process needs; build with `Settings.from_env(service)` or directly in tests."""

    service: str
    database_url: str
    kafka_bootstrap: str
    mode: str = "live"
    exercise_id: str | None = None
    province: str = "330000"
    http_port: int = 0
    http_host: str = "127.0.0.1"  # 0.0.0.0 inside a container (HTTP_HOST)
    extra: dict = field(default_factory=dict)
    acts_as: str | None = None  # publish as this producer (a test standing in for another service)
    auth_keys: object = None  # tokens.Keyring that verifies callers; None: the deployment's (AUTH_* env)
    max_body_bytes: int = 16 * 1024 * 1024  # larger request bodies get 413 (MAX_BODY_BYTES)

    @property
    def source(self) -> str:
        """The producer identity on every event (consumers refuse topics it does not own)."""
        return f"/mutual-deploy/{self.acts_as or self.service}"

    @property
    def group_id(self) -> str:
        return self.service if self.mode == "live" else f"{self.service}.exercise.{self.exercise_id}"

    @property
    def db_schema(self) -> str:
        """PostgreSQL schema that holds this service's tables (one database may host all services)."""
        base = self.service if self.mode == "live" else f"{self.service}_ex_{self.exercise_id}"
        return "".join(c if c.isalnum() else "_" for c in base).lower()

    @classmethod
    def from_env(cls, service: str, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        private_process(Path(env.get("VAR_DIR") or VAR))  # what this process writes under var/ is 0600
        mode = env.get("MODE", "live")
        exercise_id = env.get("EXERCISE_ID") if mode == "exercise" else None
        if mode == "exercise" and not exercise_id:
            raise SystemExit("MODE=exercise needs EXERCISE_ID")
        return cls(
            service=service,
            database_url=database_url(service, env, mode, exercise_id),
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port_for('kafka', env)}"),
            mode=mode,
            exercise_id=exercise_id,
            province=env.get("PROVINCE", "330000"),
            http_port=port_for(service, env) if service in DEFAULT_PORTS else 0,
            http_host=env.get("HTTP_HOST", "127.0.0.1"),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", 16 * 1024 * 1024)),
        )
