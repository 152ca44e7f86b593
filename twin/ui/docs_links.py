"""Links from the twin to the services' API documentation (/docs on each service).

The pages are public, but the twin links a service's documentation only to a role the permission
table lets call at least one of that service's endpoints (the public ones aside): an integrator or
a commander sees all four, a support officer or a viewer only the services they use.
The addresses are the ones a browser reaches: `<NAME>_PUBLIC_URL` (behind a gateway, or the
published port of a container), else the address the twin itself calls (`<NAME>_URL`, loopback).
"""
from __future__ import annotations

import os
from typing import Mapping

from services.common import api_docs, permissions
from twin.mirror.client import service_urls


def readable_services(role: str) -> list[str]:
    """The services whose documentation `role` is shown: those the table grants it an endpoint of."""
    table = permissions.table()
    return [name for name in service_urls({})
            if any(role in grants for endpoint, grants in table.rules(name).items() if endpoint not in table.public)]


def public_urls(env: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if env is None else env
    internal = service_urls(env)
    return {name: (env.get(f"{name.upper()}_PUBLIC_URL") or url).rstrip("/") for name, url in internal.items()}


def doc_links(role: str, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(service, address of its /docs) for every service whose documentation `role` is shown."""
    urls = public_urls(env)
    return [(name, urls[name] + api_docs.PATH) for name in readable_services(role)]
