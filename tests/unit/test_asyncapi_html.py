"""The event catalogue's HTML page (make contracts: contracts/asyncapi.html), rendered from the AsyncAPI
document: every topic with its payload's version and fields, and nothing fetched from anywhere."""
from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest
import yaml

from services.common import contracts
from services.common.config import CONTRACTS
from services.common.contracts import compat, main
from services.common.contracts.catalogue_html import render


@pytest.fixture(scope="module")
def doc():
    return contracts.asyncapi()


@pytest.fixture(scope="module")
def page(doc):
    return render(doc)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def section(page: str, topic: str) -> str:
    start = page.index(f'<h2 id="topic-{topic}">')
    end = page.find("<h2 ", start + 1)
    return page[start:end]


def test_every_topic_has_its_section_with_its_payload_version(doc, page):
    files = compat.contract_files(CONTRACTS)
    for t in contracts.topics():
        part = section(page, t.name)
        version = files[f"events/{t.name}.schema.json"]["x-version"]
        assert f"payload {version}" in part, t.name
        assert t.producer in part and all(c in part for c in t.consumers), t.name


def test_every_payload_field_is_listed_with_nested_lines_and_maps(page):
    schema = compat.contract_files(CONTRACTS)["events/support.requested.schema.json"]
    part = section(page, "support.requested")
    for name in schema["properties"]:
        assert f"<code>{name}</code>" in part, name
    assert "<code>lines[].module</code>" in part and "<code>local_share.{key}</code>" in part
    required = re.search(r"<code>request_id</code></td><td>.*?</td>\s*<td>(.*?)</td>", part, re.S).group(1)
    assert "yes" in required
    optional = re.search(r"<code>local_share</code></td><td>.*?</td>\s*<td>(.*?)</td>", part, re.S).group(1)
    assert "yes" not in optional


def test_the_page_loads_nothing_and_links_only_within_itself(page):
    found = tags(page)
    assert not [t for t, _ in found if t in ("script", "link", "img", "iframe", "object")]
    hrefs = [a["href"] for t, a in found if t == "a"]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    anchors = {a["id"] for _, a in found if "id" in a}
    assert {h[1:] for h in hrefs} <= anchors  # no link leads nowhere


def test_text_from_the_contracts_is_escaped(doc):
    hostile = copy.deepcopy(doc)
    hostile["channels"]["unit.arrived"]["description"] = '<script>alert("x")</script>'
    html = render(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_make_contracts_builds_the_page_from_the_yaml_document(tmp_path, capsysbinary):
    document = tmp_path / "asyncapi.yaml"
    document.write_text(contracts.asyncapi_yaml(), encoding="utf-8")
    assert main(["html", str(document)]) == 0
    built = capsysbinary.readouterr().out.decode("utf-8")
    assert built == render(yaml.safe_load(document.read_text(encoding="utf-8")))
    assert built.startswith("<!DOCTYPE html>") and built.count('<h2 id="topic-') == len(contracts.topics())
