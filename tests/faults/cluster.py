"""The system as real processes on private infrastructure: an embedded broker on its own port, the
four services (`python -m services.<name>`, exactly what `make run` starts), and either SQLite files
or a throwaway PostgreSQL cluster of our own. Everything here can be killed and started again.
"""
from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from infra import broker as embedded
from infra.children import spawn
from infra.ports import free_port, free_ports
from services.common.auth import Identity, headers_for
from services.common.bus import Bus
from services.common.config import ROOT
from services.common.storage import make_engine
from services.common.topics import topic_specs

from .postgres import PrivatePostgres

# The processes verify the tokens this process signs (headers_for): one key, shared through the environment.
os.environ.setdefault("AUTH_ISSUER_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("AUTH_KEY_ID", "faults")

SERVICES = ("demand", "resources", "matching", "logistics")
DEMO_OFFICERS = 4000  # a small province: ~15 on duty a county, enough for disjoint plans


class Broker:
    """The embedded broker on a private port. `validate=False` runs it without the schema registry,
    as Apache Kafka runs in production: then contract-breaking records reach the consumers."""

    def __init__(self, workdir: Path, *, validate: bool = True):
        self.workdir, self.validate, self.port, self.proc = workdir, validate, free_port(), None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Broker":
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.validate:
            self.proc = embedded.start(self.port, self.workdir)
        else:
            log = open(self.workdir / "broker.log", "ab")
            self.proc = spawn([embedded.binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{self.port}",
                               "--advertised-listener-url", f"tcp://127.0.0.1:{self.port}"],
                              cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
            embedded.wait_until_answering("127.0.0.1", self.port, 30, self.proc)
        Bus(self.bootstrap, security={}).ensure_topics(topic_specs())
        return self

    def kill(self) -> None:
        """kill -9: the broker keeps nothing on disk, so every record and committed offset is gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc:
            embedded.stop(self.proc)


class Service:
    """One service process; `kill()` is kill -9, `start()` after it is a restart on the same data."""

    def __init__(self, name: str, env: dict, logdir: Path):
        self.name, self.env, self.logdir = name, env, logdir
        self.port = int(env[f"{name.upper()}_PORT"])
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, fault_point: str | None = None) -> "Service":
        env = dict(self.env)
        if fault_point:
            env["FAULT_POINT"] = fault_point
        log = open(self.logdir / f"{self.name}.log", "ab")
        self.proc = spawn([sys.executable, "-m", f"services.{self.name}"], cwd=ROOT, env=env,
                          stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        return self

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.logdir / self.name}.log")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not healthy within {timeout:.0f} s")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def metrics(self) -> dict[str, float]:
        """The service's /metrics (Prometheus text) as {name: value}."""
        out = {}
        auditor = headers_for(Identity("fault-harness", "auditor", "330000"))
        for line in requests.get(self.url + "/metrics", headers=auditor, timeout=5).text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    out[name] = float(value)
                except ValueError:
                    pass
        return out


class Cluster:
    """Broker + database + the four services, all private to one run directory."""

    def __init__(self, workdir: Path, *, postgres: PrivatePostgres | None = None, validate: bool = True,
                 services: tuple[str, ...] = SERVICES, officers: int = DEMO_OFFICERS):
        self.workdir, self.postgres = workdir, postgres
        (workdir / "log").mkdir(parents=True, exist_ok=True)
        self.broker = Broker(workdir / "broker", validate=validate)
        self.database = postgres.new_database() if postgres else None
        env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL") and k != "FAULT_POINT"}
        env.update(VAR_DIR=str(workdir / "var"), DEMO="1", DEMO_OFFICERS=str(officers), DEMO_SEED="7",
                   KAFKA_BOOTSTRAP_SERVERS=self.broker.bootstrap, PYTHONUNBUFFERED="1")
        for name, port in zip(services, free_ports(len(services), exclude={self.broker.port})):
            env[f"{name.upper()}_PORT"] = str(port)
            env[f"{name.upper()}_DATABASE_URL"] = self.database_url(name)
        self.env = env
        self.services = {name: Service(name, env, workdir / "log") for name in services}
        self.revived_at_start: list[str] = []  # armed services that died at their fault point while starting
        self._engines: dict = {}

    def database_url(self, service: str) -> str:
        if self.database:
            return self.database
        return f"sqlite:///{self.workdir / (service + '.db')}"

    def engine(self, service: str):
        """The service's own database, read by the oracle (one engine per service, kept)."""
        if service not in self._engines:
            self._engines[service] = make_engine(self.database_url(service), schema=service)
        return self._engines[service]

    def start(self, fault_points: dict[str, str] | None = None) -> "Cluster":
        """Broker, then every service (armed with `fault_points[name]` if given, see services.common.faults)."""
        self.broker.start()
        armed = fault_points or {}
        for name, svc in self.services.items():
            svc.start(fault_point=armed.get(name))
        for name, svc in self.services.items():
            try:
                svc.wait_healthy()
            except RuntimeError:
                if not (name in armed and svc.proc.returncode == 137):
                    raise
                # Died at its fault point while starting (e.g. seeding its pool): start it again, unarmed.
                self.revived_at_start.append(name)
                self.restart(name)
        return self

    def stop(self) -> None:
        """Tear down fast: state has been read; nothing here needs a graceful exit."""
        for svc in self.services.values():
            svc.kill()
        self.broker.kill()
        for engine in self._engines.values():
            engine.dispose()

    def restart(self, name: str, *, fault_point: str | None = None) -> float:
        """Start a killed service again; returns the seconds until it answered /health."""
        t0 = time.monotonic()
        self.services[name].start(fault_point=fault_point).wait_healthy()
        return time.monotonic() - t0

    def revive(self) -> list[str]:
        """Start again, unarmed, every service that died (what `make run`'s supervisor does)."""
        dead = [name for name, svc in self.services.items() if svc.proc is not None and not svc.running]
        for name in dead:
            self.restart(name)
        return dead
