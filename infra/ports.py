"""Port checks that fail with one line naming the port and the variable that changes it."""
from __future__ import annotations

import socket

from services.common.config import port_variable


class PortInUse(SystemExit):
    pass


def check_free(name: str, port: int, host: str = "127.0.0.1") -> None:
    """Fails when something listens on `port`. The look binds as the services and the broker do, with
    SO_REUSEADDR, so the connections of a run stopped a moment ago (TCP's TIME_WAIT, up to a minute)
    do not count: the next run can bind the port, and starts at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise PortInUse(f"error: port {port} ({name}) is already in use; set {port_variable(name)}=<port> to use another") from None


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def free_ports(n: int, host: str = "127.0.0.1", exclude=()) -> list[int]:
    """`n` different ports free now, none of them in `exclude`. Every socket is held until all are
    chosen: asked one at a time, the system may hand back a port it has just released, and two services
    given one port fail in the worst way (the second cannot bind, and its callers reach the first)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind((host, 0))
            port = s.getsockname()[1]
            if port not in exclude:
                ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports
