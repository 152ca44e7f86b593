"""A throwaway PostgreSQL cluster of our own (initdb + pg_ctl as the `postgres` user, on a free
loopback port, in a temporary directory), so the database-restart fault never touches a server
anyone else uses. Skipped where Debian's PostgreSQL binaries or root are not available.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from infra.ports import free_port
from services.common.storage import database_answers


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def available() -> str | None:
    """None when a private cluster can be made here, else why not."""
    if binaries() is None:
        return "no PostgreSQL server binaries (Debian package postgresql)"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "a private PostgreSQL cluster needs root to run initdb as the postgres user"
    return None


class PrivatePostgres:
    def __init__(self, workdir: Path | None = None):
        # Its own directory straight under the temporary root: the postgres user cannot enter a test's
        # private tmp_path (mode 0700, owned by whoever runs the tests).
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-", dir=workdir))
        self.data = self.dir / "data"
        self.port = free_port()
        self.bin = binaries()

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=check, capture_output=True,
                              text=True, timeout=120)

    def init(self) -> "PrivatePostgres":
        shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8")
        return self.start()

    def _pg_ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                          "-o", opts, "-w", "-t", "60", action, *extra)

    def start(self) -> "PrivatePostgres":
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        """Every connection is cut (fast shutdown rolls back open transactions), then it comes back."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop the server and remove its directory (a throwaway cluster keeps nothing)."""
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A fresh database for one run; each service keeps its own schema inside it."""
        name = f"run_{uuid.uuid4().hex[:8]}"
        self._as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
        assert database_answers(url)
        return url
