"""The words an order is printed and shown in: every specialty tag and language the intake lexicon knows
has a name in both languages (twin.ui.messages.tag_name), an unknown one is kept as written, and the
approver is named from the user list."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from twin.ui.messages import LANGUAGE_NAMES, TAG_NAMES, tag_name
from twin.ui.order_print import approver

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
