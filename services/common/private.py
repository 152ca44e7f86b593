"""Private files: what the system writes under var/ is for the account that runs it, no one else.

var/ holds the databases (with their -wal and -shm files), logs, key files, recordings and
exports, which carry officers' personal data and credentials. Every process that writes there
calls `private_process()` first: its umask becomes 0077, so whatever it creates (SQLite files,
logs, the broker's data, files of libraries that ignore modes) is 0600 and folders 0700; var/
itself is made 0700. The places that create files also ask for the mode explicitly
(`open_private`, `private_sqlite`), so a process that skipped the umask still writes private files.

A checkout whose var/ was written before this (files 0644) is tightened on the next start.
"""
from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


_done: set[Path] = set()


def private_process(var: Path | None = None) -> Path:
    """Set the process umask to 0077 and make `var` (default: the deployment's var/) private
    (its tree is tightened once per process)."""
    os.umask(UMASK)
    if var is None:
        from .config import VAR
        var = VAR
    var = Path(var)
    if var not in _done:
        private_dir(var)
        tighten(var)
        _done.add(var)
    return var


def tighten(root: Path) -> None:
    """Folders 0700 and files 0600 (keeping an owner's execute bit) under `root`, our own only."""
    uid = os.getuid()
    for path in [root, *_walk(root)]:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if info.st_uid != uid or stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else mode & 0o700 | FILE_MODE
        if mode != wanted:
            try:
                os.chmod(path, wanted)
            except (FileNotFoundError, PermissionError):
                pass


def _walk(root: Path):
    for folder, dirs, files in os.walk(root, onerror=lambda _e: None):
        base = Path(folder)
        yield from (base / d for d in dirs)
        yield from (base / f for f in files)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    try:
        os.chmod(path, DIR_MODE)
    except PermissionError:
        pass
    return path


def open_private(path: Path, mode: str = "a", **kwargs):
    """`open(path, mode)` for writing, the file created 0600 (an existing one is made 0600)."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except PermissionError:
        pass
    return os.fdopen(fd, mode, **kwargs)


def write_atomic(path: Path, data: bytes | str, mode: int = FILE_MODE, *, exclusive: bool = False) -> bool:
    """Write a complete file at `path`: readers see the old file or the new one, never half of
    one (a file another process polls for is complete the moment it exists). The file is created
    with `mode` (private by default). With `exclusive` the first writer wins: False if `path`
    already exists."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode() if isinstance(data, str) else data)
    try:
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        return True
    finally:
        if tmp.exists():
            tmp.unlink()


def private_sqlite(url: str) -> None:
    """A SQLite database file is created 0600 before SQLite opens it; SQLite gives its -wal and
    -shm files the database file's mode. Existing files are made 0600."""
    if not url.startswith("sqlite") or ":memory:" in url:
        return
    _, _, name = url.partition(":///")
    if not name or name.startswith(":"):
        return
    path = Path(name.split("?", 1)[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, FILE_MODE))
    for one in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if one.stat().st_uid == os.getuid() and stat.S_IMODE(one.stat().st_mode) != FILE_MODE:
                os.chmod(one, FILE_MODE)
        except FileNotFoundError:
            pass
