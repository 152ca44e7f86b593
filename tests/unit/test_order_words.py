"""The words an order is printed and shown in: every specialty tag and language the intake lexicon knows
has a name in both languages (twin.ui.messages.tag_name), an unknown one is kept as written, and the
approver is named from the user list; the officers it lists are read from resources as the user."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml

from tests.helpers import StubResponse
from twin.mirror.client import ServicesClient
from twin.ui import order_print
from twin.ui.messages import LANGUAGE_NAMES, TAG_NAMES, tag_name
from twin.ui.order_print import approver, officers

LEXICON = Path(__file__).resolve().parents[2] / "services" / "demand" / "needs" / "data" / "lexicon.yaml"


def test_every_tag_and_language_of_the_lexicon_has_a_name():
    doc = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    assert set(doc["tags"]) <= TAG_NAMES.keys()
    assert {code for code in doc["languages"] if code != "source"} <= LANGUAGE_NAMES.keys()
    for tag, entry in doc["tags"].items():
        assert tag_name(tag, "zh") == entry["words"][0], tag   # the lexicon's standard term comes first


@pytest.mark.parametrize(("tag", "zh", "en"), [
    ("cybercrime_investigation", "涉网犯罪侦查", "cybercrime investigation"),
    ("foreign_language:vi", "越南语", "Vietnamese"),
    ("foreign_language", "外语", "foreign language"),
    ("foreign_language:xx", "foreign_language:xx", "foreign_language:xx"),
    ("mobile_forensics", "mobile_forensics", "mobile_forensics"),
])
def test_a_tag_is_named_in_the_language_asked_or_kept_as_written(tag, zh, en):
    assert (tag_name(tag, "zh"), tag_name(tag, "en")) == (zh, en)


def test_the_approver_is_named_from_the_user_list_when_it_is_there():
    names = {"zj-commander": "省公安厅指挥中心值班长"}
    assert approver("zj-commander", names) == "zj-commander（省公安厅指挥中心值班长）"
    assert approver("U-330000-0031 值班长", names) == "U-330000-0031 值班长"


class _Resources:
    """resources' GET /officers?ids=: `missing` are not shown, and from `down_after` reads on it does not
    answer (`refusing`: it answers 503 instead)."""

    def __init__(self, missing=(), down_after=None, refusing=False):
        self.missing, self.down_after, self.refusing, self.reads = set(missing), down_after, refusing, []

    def get(self, url, params=None, headers=None, timeout=None):
        assert url == "http://resources/officers" and headers == {"Authorization": "Bearer user-token"}  # the user's own token
        if self.down_after is not None and len(self.reads) >= self.down_after:
            if self.refusing:
                return StubResponse(503, {"title": "Service Unavailable"})
            raise requests.ConnectionError("refused")
        asked = params["ids"].split(",")
        self.reads.append(asked)
        return StubResponse(200, {"items": [{"officer_id": o, "name": "警员"} for o in asked if o not in self.missing],
                                  "not_shown": [o for o in asked if o in self.missing]})


def test_the_printed_order_reads_its_officers_by_id_with_the_users_token_and_stops_when_resources_is_gone(monkeypatch):
    ids = [f"ZJ330782-{i:05d}" for i in range(121)]
    fine = _Resources(missing={ids[3]})
    got = officers(ServicesClient({"resources": "http://resources"}, session=fine), ids, "user-token")
    assert set(got) == set(ids) - {ids[3]} and got[ids[0]]["name"] == "警员"
    assert fine.reads == [ids]                                   # the plan's 121 officers in one read
    monkeypatch.setattr(order_print, "OFFICER_READS", 50)
    for gone in (_Resources(down_after=1), _Resources(down_after=1, refusing=True)):
        got = officers(ServicesClient({"resources": "http://resources"}, session=gone), ids, "user-token")
        assert list(got) == ids[:50] and gone.reads == [ids[:50]]   # the reads after the failure are not tried
    assert officers(ServicesClient({}, session=fine), ids, "user-token") == {}
