"""`make run`'s look at its ports before it starts anything: a port is in use only while something
listens on it, not while the connections of a run just stopped wait out TCP's TIME_WAIT."""
from __future__ import annotations

import socket

import pytest

from infra.ports import PortInUse, check_free


def _listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress and the broker bind
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_port_something_listens_on_is_in_use_with_its_variable_named():
    server = _listener()
    try:
        with pytest.raises(PortInUse, match=r"port \d+ \(resources\) is already in use; set RESOURCES_PORT=<port>"):
            check_free("resources", server.getsockname()[1])
    finally:
        server.close()


def test_a_port_whose_server_just_stopped_is_free_though_its_connections_linger_in_time_wait():
    server = _listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()                # the server closes first: its side of the connection waits in TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(OSError):  # what the look did before: a bind without SO_REUSEADDR is refused
        plain.bind(("127.0.0.1", port))
    plain.close()
    check_free("resources", port)  # the service itself could bind it: so may the look


def test_ports_asked_together_are_all_different_and_none_of_those_excluded():
    """A cluster's services get their ports together: two given one port (asked one at a time, the system
    may hand back a port it just released) left one unable to bind and its callers talking to the other."""
    from infra.ports import free_ports
    first = free_ports(300)
    assert len(set(first)) == 300
    again = free_ports(300, exclude=set(first))   # `first` are released: without `exclude` some could recur
    assert len(set(again)) == 300 and not set(again) & set(first)
