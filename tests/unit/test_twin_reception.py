"""The receiving side's reception page (/reception): the twin's forms over logistics' own deployments API,
with the real logistics service behind them (its test client), so its rules decide: the region, the
role, the county's lodging capacity and the medic every team takes."""
from __future__ import annotations

import html
import re

import pytest

from services.common.auth import Identity, headers_for
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel
from twin.ui.app import create_app
from twin.ui.navbar import navbar
from twin.ui.signin import SignedIn

from ..system import ClientSession
from .test_logistics_flow import EMERGENCY, dispatched, emitted, now, service  # noqa: F401 - the fixtures

DONGYANG = Identity("dy-duty", "county_duty_officer", "330783")   # the receiving county
XIHU = Identity("xh-duty", "county_duty_officer", "330106")       # another county
JINHUA = Identity("jh-commander", "city_commander", "330700")     # 东阳's city
PROVINCE = Identity("zj-commander", "province_commander", "330000")
SAME_SITE = {"Origin": "http://localhost"}


@pytest.fixture
def twin(service):  # noqa: F811
    runtime, logistics = service
    dispatched(runtime, EMERGENCY)  # the example plan: 6 officers in 3 units to 东阳, one deployment
    (dep,) = logistics.get("/deployments", headers=headers_for(PROVINCE)).get_json()
    client = ServicesClient({"logistics": "http://logistics"}, session=ClientSession(logistics))
    app = create_app(ProvinceModel(seed=0), demo=False, secret="s" * 48, client=client)
    return runtime, logistics, app.server.test_client(), dep["deployment_id"]


def page(tw, who: Identity, query: str = "") -> str:
    resp = tw.get("/reception" + query, headers=headers_for(who))
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def post(tw, who: Identity, path: str, form: dict, origin: dict = SAME_SITE):
    return tw.post(path, data=form, headers={**headers_for(who), **origin})


def after(tw, who: Identity, resp) -> str:
    """The page the form's redirect leads to (POST, redirect, GET), as `who`."""
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/reception?")
    return page(tw, who, "?" + resp.headers["Location"].split("?", 1)[1].split("#")[0])


def arrangements(logistics, dep_id: str) -> dict:
    return logistics.get(f"/deployments/{dep_id}", headers=headers_for(PROVINCE)).get_json()["arrangements"]


def test_the_receiving_county_sees_what_is_still_to_arrange_and_records_it(twin):
    runtime, logistics, tw, dep_id = twin
    html = page(tw, DONGYANG)
    assert f"id='dep-{dep_id}'" in html and "东阳市 · III级 · 6 人" in html
    assert "待落实：住宿、就餐、交通、随队医护" in html
    assert re.findall(r"<select name='(\w+)\.status'", html) == ["lodging", "meals", "transport", "medic"]
    medic = re.search(r"<select name='medic.status'.*?</select>", html).group(0)
    assert "not_needed" not in medic  # a medic travels with every team: not offered as "not needed"
    resp = post(tw, DONGYANG, f"/reception/{dep_id}/arrangements", {
        "lang": "zh", "lodging.status": "arranged", "lodging.detail": "东阳市公安局培训中心宿舍", "lodging.quantity": "6",
        "meals.status": "arranged", "meals.detail": "局食堂三餐", "meals.quantity": "",
        "transport.status": "pending", "medic.status": "arranged"})
    location = resp.headers["Location"]
    saved = arrangements(logistics, dep_id)
    assert saved["lodging"] == {"status": "arranged", "detail": "东阳市公安局培训中心宿舍", "quantity": 6}
    assert saved["meals"]["status"] == "arranged" and saved["meals"]["detail"] == "局食堂三餐"
    assert saved["transport"]["status"] == "pending" and saved["medic"]["status"] == "arranged"
    (event,) = emitted(runtime, "logistics.arranged")
    assert event["lodging"]["detail"] == "东阳市公安局培训中心宿舍"
    html = after(tw, DONGYANG, resp)
    assert "已保存，后勤已记录。" in html and "待落实：交通" in html and "东阳市公安局培训中心宿舍" in html
    assert "已保存" not in page(tw, DONGYANG, "?" + location.split("?", 1)[1].split("#")[0])  # said once


def test_logistics_refusals_are_shown_with_the_field_and_nothing_changes(twin):
    runtime, logistics, tw, dep_id = twin
    before = arrangements(logistics, dep_id)
    # beyond the county's free beds: logistics names the refusal and its figures, the page words it
    resp = post(tw, DONGYANG, f"/reception/{dep_id}/arrangements",
                {"lang": "zh", "lodging.status": "arranged", "lodging.quantity": "100000"})
    assert re.search(r"未保存：住宿床位不足：申请 100000 张，东阳市目前空余 \d+ 张（共 \d+ 张）", after(tw, DONGYANG, resp))
    resp = post(tw, DONGYANG, f"/reception/{dep_id}/arrangements",
                {"lang": "en", "lodging.status": "arranged", "lodging.quantity": "100000"})
    assert re.search(r"Not saved: Not enough beds: 100000 asked, Dongyang City has \d+ free of \d+",
                     after(tw, DONGYANG, resp))
    # another county's duty officer posting to 东阳's deployment: logistics refuses by role and region
    resp = post(tw, XIHU, f"/reception/{dep_id}/arrangements", {"lang": "zh", "meals.status": "arranged"})
    assert "未保存：这批支援警力涉及金东区、磐安县、义乌市、东阳市，不在您的辖区（西湖区）内" in after(tw, XIHU, resp)
    resp = post(tw, XIHU, f"/reception/{dep_id}/arrangements", {"lang": "en", "meals.status": "arranged"})
    assert "This deployment concerns Jindong District, Pan'an County, Yiwu City, Dongyang City, outside your " \
           "region (Xihu District)" in html.unescape(after(tw, XIHU, resp))
    # a refusal the twin does not know by name is shown as logistics gave it, with its field
    resp = post(tw, DONGYANG, f"/reception/{dep_id}/arrangements",
                {"lang": "zh", "lodging.status": "arranged", "lodging.quantity": "many"})
    assert "未保存：lodging.quantity: " in after(tw, DONGYANG, resp)
    assert arrangements(logistics, dep_id) == before and emitted(runtime, "logistics.arranged") == []
    # a form posted from another site never reaches logistics
    refused = post(tw, DONGYANG, f"/reception/{dep_id}/arrangements", {"meals.status": "arranged"},
                   origin={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403 and arrangements(logistics, dep_id) == before
    # the page says only what came of the user's own form: a link cannot put words in it
    crafted = page(tw, DONGYANG, f"?deployment={dep_id}&error=call+0571-000&notice=saved")
    assert "0571" not in crafted and "已保存" not in crafted and "未保存" not in crafted


def test_each_region_sees_only_what_it_receives_and_only_the_receiving_side_gets_the_forms(twin):
    _runtime, _logistics, tw, dep_id = twin
    assert dep_id not in page(tw, XIHU) and "本辖区目前没有接收中的支援警力" in page(tw, XIHU)
    city = page(tw, JINHUA)
    assert dep_id in city and "<select name='lodging.status'" in city   # 东阳 is in 金华市: the city may record
    province = page(tw, PROVINCE, "?lang=en")
    assert dep_id in province and "<select" not in province and "may read this" in province
    support = Identity("yw-leader", "support_officer", "330782")
    assert "<select" not in page(tw, support)


def test_the_receiving_command_releases_the_deployment_once_confirmed(twin):
    runtime, logistics, tw, dep_id = twin
    unconfirmed = post(tw, DONGYANG, f"/reception/{dep_id}/release", {"lang": "zh", "outcome": "completed"})
    assert "未保存：确认解除本批支援警力" in after(tw, DONGYANG, unconfirmed)
    assert emitted(runtime, "deployment.released") == []
    resp = post(tw, DONGYANG, f"/reception/{dep_id}/release", {"lang": "zh", "outcome": "completed",
                                                                "note": "任务完成", "confirm": "yes"})
    assert "已解除" in after(tw, DONGYANG, resp)
    (released,) = emitted(runtime, "deployment.released")
    assert released["deployment_id"] == dep_id and released["outcome"] == "completed"
    assert dep_id not in page(tw, DONGYANG)  # released: no longer received


def test_the_navigation_links_the_page_for_the_receiving_side_and_the_commanders():
    def linked(who: Identity) -> bool:
        return "reception-link" in str(navbar(SignedIn(who, "t", who.subject), "zh", False, "/"))
    assert linked(DONGYANG) and linked(JINHUA) and linked(PROVINCE)
    assert not linked(Identity("yw-leader", "support_officer", "330782"))
    assert not linked(Identity("zj-viewer", "viewer", "330000"))


def test_the_unit_leaders_phone_is_told_why_logistics_refused_in_its_language(twin):
    _runtime, logistics, tw, _dep_id = twin
    order = logistics.get("/orders", headers=headers_for(PROVINCE)).get_json()[0]
    xihu_leader = Identity("xh-leader", "support_officer", "330106")   # not a county this order concerns
    ack = {"key": "k" * 16, "unit_id": order["unit_id"]}
    refused = tw.post(f"/field/orders/{order['order_id']}/ack?lang=zh", json=ack,
                      headers={**headers_for(xihu_leader), **SAME_SITE})
    answer = refused.get_json()
    assert refused.status_code == 403 and answer["errors"][0]["code"] == "permission.object"
    assert answer["said"].startswith("该调令涉及") and answer["said"].endswith("不在您的辖区（西湖区）内")
    again = tw.post(f"/field/orders/{order['order_id']}/ack?lang=en", json=ack,
                    headers={**headers_for(xihu_leader), **SAME_SITE}).get_json()
    assert again["repeated"] is True and again["said"].endswith("outside your region (Xihu District)")
    assert logistics.get(f"/orders/{order['order_id']}", headers=headers_for(PROVINCE)).get_json()["acknowledged_at"] is None
