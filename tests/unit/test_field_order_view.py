"""What a unit leader's phone is given of a dispatch order (twin.ui.field_page.view): the scope's tasks
in the page's language, a task written out by another system as written."""
from __future__ import annotations

from services.logistics.policy import Policy
from twin.ui.field_page import view
from twin.ui.messages import TASK_NAMES, task_name

ORDER = {"order_id": "ORD-1", "unit_id": "U330782-X-TECH002", "status": "sent", "from_county": "330782",
         "officer_ids": ["ZJ330782-00337"], "order": {
             "reporting_point": {"point": {"lon": 120.2412, "lat": 29.2896}, "county": "330783", "name": "东阳市现场指挥部"},
             "receiving_commander": "东阳市公安局指挥中心",
             "scope": {"from": "2026-12-04T21:51:35Z", "until": "2026-12-05T07:04:49Z",
                       "tasks": ["e_forensics", "evidence_collection", "现场电子证据固定与移交"],
                       "area": {"type": "Polygon", "coordinates": []}}}}


def test_the_scope_is_named_in_the_page_language_and_free_text_is_kept():
    zh, en = view(ORDER, "zh"), view(ORDER, "en")
    assert zh["scope"]["tasks"] == ["电子取证", "证据收集固定", "现场电子证据固定与移交"]
    assert en["scope"]["tasks"] == ["e-forensics", "evidence collection", "现场电子证据固定与移交"]
    assert set(zh["scope"]) == {"from", "until", "tasks"}   # the area stays with logistics
    assert zh["receiving_commander"] == "东阳市公安局指挥中心" and zh["officers"] == 1
    assert zh["unit_name"] is None and zh["unit_id"] == "U330782-X-TECH002"   # no name from the roster: the id
    assert view(ORDER, "zh", "义乌市公安局网安大队技术二中队")["unit_name"] == "义乌市公安局网安大队技术二中队"


def test_every_task_the_logistics_policy_can_grant_has_a_name_in_both_languages():
    policy = Policy.load()
    granted = {task for module in ("riot_control", "investigation", "technical_support", "patrol", "traffic",
                                   "emergency_rescue", "unknown_module") for task in policy.tasks_for([module])}
    assert granted and granted <= TASK_NAMES.keys()
    for task in granted:
        assert task_name(task, "zh") != task and "_" not in task_name(task, "en")
