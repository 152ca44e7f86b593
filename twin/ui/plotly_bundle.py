"""Plotly's `map` partial bundle, served to the twin's pages instead of the full one Dash serves.

The twin draws three kinds of trace: `scattermap` and `choroplethmap` (the maps) and `scatter` (a plan's
strength over time). plotly.js publishes, in each release, a partial bundle holding exactly those (and
`densitymap`): `dist/plotly-map.min.js`, 2.9 MB instead of the full bundle's 4.8 MB (0.9 instead of
1.5 MB gzipped), MapLibre included. The browser spends most of the difference running it: the full
bundle registers every trace type Plotly has, and a cold page's main thread needed 2.4 s of CPU to
the first map with it, 1.3 s with the map bundle (bench/README.md, `twin.first_map_s`).

It is not committed: `python -m twin.ui.plotly_bundle` (run by infra/system-deps.sh, with npm) fetches
the plotly.js release's own package (`npm pack plotly.js@VERSION`), checks it against INTEGRITY, the
registry's digest of that release, and keeps the bundle with plotly.js's MIT licence under
build/plotly/ (not in git; TWIN_PLOTLY_DIR names another folder). VERSION is the plotly.js the
installed `plotly` package draws figures for (the full bundle it ships is the same release's
`dist/plotly.min.js`); when the two differ, or the file is missing or not the one pinned by SHA256, the
app serves Dash's full bundle as before and the maps draw all the same, only later.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from services.common.config import ROOT

log = logging.getLogger(__name__)

VERSION = "4.1.1"
PACKAGE = f"plotly.js@{VERSION}"
INTEGRITY = "sha512-fYLAOj091/+M4h1rmtVIkRIpdkz5/P9IdNUeB9wKmCUyvewuUdlCYR5ryqDWP7Cb36Dn4EvSrs6YKvRJ9ukNdQ=="
NAME = f"plotly-map-{VERSION}.min.js"
SHA256 = "51784469c5a68bff7ed452bc74a18a9eaca3141b78d017cce84e2e229806ac75"  # of its dist/plotly-map.min.js
MEMBERS = {"package/dist/plotly-map.min.js": NAME, "package/LICENSE": "LICENSE"}
TRACES = frozenset({"scattermap", "choroplethmap", "densitymap", "scatter"})  # what the map bundle draws
PATH = f"/assets/vendor/{NAME}"  # under /assets/: open like the page's other static files, gzipped once and kept
PAGE_PATH = PATH.lstrip("/")  # as the page names it, from the app's root (assets/plotly_early.js)


def plotlyjs_version() -> str:
    """The plotly.js release the installed plotly package ships and writes figures for."""
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def folder() -> Path:
    """Where the bundle is kept: build/plotly/ (TWIN_PLOTLY_DIR names another folder)."""
    return Path(os.environ.get("TWIN_PLOTLY_DIR") or ROOT / "build" / "plotly")


def load(directory: Path | None = None) -> bytes | None:
    """The map bundle's bytes when it is installed, unaltered, and of the plotly.js release the plotly
    package draws for; None otherwise (the page then loads Dash's full bundle). Read once per process."""
    return _read(directory or folder())


@functools.lru_cache(maxsize=4)
def _read(directory: Path) -> bytes | None:
    if plotlyjs_version() != VERSION:
        log.warning("plotly draws for plotly.js %s, the map bundle is %s: serving the full bundle",
                    plotlyjs_version(), VERSION)
        return None
    try:
        body = (directory / NAME).read_bytes()
    except OSError:
        log.info("no Plotly map bundle under %s (python -m twin.ui.plotly_bundle): serving the full bundle",
                 directory)
        return None
    if hashlib.sha256(body).hexdigest() != SHA256:
        log.warning("%s is not plotly.js %s's map bundle: serving the full bundle", directory / NAME, VERSION)
        return None
    return body


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def extract(tarball: bytes, directory: Path) -> None:
    """The bundle and the licence out of plotly.js's package, the tarball checked against INTEGRITY."""
    if integrity(tarball) != INTEGRITY:
        raise ValueError(f"{PACKAGE}: the package is not the release pinned (integrity {integrity(tarball)})")
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member, name in MEMBERS.items():
            data = tar.extractfile(member).read()
            if name == NAME and hashlib.sha256(data).hexdigest() != SHA256:
                raise ValueError(f"{PACKAGE}: {member} is not the bundle pinned")
            partial = directory / f"{name}.{os.getpid()}.part"
            partial.write_bytes(data)
            os.replace(partial, directory / name)
    _read.cache_clear()


def install(directory: Path | None = None) -> Path:
    """Fetches plotly.js's package with npm (its cache first) and keeps the map bundle; nothing when it is
    there already."""
    directory = directory or folder()
    target = directory / NAME
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == SHA256:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch Plotly's map bundle (infra/system-deps.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="plotly-pack-") as tmp:
        subprocess.run([npm, "pack", PACKAGE, "--pack-destination", tmp, "--loglevel=error"],
                       check=True, stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz")).read_bytes()
    extract(tarball, directory)
    return target


def main() -> int:
    if load() is not None:
        return 0
    print(f"installing Plotly's map bundle ({PACKAGE}: dist/plotly-map.min.js, under {folder()})")
    try:
        install()
    except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError, StopIteration) as exc:
        print(f"note: Plotly's map bundle not installed ({exc}); the twin serves the full bundle", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
