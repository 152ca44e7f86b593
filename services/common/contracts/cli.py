"""The command line: python -m services.common.contracts asyncapi | html | registry DIR | rehash-examples | bench |
compat | release VERSION."""
from __future__ import annotations

import copy
import sys

import yaml

from . import compat
from .asyncapi_doc import asyncapi_yaml
from .bundling import write_broker_registry
from .catalogue_html import render as render_catalogue
from .examples import example_event, rehash_examples
from .loading import CONTRACTS, _topics, topic
from .validation import validate_event


def _rate(events: list[tuple[str, dict]], seconds: float) -> float:
    """validate_event calls per second of CPU time (steady under a busy machine), best of 3."""
    import time
    best = 0.0
    for _ in range(3):
        n, start = 0, time.process_time()
        while time.process_time() - start < seconds / 3:
            for name, event in events:
                validate_event(name, event)
            n += len(events)
        best = max(best, n / (time.process_time() - start))
    return best


def _bench(seconds: float = 3.0) -> None:
    events = [(t.name, example_event(t.name)) for t in _topics()]
    for name, event in events:
        assert validate_event(name, event) == [], name
    print(f"validate_event: {_rate(events, seconds):,.0f} valid events/s (the {len(events)} examples)")
    broken = []
    for name, event in events:
        bad = copy.deepcopy(event)
        del bad["data"][topic(name).key]
        broken.append((name, bad))
    print(f"validate_event: {_rate(broken, seconds):,.0f} invalid events/s (jsonschema names the issues)")


def main(argv: list[str] | None = None) -> int:
    import argparse
    summary = sys.modules[__package__].__doc__.split("\n")[0]  # the package docstring's first line
    parser = argparse.ArgumentParser(prog="python -m services.common.contracts", description=summary)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("asyncapi", help="print the AsyncAPI 3.0 document (YAML)")
    page = sub.add_parser("html", help="print the event catalogue as one HTML page, from an AsyncAPI YAML file")
    page.add_argument("document", nargs="?", default=str(CONTRACTS / "asyncapi.yaml"))
    reg = sub.add_parser("registry", help="write the broker's schema registry files into DIR")
    reg.add_argument("directory")
    sub.add_parser("rehash-examples", help="rewrite seq/prevhash/hash of the example envelopes")
    sub.add_parser("bench", help="measure validate_event throughput")
    check = sub.add_parser("compat", help="check the event contracts against the newest release (exit 1 on a problem)")
    check.add_argument("--mode", choices=compat.MODES, default=compat.LEVEL)
    check.add_argument("--against", help="a release version (default: the newest in contracts/releases)")
    rel = sub.add_parser("release", help="snapshot the event contracts as contracts/releases/VERSION.json")
    rel.add_argument("version")
    rel.add_argument("--note", default="")
    args = parser.parse_args(argv)
    if args.command == "asyncapi":
        sys.stdout.buffer.write(asyncapi_yaml().encode("utf-8"))
    elif args.command == "html":
        with open(args.document, encoding="utf-8") as fh:
            sys.stdout.buffer.write(render_catalogue(yaml.safe_load(fh)).encode("utf-8"))
    elif args.command == "registry":
        for path in write_broker_registry(args.directory):
            print(path)
    elif args.command == "rehash-examples":
        for path in rehash_examples():
            print(path)
    elif args.command == "bench":
        _bench()
    elif args.command == "compat":
        return _compat(args.mode, args.against)
    elif args.command == "release":
        print(compat.write_release(CONTRACTS, args.version, args.note))
    return 0


def _compat(mode: str, against: str | None) -> int:
    versions = compat.releases(CONTRACTS)
    if not versions:
        print("no release in contracts/releases: nothing to be compatible with")
        return 0
    version = against or versions[-1]
    problems = compat.release_problems(compat.load_release(CONTRACTS, version), compat.contract_files(CONTRACTS), mode)
    for line in problems:
        print(line)
    print(f"event contracts against release {version} ({mode}): {len(problems)} problem(s)")
    return 1 if problems else 0
