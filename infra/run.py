"""`make run`: start the embedded broker (unless KAFKA_BOOTSTRAP_SERVERS points elsewhere), create
the topics, start the four services and the twin, wait until each answers, write var/urls.json and
print the URLs. Ctrl-C (or SIGTERM) stops every process this started, by PID, and removes urls.json.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from services.common import users
from services.common.auth import headers_for, service_identity
from services.common.bus import Bus
from services.common.config import VAR, port_for
from services.common.private import open_private, private_dir, private_process, write_atomic
from services.common.sealing import Sealer
from services.common.tokens import Keyring, public_keys_line
from services.common.topics import topic_specs
from services.demo.province import ZHEJIANG, demo_incidents, write_demo_users
from services.logistics.policy import Policy as LogisticsPolicy
from twin.sim import pace

from . import broker
from .children import spawn
from .ports import check_free

SERVICES = ["demand", "resources", "matching", "logistics"]
PROCESSES = SERVICES + ["twin"]
HOST = "127.0.0.1"


class Supervisor:
    def __init__(self, env: dict | None = None, var: Path = VAR):
        self.env = dict(os.environ if env is None else env)
        # `make run` is the demo unless told otherwise: said explicitly, because the twin reads an
        # unset DEMO as live (no one-click sign-in)
        self.env.setdefault("DEMO", "1")
        self.var = var
        self.procs: dict[str, subprocess.Popen] = {}
        self.broker: subprocess.Popen | None = None
        self.urls_path = var / "urls.json"

    def preflight(self) -> None:
        embedded = not self.env.get("KAFKA_BOOTSTRAP_SERVERS")
        for name in (["kafka"] if embedded else []) + PROCESSES:
            check_free(name, port_for(name, self.env))

    def start(self) -> dict:
        private_process(self.var)  # var/ 0700; the databases, logs and keys written there 0600
        private_dir(self.var / "log")
        self.preflight()
        self.demo_users()
        keys = self.signing_keys()
        self.personal_data_key()
        if not self.env.get("KAFKA_BOOTSTRAP_SERVERS"):
            port = port_for("kafka", self.env)
            self.broker = broker.start(port, self.var / "broker", log_path=self.var / "log" / "broker.log")
            self.env["KAFKA_BOOTSTRAP_SERVERS"] = f"{HOST}:{port}"
        created = Bus(self.env["KAFKA_BOOTSTRAP_SERVERS"], client_id="bootstrap").ensure_topics(topic_specs())
        print(f"topics: {len(topic_specs())} ready ({len(created)} created)", flush=True)
        # The services are given the issuer's public keys only; the twin (demo sign-in) the issuer's key.
        self.service_env = {k: v for k, v in self.env.items()
                            if k not in ("AUTH_ISSUER_KEY", "AUTH_KEY_FILE", "AUTH_ISSUER_KEY_FILE")}
        self.service_env["AUTH_PUBLIC_KEYS"] = public_keys_line(keys)
        self.service_env["AUTH_KEY_ID"] = keys.active
        # the demo's simulated devices drive faster than real time: logistics' plausibility bound with them
        scaled = pace.logistics_max_speed(LogisticsPolicy.from_env(self.env).max_speed_kmh, self.env)
        if scaled is not None:
            self.service_env["LOGISTICS_MAX_SPEED_KMH"] = f"{scaled:g}"
        for name in PROCESSES:
            self.procs[name] = self._spawn(name)
        urls = {name: f"http://{HOST}:{port_for(name, self.env)}" for name in PROCESSES}
        self._wait_healthy(urls, float(self.env.get("START_TIMEOUT_S", "180")))
        if self.env.get("DEMO", "1") == "1":
            self.wait_for_county_loads(float(self.env.get("START_TIMEOUT_S", "180")))
            self.report_demo_incidents(urls["demand"], keys)
        self.write_demo_tokens(keys, urls["resources"])
        urls["kafka"] = self.env["KAFKA_BOOTSTRAP_SERVERS"]
        write_atomic(self.urls_path, json.dumps(urls, indent=2) + "\n")  # complete the moment it exists: others poll for it
        return urls

    @property
    def province(self) -> str:
        return self.env.get("PROVINCE", ZHEJIANG)

    def demo_users(self) -> None:
        """Another province's demo has users of its own regions (var/users.yaml) unless USERS_FILE is set."""
        if self.province != ZHEJIANG and not self.env.get("USERS_FILE"):
            self.env["USERS_FILE"] = str(write_demo_users(self.province, self.var / "users.yaml"))

    def signing_keys(self) -> Keyring:
        """The token issuer's keys (a key pair under var/ unless set): the services read the public
        keys, the twin's sign-in and the demo tokens below mint with the private key."""
        if not self.env.get("AUTH_ISSUER_KEY") and not self.env.get("AUTH_PUBLIC_KEYS"):
            self.env.setdefault("AUTH_KEY_FILE", str(self.var / "auth-keys.json"))
            self.env.setdefault("AUTH_ISSUER_KEY_FILE", str(self.var / "auth-issuer-key.json"))
        return Keyring.from_env(self.env, issuer=True)

    def personal_data_key(self) -> None:
        """The key that seals officers' ID numbers, addresses and phones in the databases: from the
        environment, else var/personal-data-key.json (created 0600 with a random key if absent)."""
        if not self.env.get("PERSONAL_DATA_KEY"):
            self.env.setdefault("PERSONAL_DATA_KEY_FILE", str(self.var / "personal-data-key.json"))
        Sealer.from_env(self.env)

    def write_demo_tokens(self, keys: Keyring, resources_url: str) -> None:
        """A token per demo user (services/common/users.yaml) in var/tokens.json, and how to use one."""
        path = self.var / "tokens.json"
        doc = users.write_demo_tokens(path, keys, Path(self.env["USERS_FILE"]) if self.env.get("USERS_FILE") else None)
        commander = next((name for name, who in doc.items() if who["role"] == "province_commander"), "zj-commander")
        print(f"tokens: one per demo user in {path}; e.g. as the province commander:\n"
              f"  curl -H \"Authorization: Bearer $(python -c 'import json; "
              f"print(json.load(open(\"{path}\"))[\"{commander}\"][\"token\"])')\" {resources_url}/summary",
              flush=True)

    def wait_for_county_loads(self, timeout: float) -> bool:
        """Until demand holds resources' load report of every demo incident's county.

        A county that reports an incident before demand has its load asks for the whole need (no
        load report yet), and the request is cancelled seconds later when the report arrives: in
        the demo a commander would find a support request for an incident the county covers
        itself. A province in service has every county's load long before an incident."""
        from sqlalchemy import select

        from services.common.config import Settings
        from services.common.storage import make_engine
        from services.demand.store import county_loads

        counties = {body["location"]["county"] for body in demo_incidents(self.province)}
        settings = Settings.from_env("demand", self.service_env)
        engine = make_engine(settings.database_url, schema=settings.db_schema)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with engine.connect() as conn:
                        known = set(conn.execute(select(county_loads.c.county)
                                                 .where(county_loads.c.county.in_(counties))).scalars())
                except Exception:  # demand creates its tables as it starts
                    known = set()
                if known >= counties:
                    return True
                if time.monotonic() > deadline:
                    print(f"demo: no load report yet for {', '.join(sorted(counties - known))}; "
                          "reporting the incidents anyway", flush=True)
                    return False
                time.sleep(0.3)
        finally:
            engine.dispose()

    def report_demo_incidents(self, demand_url: str, keys: Keyring) -> int:
        """Report the demo incidents through demand's API, as a county would (idempotent by id)."""
        incidents = demo_incidents(self.province)
        created = 0
        caller = headers_for(service_identity("demo"), keys)
        for body in incidents:
            resp = requests.post(demand_url + "/incidents", json=body, headers=caller, timeout=10)
            if resp.status_code not in (200, 201):
                raise SystemExit(f"error: demo incident {body['incident_id']} refused: {resp.text}")
            created += resp.status_code == 201
        print(f"demo: {len(incidents)} incidents reported ({created} new)", flush=True)
        return created

    def _spawn(self, name: str) -> subprocess.Popen:
        # the twin through infra.exercise.twin: its exercise page can start exercises on stacks of their own
        module = "infra.exercise.twin" if name == "twin" else f"services.{name}"
        log = open_private(self.var / "log" / f"{name}.log", "ab")
        env = self.env if name == "twin" else getattr(self, "service_env", self.env)
        return spawn([sys.executable, "-m", module], env=env, stdout=log, stderr=subprocess.STDOUT)

    def _wait_healthy(self, urls: dict, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = dict(urls)
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                if self.procs[name].poll() is not None:
                    raise SystemExit(f"error: {name} exited with code {self.procs[name].returncode}; "
                                     f"see {self.var / 'log' / (name + '.log')}")
                try:
                    if requests.get(url + "/health", timeout=2).status_code == 200:
                        del pending[name]
                except requests.RequestException:
                    pass
            time.sleep(0.3)
        if pending:
            raise SystemExit(f"error: not healthy after {timeout:.0f} s: {', '.join(pending)}")

    def watch(self, stop_flag: list) -> None:
        """Restart a process that dies; a restarted broker gets its topics back (services re-publish)."""
        restarts: dict[str, int] = {}
        while not stop_flag:
            time.sleep(0.5)
            if self.broker is not None and self.broker.poll() is not None and not stop_flag:
                print("broker exited; restarting it (services re-publish their outboxes)", flush=True)
                port = port_for("kafka", self.env)
                self.broker = broker.start(port, self.var / "broker", log_path=self.var / "log" / "broker.log")
                Bus(self.env["KAFKA_BOOTSTRAP_SERVERS"], client_id="bootstrap").ensure_topics(topic_specs())
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not stop_flag:
                    restarts[name] = restarts.get(name, 0) + 1
                    if restarts[name] > 5:
                        raise SystemExit(f"error: {name} keeps exiting; see {self.var / 'log' / (name + '.log')}")
                    print(f"{name} exited with code {proc.returncode}; restarting", flush=True)
                    self.procs[name] = self._spawn(name)

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.broker is not None:
            broker.stop(self.broker)
        self.urls_path.unlink(missing_ok=True)


def var_for(env) -> Path:
    """var/ for Zhejiang's demo; another province's demo keeps its databases apart (var/provinces/<code>),
    so switching PROVINCE never mixes two provinces' forces. VAR_DIR, when set, is used as it is."""
    province = env.get("PROVINCE", ZHEJIANG)
    if env.get("VAR_DIR") or province == ZHEJIANG:
        return VAR
    return VAR / "provinces" / province


def main() -> None:
    var = var_for(os.environ)
    sup = Supervisor(var=var)
    sup.env["VAR_DIR"] = str(var)
    stop_flag: list = []

    def _signal(signum, _frame):
        stop_flag.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)  # also when started in the background, where SIGINT is ignored
    sup.preflight()  # a busy port is a one-line error before anything starts
    try:
        urls = sup.start()
        print("\nready:", flush=True)
        for name, url in urls.items():
            print(f"  {name:10s} {url}", flush=True)
        print(f"\ncommand map: {urls['twin']}   (Ctrl-C stops everything)", flush=True)
        sup.watch(stop_flag)
    except KeyboardInterrupt:
        stop_flag.append("int")
    finally:
        sup.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    main()
