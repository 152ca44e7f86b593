"""The keyword-matching baseline the matcher is measured against: one keyword per tag (the tag's
standard Chinese name), one per module, Arabic numerals followed by 名 or 人, one line per clause
cut at punctuation. What a spreadsheet filter or a first script would do.
"""
from __future__ import annotations

import re

TAG_KEYWORDS = {"cybercrime_investigation": "网络犯罪", "e_forensics": "电子取证", "financial_investigation": "经侦",
                "negotiation": "谈判", "mass_incident_handling": "群体性事件", "sniper": "狙击", "eod": "排爆",
                "drone_pilot": "无人机", "video_analysis": "视频侦查", "comms_engineering": "通信保障", "k9": "警犬",
                "swimming_rescue": "水上救援", "first_aid": "急救", "rope_rescue": "绳索救援",
                "life_detection": "生命探测", "accident_reconstruction": "事故勘查", "interpreter_sign": "手语",
                "foreign_language:en": "英语", "foreign_language:vi": "越南语", "foreign_language:ja": "日语",
                "foreign_language:ko": "韩语", "foreign_language:ru": "俄语", "foreign_language:ar": "阿拉伯语"}
MODULE_KEYWORDS = {"riot_control": "特警", "investigation": "刑警", "technical_support": "技术", "patrol": "巡逻",
                   "traffic": "交警", "emergency_rescue": "救援"}
TAG_MODULE = {"cybercrime_investigation": "investigation", "financial_investigation": "investigation",
              "negotiation": "riot_control", "mass_incident_handling": "riot_control", "sniper": "riot_control",
              "k9": "patrol", "interpreter_sign": "patrol", "accident_reconstruction": "traffic"}
CLAUSE = re.compile(r"[^。；;！!？?，,、\n]+")
COUNT = re.compile(r"(\d+)\s*[名人]")
PEOPLE = ("民警", "警", "人员", "队员", "员", "手", "专家")


def parse(text: str) -> list[dict]:
    out = []
    for m in CLAUSE.finditer(text or ""):
        clause = m.group()
        tags = sorted(t for t, k in TAG_KEYWORDS.items() if k in clause)
        module = next((mod for mod, k in MODULE_KEYWORDS.items() if k in clause), None)
        if not tags and module is None and not any(p in clause for p in PEOPLE):
            continue
        if module is None:
            module = TAG_MODULE.get(tags[0], "technical_support" if tags else "patrol") if tags else "patrol"
        count = COUNT.search(clause)
        out.append({"module": module, "tags": tags, "certifications": [], "equipment": [],
                    "headcount": int(count.group(1)) if count else None,
                    "span": {"start": m.start(), "end": m.end(), "text": clause}})
    return out
