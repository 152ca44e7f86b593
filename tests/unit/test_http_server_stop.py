"""A service's HTTP server stops when told, though a client keeps its connection alive (Prometheus
between scrapes, the twin's session): closing only the listening socket left waitress's loop running
until the client hung up or the channel timeout (120 s) passed."""
from __future__ import annotations

import socket
import threading
import time

from flask import Flask

from infra.ports import free_port
from services.common.runtime import HttpServer


def _app() -> Flask:
    app = Flask("stop-test")

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/slow")
    def slow():
        time.sleep(0.5)
        return {"status": "done"}

    return app


def _running(server: HttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return thread


def _kept_alive(port: int, path: str = "/health") -> socket.socket:
    """A client that sent one keep-alive request (read back when `path` is /health) and hangs on."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n".encode())
    answer = b""
    while path == "/health" and b'"ok"' not in answer:
        answer += client.recv(4096)
    return client


def test_a_kept_alive_connection_does_not_hold_the_server_up():
    port = free_port()
    server = HttpServer(_app(), "127.0.0.1", port, threads=2)
    thread = _running(server)
    client = _kept_alive(port)
    try:
        time.sleep(0.2)
        assert thread.is_alive()
        server.close()
        thread.join(3)
        assert not thread.is_alive()
        assert client.recv(1) == b""  # the server hung up on the client
    finally:
        client.close()


def test_a_request_in_hand_finishes_within_the_grace_before_the_connections_close():
    port = free_port()
    server = HttpServer(_app(), "127.0.0.1", port, threads=2)
    thread = _running(server)
    client = _kept_alive(port, "/slow")
    try:
        time.sleep(0.1)  # the request is in hand
        server.close(grace_s=5)
        client.settimeout(5)
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
        assert b"200 OK" in answer and b'"done"' in answer
        thread.join(3)
        assert not thread.is_alive()
    finally:
        client.close()
