"""Port checks that fail with one line naming the port and the variable that changes it."""
from __future__ import annotations

import socket

from services.common.config import port_variable


class PortInUse(SystemExit):
    pass


def check_free(name: str, port: int, host: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            raise PortInUse(f"error: port {port} ({name}) is already in use; set {port_variable(name)}=<port> to use another") from None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
