"""Counts written in Chinese or digits: 五名, 两台, 十余人, 3-5人, 七八个, 二十来人, 一个班.

``counts(text)`` finds every count expression with its classifier and says whether it counts people
(名, 人, 位, 个 before a person noun, a squad or platoon) or things (台, 架, 辆, 套, 部, 只, 条). A range
gives its upper end (a county asks for what it may need), 余/多/来/几 the number written, marked
approximate; 若干/一些/几名/几十人 are counts of unknown size (None). 俩 and 仨 hold their classifier (派俩特警,
反诈的仨). A number with no classifier at all (特警10) is a ``bare`` count: the clause decides whether it
counts the people just named. Pure: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9}
POWERS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
PERSON = ("名", "人", "位", "员", "个人", "号人")
THING = ("台", "架", "辆", "套", "部", "只", "条", "具", "组设备", "把", "副", "面")
CN = "零〇一幺二两俩三仨四五六七八九十百千万"
NUM = rf"(?:\d+|[{CN}]+)"
APPROX = r"(?:余|多|来|几)?"
RANGE = rf"(?P<lo>{NUM})\s*(?:-|~|～|—|至|到)\s*(?P<hi>{NUM})"
# a unit (squad, platoon, group) counts people by the sizes in the lexicon
UNIT_WORDS = ("个中队", "个小队", "个小组", "个班", "个排", "个组", "个连", "中队", "小队", "小组", "班", "排", "组", "连")
VAGUE = re.compile(r"若干|一些|部分|少量|一批|几名|几个|几位|多名|数名|(?:几|数)[十百](?:[名人个位]|号人)")
# a number with no classifier is read only when short and not a time, date, money or a code (特警10 but not 14时)
BARE_MAX = 999
NOT_AFTER_BARE = re.compile(r"\s*(?:[:：点时分秒号日月年天周岁元万米公里千克度%％.．/]|小时|分钟|公斤)")
HOLDS_CLASSIFIER = ("俩", "仨")  # 俩 = 两个, 仨 = 三个
ONE = re.compile(r"(?:弄|来|派|要|调|找|请|给)(个)(?![人月])")  # 派个懂英语的 = 派一个


@dataclass(frozen=True)
class Count:
    value: int | None     # None: a count of unknown size (若干)
    kind: str             # "person" or "thing" or "unit:<word>"
    start: int
    end: int
    approximate: bool = False

    @property
    def text_span(self) -> tuple[int, int]:
        return self.start, self.end


def cn_number(text: str) -> int | None:
    """二十三 → 23, 两百五 → 250, 一百零五 → 105, 一万二 → 12000, 十 → 10, 七八 → 8, 七八十 → 80, 15 → 15."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(c not in DIGITS and c not in POWERS for c in text):
        return None
    if all(c in DIGITS for c in text):  # 七八, 两三: two adjacent digits name a range, take the larger
        values = [DIGITS[c] for c in text]
        if len(values) == 2 and values[1] == values[0] + 1 or values == [2, 3]:
            return values[1]
        return int("".join(str(v) for v in values))
    if "万" in text:
        high, _, low = text.partition("万")
        head = _section(high) if high else 1
        tail = DIGITS[low] * 1000 if len(low) == 1 and low in DIGITS else (_section(low) if low else 0)
        return None if head is None or tail is None else head * 10000 + tail
    return _section(text)


def _section(text: str) -> int | None:
    total, digit, last, zero = 0, None, 1, False
    for c in text:
        if c in ("零", "〇"):
            zero = True
        elif c in DIGITS:
            digit = DIGITS[c] if digit is None else max(digit, DIGITS[c])
        elif c in POWERS and c != "万":
            total += (1 if digit is None else digit) * POWERS[c]
            digit, last, zero = None, POWERS[c], False
        else:
            return None
    if digit is not None:
        total += digit * last // 10 if last >= 100 and not zero else digit
    return total


_COUNT = re.compile(
    rf"(?:{RANGE}|(?P<n>{NUM}))\s*(?P<approx>{APPROX})\s*"
    rf"(?P<unit>{'|'.join(UNIT_WORDS)})?"
    rf"\s*(?P<cls>{'|'.join(sorted(PERSON + THING + ('个',), key=len, reverse=True))})?")


def counts(text: str, unit_sizes: dict[str, int]) -> list[Count]:
    """Every count expression in `text`, left to right (a bare number without classifier is skipped)."""
    out = []
    for m in _COUNT.finditer(text):
        unit, cls = m.group("unit"), m.group("cls")
        if not unit and not cls:
            _bare(text, m, out)
            continue
        if text[max(0, m.start() - 1):m.start()] in ("几", "数") and not m.group("lo"):
            continue  # 几十人, 数百名: of unknown size (VAGUE)
        if m.group("n") is not None:
            value = cn_number(m.group("n"))
            approx = bool(m.group("approx"))
        else:
            lo, hi = cn_number(m.group("lo")), cn_number(m.group("hi"))
            value, approx = (max(lo, hi) if lo is not None and hi is not None else None), True
        if value is None or value <= 0:
            continue
        if unit:
            size = unit_sizes.get(unit.lstrip("个"))
            if size is None:
                continue
            out.append(Count(value * size, "person", m.start(), m.end(), True))
        elif cls in THING:
            out.append(Count(value, "thing", m.start(), m.end(), approx))
        elif cls == "个":
            # 五个民警 counts people; 两个取证箱 counts things: decided by what follows
            out.append(Count(value, "person?", m.start(), m.end(), approx))
        else:
            out.append(Count(value, "person", m.start(), m.end(), approx))
    for m in ONE.finditer(text):  # 弄个会开无人机的来: 个 after a verb is one
        if not any(c.start <= m.start(1) < c.end for c in out):
            out.append(Count(1, "person?", m.start(1), m.end(1)))
    for m in VAGUE.finditer(text):
        if not any(c.start <= m.start() < c.end for c in out):
            out.append(Count(None, "person", m.start(), m.end(), True))
    return sorted(out, key=lambda c: c.start)


def _bare(text: str, m: re.Match, out: list) -> None:
    """A number without classifier: 俩/仨 count like 两个/三个; a short one is kept as a ``bare`` count."""
    if m.group("n") is None:
        return
    number = m.group("n")
    if text[max(0, m.start() - 1):m.start()].isdigit() or NOT_AFTER_BARE.match(text, m.end()):
        return
    approx = bool(m.group("approx"))
    if number.endswith(HOLDS_CLASSIFIER):
        value = cn_number(number)
        if value:
            out.append(Count(value, "person?", m.start(), m.end(), approx))
        return
    value = cn_number(number)
    if value and value <= BARE_MAX and not (number.isdigit() and number.startswith("0")):
        out.append(Count(value, "bare", m.start(), m.end(), approx))
