"""Personal details of synthetic officers: names, ages, ranks, contact data (shifts: services.demo.shifts).

Everything personal is visibly fake: phone numbers are already masked, addresses are on an
"example road" (示例路), and ID numbers carry a deliberately wrong check character so none can
collide with a real person's number.
"""
from __future__ import annotations

import numpy as np

from services.common.contracts import MODULES
from services.demo.force import ROLE_CLASSES

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
            "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫"
            "段雷龙黎史陶贺毛郝顾龚邵万钱严章施应楼")
GIVEN = {"M": "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋锋晨峰亮建国志文博海东阳晓睿哲轩",
         "F": "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳洁晶倩欣悦佳怡思雨萱琪莹瑶璐蕾"}
# Surname frequencies fall off roughly as a power law of their rank.
SURNAME_P = 1.0 / (np.arange(len(SURNAMES)) + 4.0) ** 0.9
SURNAME_P /= SURNAME_P.sum()

FEMALE_SHARE = {"riot_control": 0.04, "investigation": 0.20, "technical_support": 0.22,
                "patrol": 0.12, "traffic": 0.12, "emergency_rescue": 0.08}
# Police ranks (警衔) by years of service since joining at about 22.
RANKS = ("二级警员", "一级警员", "三级警司", "二级警司", "一级警司", "三级警督", "二级警督", "一级警督")
RANK_YEARS = (2, 5, 9, 13, 17, 22, 28)
VOLUNTEER_SHARE = 0.38
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = "10X98765432"


def names_and_genders(rng, modules: np.ndarray) -> tuple[list[str], list[str]]:
    n = len(modules)
    female = rng.random(n) < np.array([FEMALE_SHARE[m] for m in MODULES])[modules]
    surname = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    two_chars = rng.random(n) < 0.75
    picks = rng.random((n, 2))
    names, genders = [], []
    for i in range(n):
        pool = GIVEN["F" if female[i] else "M"]
        given = pool[int(picks[i, 0] * len(pool))]
        if two_chars[i]:
            given += pool[int(picks[i, 1] * len(pool))]
        names.append(SURNAMES[surname[i]] + given)
        genders.append("F" if female[i] else "M")
    return names, genders


def birth_years(rng, roles: np.ndarray, year: int) -> np.ndarray:
    """Mobile officers are young (reserve duty is physical); the rest span a whole career."""
    mobile = roles == ROLE_CLASSES.index("mobile")
    age = np.where(mobile, rng.normal(30, 5, len(roles)), rng.normal(38, 9, len(roles)))
    age = np.clip(np.rint(age), 22, np.where(mobile, 45, 59)).astype(int)
    return year - age


def ranks(birth: np.ndarray, year: int) -> list[str]:
    service = np.maximum(year - birth - 22, 0)
    return [RANKS[i] for i in np.searchsorted(RANK_YEARS, service, side="right")]


def homes(rng, seats: np.ndarray) -> np.ndarray:
    """Homes within a few km of the county seat (1 degree of latitude is ~111 km)."""
    km = np.minimum(np.abs(rng.normal(0, 2.5, len(seats))), 8.0)
    angle = rng.uniform(0, 2 * np.pi, len(seats))
    dlat = km * np.sin(angle) / 111.0
    dlon = km * np.cos(angle) / (111.0 * np.cos(np.radians(seats[:, 1])))
    return np.round(np.column_stack([seats[:, 0] + dlon, seats[:, 1] + dlat]), 6)


def phones(rng, n: int) -> list[str]:
    head = rng.choice([3, 5, 7, 8, 9], size=n) * 10 + rng.integers(0, 10, n)
    tail = rng.integers(0, 10000, n)
    return [f"1{h:02d}****{t:04d}" for h, t in zip(head, tail)]


def addresses(rng, cities: list[str], counties: list[str]) -> list[str]:
    n = len(cities)
    road, block, room = rng.integers(1, 300, n), rng.integers(1, 30, n), rng.integers(101, 2600, n)
    return [f"{c}{k}示例路{r}号{b}幢{m}室" for c, k, r, b, m in zip(cities, counties, road, block, room)]


def id_numbers(rng, county_codes: list[str], birth: np.ndarray, genders: list[str]) -> list[str]:
    """18-character numbers in the national layout whose check character is always wrong."""
    n = len(birth)
    month, mday = divmod(rng.integers(0, 336, n), 28)  # 12 months x 28 days: always a real date
    seq = rng.integers(0, 500, n) * 2 + np.array([g == "M" for g in genders])  # odd: male
    wrong = rng.integers(1, 11, n)
    bodies = [f"{c}{y:04d}{m + 1:02d}{d + 1:02d}{s:03d}"
              for c, y, m, d, s in zip(county_codes, birth.tolist(), month.tolist(), mday.tolist(), seq.tolist())]
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48
    right = (digits.astype(int) @ ID_WEIGHTS) % 11
    return [b + ID_CHECK[k] for b, k in zip(bodies, ((right + wrong) % 11).tolist())]


def valid_id_check(number: str) -> bool:
    right = int(np.dot(ID_WEIGHTS, [int(ch) for ch in number[:17]]) % 11)
    return number[17] == ID_CHECK[right]


def wages(rng, rich: np.ndarray, birth: np.ndarray, year: int) -> np.ndarray:
    """Daily base wage in yuan: richer counties and longer service pay more."""
    service = np.maximum(year - birth - 22, 0)
    return np.rint(380 + 220 * rich + 9 * service + rng.normal(0, 20, len(birth))).astype(int)


def volunteers_and_points(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    volunteer = rng.random(n) < VOLUNTEER_SHARE
    # Volunteers have done more support tasks, so they hold more task points.
    points = rng.gamma(2.0, 20.0, n) * np.where(volunteer, 1.5, 1.0)
    return volunteer, np.rint(points).astype(int)
