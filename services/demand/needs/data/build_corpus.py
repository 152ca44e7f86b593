"""Builds train.jsonl and test.jsonl, the labelled needs the intake matcher is trained and measured on.

Run once (`python services/demand/needs/data/build_corpus.py`); its output is committed and reviewed.
Descriptions are written two ways: whole descriptions written by hand (HAND_TRAIN, HAND_TEST), and
descriptions composed from hand-written parts: what happened, how the need is introduced, each group
of officers asked for (with its labels), how numbers are written, and what follows (time, place, contact,
noise). Train and test use DIFFERENT phrasings of every part, different frames and different number
styles, so the test set measures wording the matcher was not trained on. Seeded: the same files every run.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
INV, TECH, RIOT, PATROL, TRAFFIC, RESCUE = ("investigation", "technical_support", "riot_control", "patrol",
                                            "traffic", "emergency_rescue")


def L(module, tags=(), certs=(), equip=()):
    return {"module": module, "tags": sorted(tags), "certifications": sorted(certs), "equipment": sorted(equip)}


# (labels, train phrasings, test phrasings): the group of officers asked for, without its number
ROLES = [
    (L(INV, ["cybercrime_investigation"]), ["反诈民警", "网安民警", "涉网犯罪侦查民警", "电诈案件侦查员"],
     ["反电诈办案民警", "网侦民警", "打击电诈的刑警", "反诈骗中心民警"]),
    (L(INV, ["cybercrime_investigation", "foreign_language:vi"]), ["懂越南语的反诈民警", "会越南话的网安民警"],
     ["越南语熟练的反诈骗民警", "能讲越语的网警"]),
    (L(INV, ["cybercrime_investigation", "foreign_language:my"]), ["懂缅甸语的反诈民警"], ["会缅语的网安民警"]),
    (L(INV, ["foreign_language:en"]), ["会英语的刑警", "懂英语的侦查员"], ["英语好的办案民警"]),
    (L(TECH, ["e_forensics"]), ["电子取证人员", "电子数据取证技术人员"], ["手机取证专家", "电子物证技术民警"]),
    (L(TECH, ["e_forensics"], ["e_forensics_examiner"]), ["持证电子取证人员"], ["有取证资质的电子数据取证民警"]),
    (L(TECH, ["e_forensics"], equip=["forensic_kit"]), ["带取证设备的电子取证人员"], ["自带取证箱的数据取证技术人员"]),
    (L(INV, ["financial_investigation"]), ["经侦民警", "资金查控人员"], ["查资金流向的经侦骨干"]),
    (L(RIOT, ["negotiation"]), ["谈判专家", "谈判员"], ["危机谈判手", "负责喊话劝说的谈判民警"]),
    (L(RIOT, ["negotiation"], ["crisis_negotiator"]), ["持证谈判专家"], ["有谈判资质的民警"]),
    (L(RIOT, ["negotiation", "foreign_language:en"]), ["会英语的谈判专家"], ["能用英语喊话的谈判员"]),
    (L(RIOT, ["mass_incident_handling"]), ["处置群体性事件的特警", "群体性事件处置民警"], ["懂人群管控的防暴队员"]),
    (L(RIOT), ["特警", "防暴队员", "特警队员"], ["处突队员", "快反力量", "机动队员"]),
    (L(RIOT, certs=["firearms"]), ["持枪特警", "配枪的特警队员"], ["荷枪实弹的处突队员"]),
    (L(RIOT, equip=["riot_shield_set"]), ["带盾牌的特警"], ["配防暴装备的机动队员"]),
    (L(RIOT, ["sniper"]), ["狙击手"], ["精确射手"]),
    (L(RIOT, ["sniper"], ["marksman"]), ["持证狙击手"], ["有狙击资质的特警"]),
    (L(TECH, ["eod"]), ["排爆手", "排爆专家"], ["拆弹专家", "爆炸物处置人员"]),
    (L(TECH, ["eod"], equip=["eod_robot"]), ["带排爆机器人的排爆手"], ["配排爆机器人的拆弹专家"]),
    (L(TECH, ["drone_pilot"]), ["无人机操作员", "无人机飞手"], ["会飞无人机的民警", "无人机驾驶员"]),
    (L(TECH, ["drone_pilot"], ["uav_pilot_licence"]), ["持证无人机飞手"], ["有无人机执照的飞手"]),
    (L(TECH, ["drone_pilot"], equip=["drone"]), ["带无人机的飞手"], ["自带无人机的无人机操作员"]),
    (L(TECH, ["video_analysis"]), ["视频侦查民警", "图侦人员"], ["视频研判技术人员"]),
    (L(TECH, ["comms_engineering"]), ["通信保障技术人员"], ["应急通信保障民警"]),
    (L(TECH, ["comms_engineering"], equip=["mobile_command_vehicle"]), ["带指挥车的通信保障人员"],
     ["开移动指挥车来的信通民警"]),
    (L(PATROL, ["k9"]), ["警犬训导员", "带犬民警"], ["警犬技术民警"]),
    (L(RESCUE, ["swimming_rescue"]), ["水上救援人员", "水域救援队员"], ["会游泳的搜救队员", "蛙人"]),
    (L(RESCUE, ["swimming_rescue"], ["lifesaving"]), ["持救生员证的水上救援人员"], ["有救生员资格的水域救援队员"]),
    (L(RESCUE, ["first_aid"]), ["医护人员", "卫生员"], ["随队医护人员", "战地救护人员"]),
    (L(RESCUE, ["first_aid"], ["first_aid"]), ["有急救证的医护人员"], ["持红十字救护员证的卫生员"]),
    (L(RESCUE, ["rope_rescue"]), ["绳索救援队员"], ["会索降的救援人员"]),
    (L(RESCUE, ["life_detection"]), ["生命探测人员"], ["废墟搜救队员"]),
    (L(RESCUE, equip=["life_detector"]), ["带生命探测仪的搜救人员"], ["携生命探测器的救援队员"]),
    (L(TRAFFIC, ["accident_reconstruction"]), ["事故勘查民警", "事故处理民警"], ["事故鉴定交警"]),
    (L(TRAFFIC), ["交警", "交通民警"], ["铁骑队员", "交巡警"]),
    (L(TRAFFIC, equip=["vehicle"]), ["带警车的交警"], ["开警用车辆的交通警察"]),
    (L(PATROL), ["巡逻民警", "派出所民警", "警力"], ["巡防队员", "治安民警", "警员"]),
    (L(PATROL, ["interpreter_sign"]), ["懂手语的民警"], ["会手语的社区民警"]),
    (L(INV), ["刑警", "侦查员"], ["办案民警", "刑侦骨干"]),
    (L(RESCUE), ["救援人员", "搜救队员"], ["抢险队员"]),
    (L(PATROL, equip=["body_camera"]), ["带执法记录仪的巡逻民警"], ["配执法记录仪的治安民警"]),
    (L(PATROL, ["foreign_language:ko"]), ["懂韩语的巡警"], ["会讲朝鲜话的派出所民警"]),
    (L(PATROL, ["foreign_language:ja"]), ["会日语的民警"], ["日语翻译"]),
    (L(PATROL, ["foreign_language:ru"]), ["俄语翻译"], ["懂俄文的巡逻民警"]),
    (L(PATROL, ["foreign_language:ar"]), ["阿拉伯语翻译"], ["会阿语的民警"]),
    (L(TECH, ["e_forensics", "foreign_language:th"]), ["懂泰语的电子取证人员"], ["会泰国话的手机取证专家"]),
    (L(RIOT, ["first_aid"]), ["懂急救的特警"], ["会包扎急救的防暴队员"]),
    (L(PATROL, ["first_aid"]), ["会急救的巡逻民警"], ["懂心肺复苏的派出所民警"]),
]

# number styles: (how written, value) → (text, headcount); "pre" goes before the group, "post" after
TRAIN_COUNTS = [("post", "{n}名"), ("post", "{n}人"), ("pre", "{cn}名"), ("post", "{cn}名"), ("pre", "{n}名"),
                ("range", "{a}-{n}人"), ("about", "{cn10}余人"), ("unit", "一个班的"), ("none", "")]
TEST_COUNTS = [("pre", "{cn}位"), ("post", "{cn}个"), ("pre", "{cn}个"), ("about", "{cn10}来人"),
               ("range", "{a}至{n}名"), ("unit", "一个小组的"), ("post", "{n}名左右"), ("none", ""), ("pre", "{n}个")]
CN = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十", 12: "十二",
      15: "十五", 20: "二十", 30: "三十"}
UNIT_SIZE = {"一个班的": 10, "一个小组的": 5}

SITUATIONS_TRAIN = ["{place}发生一起跨境电信诈骗案，涉案人员约{k}人", "{place}景区游客聚集，人数已超过{k}人",
                    "受强降雨影响{place}多处内涝，{k}余名群众被困", "{place}一工地发生纠纷，现场有{k}名工人聚集",
                    "{place}高速发生多车追尾", "{place}一商场发现可疑爆炸物", "{place}有人员持刀劫持人质",
                    "{place}走失一名老人", "{place}今晚举办大型演唱会，预计观众{k}人", ""]
SITUATIONS_TEST = ["{place}出了个大案子，骗了几百号人", "{place}河段涨水，有{k}多人困在村里",
                   "{place}码头上有人闹事，来了{k}来个", "{place}国道上翻了辆大货车", "{place}山上有驴友失联",
                   "{place}外商洽谈会明天开幕", "{place}一小区发现不明包裹", ""]
LEADS_TRAIN = ["需要", "请求支援", "急需", "现申请增援", "请派"]
LEADS_TEST = ["麻烦派", "请市局协调", "盼速调", "需调派", "申请抽调"]
JOIN_TRAIN = ["、", "，", "；另需", "，还需"]
JOIN_TEST = ["，还要", "；同时要", "，外加", "，再派"]
TAILS_TRAIN = ["", "，今晚到{place}", "，2小时内到位", "。联系人：王警官13857100001", "，情况紧急！", "，请尽快。"]
TAILS_TEST = ["", "，越快越好", "，明早七点前赶到{place}集合", "。对接人李队，电话0571-87000000", "！！！急", "，谢谢"]
PLACES_TRAIN = ["东阳", "义乌", "西湖区", "萧山", "瑞安", "柯桥", "临安"]
PLACES_TEST = ["永康", "乐清", "余杭", "诸暨", "海宁", "桐乡"]


def render_count(style, rng):
    kind, fmt = style
    n = rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30])
    if kind == "none":
        return "", "", None
    if kind == "unit":
        return fmt, "", UNIT_SIZE[fmt]
    if kind == "about":
        k = rng.choice([1, 2, 3])
        return "", fmt.format(cn10=CN[10 * k] if 10 * k in CN else str(10 * k)), 10 * k
    if kind == "range":
        a = rng.choice([2, 3, 4])
        n = a + rng.choice([2, 3])
        return "", fmt.format(a=a, n=n), n
    text = fmt.format(n=n, cn=CN.get(n, str(n)))
    return (text, "", n) if kind == "pre" else ("", text, n)


def compose(rng, phrases, counts, situations, leads, joins, tails, places, prefix, n):
    out = []
    for i in range(n):
        place = rng.choice(places)
        situation = rng.choice(situations).format(place=place, k=rng.choice([30, 50, 80, 200, 300]))
        text = (situation + "，") if situation else ""
        text += rng.choice(leads)
        lines = []
        for j in range(rng.choice([1, 1, 2, 2, 3])):
            labels, phrase = rng.choice(phrases)
            pre, post, headcount = render_count(rng.choice(counts), rng)
            if j:
                text += rng.choice(joins)
            start = len(text)
            text += pre + phrase + post
            lines.append(dict(labels, headcount=headcount, span=text[start:]))
        text += rng.choice(tails).format(place=rng.choice(places))
        out.append({"id": f"{prefix}-{i + 1:03d}", "text": text, "lines": lines})
    return out


def H(text, *lines):
    return {"text": text, "lines": [dict(L(m, t, c, e), headcount=h, span=s) for s, m, t, c, e, h in lines]}


# Written by hand: whole descriptions as a county duty officer might send them (dialect, shorthand, noise).
HAND_TRAIN = [
    H("需要懂越南语的反诈民警5名、无人机操作员2名，今晚到东阳",
      ("懂越南语的反诈民警5名", INV, ["cybercrime_investigation", "foreign_language:vi"], [], [], 5),
      ("无人机操作员2名", TECH, ["drone_pilot"], [], [], 2)),
    H("刑警、特警各10名，速来", ("刑警", INV, [], [], [], 10), ("特警各10名", RIOT, [], [], [], 10)),
    H("特警10名和交警5名", ("特警10名", RIOT, [], [], [], 10), ("和交警5名", TRAFFIC, [], [], [], 5)),
    H("现场约200人聚集，请求支援一个班的特警", ("请求支援一个班的特警", RIOT, [], [], [], 10)),
    H("不需要特警，需要持证谈判专家2名", ("需要持证谈判专家2名", RIOT, ["negotiation"], ["crisis_negotiator"], [], 2)),
    H("测试", ),
    H("收到请回复", ),
    H("人手不够，派二十个巡逻民警过来", ("派二十个巡逻民警", PATROL, [], [], [], 20)),
    H("水库下游有群众落水，急需水上救援人员8名，带冲锋舟", ("急需水上救援人员8名", RESCUE, ["swimming_rescue"], [], [], 8)),
    H("诈骗窝点在城中村，要经侦3名、电子取证4名",
      ("要经侦3名", INV, ["financial_investigation"], [], [], 3), ("电子取证4名", TECH, ["e_forensics"], [], [], 4)),
    H("山体滑坡埋压民房，需救援人员30名，另需带两台生命探测仪的搜救人员十余人",
      ("需救援人员30名", RESCUE, [], [], [], 30),
      ("另需带两台生命探测仪的搜救人员十余人", RESCUE, [], [], ["life_detector"], 10)),
    H("体育馆发现可疑包裹，请派排爆手2名，带排爆机器人", ("请派排爆手2名", TECH, ["eod"], [], ["eod_robot"], 2)),
    H("追逃需要图侦人员3名", ("追逃需要图侦人员3名", TECH, ["video_analysis"], [], [], 3)),
    H("外宾团到访，需要会英语的巡逻民警6名", ("需要会英语的巡逻民警6名", PATROL, ["foreign_language:en"], [], [], 6)),
    H("高速连环追尾，交警15名、事故勘查民警2名、医护人员4名",
      ("交警15名", TRAFFIC, [], [], [], 15), ("事故勘查民警2名", TRAFFIC, ["accident_reconstruction"], [], [], 2),
      ("医护人员4名", RESCUE, ["first_aid"], [], [], 4)),
    H("hello, need 5 officers", ("need 5 officers", PATROL, [], [], [], 5)),
    H("集访人员情绪激动，需处置群体性事件的特警30名、谈判员2名，持枪",
      ("需处置群体性事件的特警30名", RIOT, ["mass_incident_handling"], [], [], 30),
      ("谈判员2名", RIOT, ["negotiation"], [], [], 2)),
    H("警犬训导员两名带搜救犬进山搜索", ("警犬训导员两名带搜救犬进山搜索", PATROL, ["k9"], [], [], 2)),
    H("今晚演唱会散场，交通疏导需要交警若干", ("交通疏导需要交警若干", TRAFFIC, [], [], [], None)),
    H("通信中断，需要带指挥车的通信保障人员5名", ("需要带指挥车的通信保障人员5名", TECH, ["comms_engineering"], [],
                                                     ["mobile_command_vehicle"], 5)),
]
HAND_TEST = [
    H("派出所人手吃紧，麻烦支援巡逻警力十来个", ("麻烦支援巡逻警力十来个", PATROL, [], [], [], 10)),
    H("电诈团伙有外籍人员，要会讲越南话的网安五个，再派两个懂俄语的",
      ("要会讲越南话的网安五个", INV, ["cybercrime_investigation", "foreign_language:vi"], [], [], 5),
      ("再派两个懂俄语的", PATROL, ["foreign_language:ru"], [], [], 2)),
    H("江面有人落水，蛙人3个、冲锋舟驾驶员1个", ("蛙人3个", RESCUE, ["swimming_rescue"], [], [], 3),
      ("冲锋舟驾驶员1个", RESCUE, ["swimming_rescue"], [], [], 1)),
    H("村民堵路讨说法，防暴队员四十名，谈判专家两位",
      ("防暴队员四十名", RIOT, [], [], [], 40), ("谈判专家两位", RIOT, ["negotiation"], [], [], 2)),
    H("？？？", ),
    H("好的收到", ),
    H("请尽快安排", ),
    H("商场有爆炸物嫌疑，拆弹专家两名，另带一台排爆机器人", ("拆弹专家两名", TECH, ["eod"], [], ["eod_robot"], 2)),
    H("山里失联三人，请调搜救队员20名、飞手3名带无人机",
      ("请调搜救队员20名", RESCUE, [], [], [], 20), ("飞手3名带无人机", TECH, ["drone_pilot"], [], ["drone"], 3)),
    H("We need two interpreters", ),
    H("嫌疑人持刀挟持人质，急需狙击手2名、谈判员1名、特警一个排",
      ("急需狙击手2名", RIOT, ["sniper"], [], [], 2), ("谈判员1名", RIOT, ["negotiation"], [], [], 1),
      ("特警一个排", RIOT, [], [], [], 30)),
    H("货车侧翻在国道上，事故处理民警3名，交警8名",
      ("事故处理民警3名", TRAFFIC, ["accident_reconstruction"], [], [], 3), ("交警8名", TRAFFIC, [], [], [], 8)),
    H("涉案资金流向境外，需经侦骨干4名", ("需经侦骨干4名", INV, ["financial_investigation"], [], [], 4)),
    H("聋哑人走失，需懂手语的民警1名", ("需懂手语的民警1名", PATROL, ["interpreter_sign"], [], [], 1)),
    H("暴雨内涝，请增援抢险队员五六十人，医护三名",
      ("请增援抢险队员五六十人", RESCUE, [], [], [], 60), ("医护三名", RESCUE, ["first_aid"], [], [], 3)),
    H("服务器被黑，需要网安民警2名和电子取证人员2名",
      ("需要网安民警2名", INV, ["cybercrime_investigation"], [], [], 2),
      ("和电子取证人员2名", TECH, ["e_forensics"], [], [], 2)),
    H("工厂讨薪闹事，需要特警队员二十名、带盾牌", ("需要特警队员二十名", RIOT, [], [], ["riot_shield_set"], 20)),
    H("asdfgh 123", ),
    H("视频追踪嫌疑车辆，需要视频侦查民警两名", ("需要视频侦查民警两名", TECH, ["video_analysis"], [], [], 2)),
    H("悬崖下有人受伤，绳索救援队员4名、卫生员1名",
      ("绳索救援队员4名", RESCUE, ["rope_rescue"], [], [], 4), ("卫生员1名", RESCUE, ["first_aid"], [], [], 1)),
]


def main() -> None:
    rng = random.Random(20250101)
    train_phrases = [(labels, p) for labels, tr, _ in ROLES for p in tr]
    test_phrases = [(labels, p) for labels, _, te in ROLES for p in te]
    train = compose(rng, train_phrases, TRAIN_COUNTS, SITUATIONS_TRAIN, LEADS_TRAIN, JOIN_TRAIN, TAILS_TRAIN,
                    PLACES_TRAIN, "train", 200)
    test = compose(rng, test_phrases, TEST_COUNTS, SITUATIONS_TEST, LEADS_TEST, JOIN_TEST, TAILS_TEST,
                   PLACES_TEST, "test", 110)
    for prefix, items, hand in (("train", train, HAND_TRAIN), ("test", test, HAND_TEST)):
        for i, h in enumerate(hand):
            for line in h["lines"]:
                assert line["span"] in h["text"], (h["text"], line["span"])
            items.append(dict(h, id=f"{prefix}-hand-{i + 1:02d}"))
        with (HERE / f"{prefix}.jsonl").open("w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(prefix, len(items))


if __name__ == "__main__":
    main()
