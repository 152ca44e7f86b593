"""Child processes that cannot outlive the process that started them.

Children run in their own session (so a terminal's Ctrl-C reaches only the supervisor, which then
stops them in order), and on Linux they also get SIGTERM if their parent dies without cleaning up
(a killed test run must not leave brokers behind).
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, start_new_session=True, preexec_fn=_die_with_parent, **kwargs)
