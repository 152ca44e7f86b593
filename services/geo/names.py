"""Chinese place names in English: Hanyu Pinyin with the kind of unit spelled out, as the twin's map and
the services' English pages write them (西湖区 → Xihu District, 杭州市 → Hangzhou, 浙江省 → Zhejiang)."""
from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin, load_phrases_dict

# Place names whose characters pypinyin reads otherwise out of context (都 is dū in a place name).
load_phrases_dict({"莲都": [["lián"], ["dū"]]})

# Longest suffix first: 自治县 before 县, so 景宁畲族自治县 is an autonomous county.
COUNTY_SUFFIXES = (("自治县", "Autonomous County"), ("新区", "New Area"), ("区", "District"),
                   ("县", "County"), ("市", "City"), ("旗", "Banner"))
CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


@lru_cache(maxsize=4096)
def english_name(name: str, level: str = "county") -> str:
    """Hanyu Pinyin of a Chinese place name: a province or a city without its 省 or 市, a county with its
    kind in English."""
    if level in ("city", "province"):
        suffixes = CITY_SUFFIXES if level == "city" else PROVINCE_SUFFIXES
        stem = next((name[:-len(s)] for s in suffixes if name.endswith(s) and len(name) > len(s) + 1), name)
        return _pinyin(stem)
    for suffix, kind in COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            stem = name[:-len(suffix)]
            if suffix == "自治县" and stem.endswith("族") and len(stem) > 2:  # 景宁畲族: Jingning She
                return f"{_pinyin(stem[:-2])} {_pinyin(stem[-2])} {kind}"
            return f"{_pinyin(stem)} {kind}"
    return _pinyin(name)


def _pinyin(chinese: str) -> str:
    """Syllables joined, with the apostrophe Hanyu Pinyin puts before a syllable that starts with a, o or
    e after another (临安 Lin'an, 瑞安 Rui'an), so the boundary reads as it is written."""
    syllables = lazy_pinyin(chinese)
    return "".join(s if i == 0 or s[:1] not in "aoe" else f"'{s}" for i, s in enumerate(syllables)).capitalize()
