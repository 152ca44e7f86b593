"""A need written as text, cut into clauses that each ask for one group of officers.

Cut at punctuation and at words that start another need (另外, 还需, 同时); 、 joins a clause that names
no one to the next (懂越南语、英语的民警 is one group), except in a list that shares a number with 各
(网安、技侦各2人: two groups); equipment counted on its own (排爆机器人1台) after 、 goes with the group
before it; a clause with two counts of people is cut between them (特警10名和刑警5名). A clause that
names people but no number takes the number of the next one when that says 各 (刑警、特警各10名). A
number with no classifier counts people only right after the group it counts, at the clause's end
(特警10, 反诈2). Pure: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import numerals
from .lexicon import Hit, Lexicon

MAX_CHARS = 2000  # a need longer than this is read up to here (the rest is reported as not read)
STRONG = re.compile(r"[。；;！!？?\n\r，,：:（）()【】\[\]“”\"]|\s{2,}")
STARTERS = re.compile(r"另外|另需|此外|还需要|还需|还要|同时|以及|外加|再派|再调|再要|另派|另调|并派|并请")
JOINERS = "和及与跟加、"
GE = "各"


@dataclass
class Clause:
    start: int
    end: int
    text: str
    hits: list[Hit] = field(default_factory=list)
    counts: list[numerals.Count] = field(default_factory=list)

    def has(self, kind: str) -> bool:
        return any(h.kinds(kind) for h in self.hits)

    @property
    def names_people(self) -> bool:
        return self.has("module") or self.has("people")

    def person_counts(self) -> list[numerals.Count]:
        return [c for c in self.counts if c.kind == "person" or c.kind == "person?" and not self._thing_after(c)
                or c.kind == "bare" and self._counts_group_before(c)]

    def _counts_group_before(self, count: numerals.Count) -> bool:
        """特警10, 反诈2: a bare number that ends the clause right after a group's word."""
        if self.text[count.end - self.start:].strip(" 、"):
            return False
        return any(count.start - h.end <= 1 and h.end <= count.start
                   and (h.kinds("module") or h.kinds("people") or h.kinds("tag")) for h in self.hits)

    def counts_a_specialty(self) -> bool:
        """反诈2, 网侦若干, 反诈的仨: a number right after a specialty counts its officers (人 counts anyone:
        落水十余人, 聚集200人)."""
        return any(0 <= n.start - h.end <= 1 and self.text[h.end - self.start:n.start - self.start] in ("", "的")
                   and h.kinds("tag") and not self.text[n.end - self.start - 1:n.end - self.start] == "人"
                   for n in self.person_counts() for h in self.hits)

    def _thing_after(self, count: numerals.Count) -> bool:
        """两个取证箱 counts things; 三个开警用车辆的交通警察 counts the officers named after the equipment."""
        group_after = any(h.start >= count.end and (h.kinds("module") or h.kinds("people")) for h in self.hits)
        return any(h.start >= count.end and h.start - count.end <= (0 if group_after else 2) and h.kinds("equip")
                   and not h.kinds("people") for h in self.hits)


def split(text: str, lexicon: Lexicon) -> list[Clause]:
    """The clauses of a normalised text, with their lexicon hits and counts (positions in `text`)."""
    text = text[:MAX_CHARS]
    hits = lexicon.scan(text)
    counts = _unit_counts(text, hits, numerals.counts(text, lexicon.units), lexicon.units)
    cuts = {0, len(text)}
    for m in STRONG.finditer(text):
        cuts.update((m.start(), m.end()))
    for m in STARTERS.finditer(text):
        if not any(h.start < m.start() < h.end for h in hits):
            cuts.add(m.start())
    spans = sorted(cuts)
    pieces = [_clause(text, a, b, hits, counts) for a, b in zip(spans, spans[1:])]
    pieces = [c for c in pieces if any(ch.isalnum() for ch in c.text)]  # not a lone punctuation mark
    pieces = _split_on_dunhao(text, pieces, hits, counts)
    out = []
    for c in pieces:
        out += _split_counts(text, c, hits, counts)
    return out


def _unit_counts(text, hits, counts, units) -> list[numerals.Count]:
    """狙击组一个, 突击队两个: a number of the units a word ends with counts their officers (组 5, 班 10);
    一个防暴中队, 两个特警排: so does a number of a group named before its unit (中队 30, 排 30)."""
    by_size = sorted(units, key=len, reverse=True)
    out = []
    for n in counts:
        word = next((h.word for h in hits if h.end == n.start), None)
        unit = next((u for u in by_size if word and word.endswith(u)), None)
        if unit and n.kind in ("person?", "bare") and n.value and text[n.start:n.end].endswith(("个", "支")) \
                or unit and n.kind == "bare" and n.value:
            n = numerals.Count(n.value * units[unit], "person", n.start, n.end, True)
        elif n.kind == "person?" and n.value and text[n.start:n.end].endswith(("个", "支")):
            named = max((h for h in hits if h.start == n.end and (h.kinds("module") or h.kinds("people"))),
                        key=lambda h: h.end, default=None)
            after = next((u for u in by_size if named and text.startswith(u, named.end)), None)
            if after:
                n = numerals.Count(n.value * units[after], "person", n.start, n.end, True)
        out.append(n)
    return out


def _clause(text, a, b, hits, counts) -> Clause:
    while a < b and text[a] in " \t":
        a += 1
    return Clause(a, b, text[a:b], [h for h in hits if a <= h.start and h.end <= b],
                  [c for c in counts if a <= c.start and c.end <= b])


def _split_on_dunhao(text, pieces, hits, counts) -> list[Clause]:
    """Cut at 、 between two groups that each name people; otherwise 、 lists qualities of one group.

    In a list that shares its number (网安、技侦各2人) every part that names a group or a specialty is a
    group; equipment counted on its own (排爆机器人1台) goes with the group before it.
    """
    out = []
    for c in pieces:
        marks = [c.start + i for i, ch in enumerate(c.text) if ch == "、"]
        bounds = [c.start] + [m + 1 for m in marks] + [c.end]
        parts = [_clause(text, a, b, hits, counts) for a, b in zip(bounds, bounds[1:])]
        shared = GE in c.text and bool(c.person_counts())
        merged: list[Clause] = []
        for p in parts:
            if merged and _counted_things_only(p) and (merged[-1].names_people or merged[-1].person_counts()):
                prev = _strip_mark(text, merged.pop(), hits, counts)
                merged.append(_clause(text, prev.start, p.end, hits, counts))
                continue
            group = merged and (merged[-1].names_people or merged[-1].person_counts()
                                or shared and (merged[-1].has("tag") or merged[-1].has("module")))
            if merged and not group:
                prev = merged.pop()
                p = _clause(text, prev.start, p.end, hits, counts)
            merged.append(p)
        out += [_strip_mark(text, p, hits, counts) for p in merged]
    return out


def _counted_things_only(c: Clause) -> bool:
    """排爆机器人1台: equipment with its count, no one named."""
    return (c.has("equip") and not c.names_people and not c.person_counts()
            and any(n.kind == "thing" for n in c.counts))


def _strip_mark(text, c: Clause, hits, counts) -> Clause:
    end = c.end
    while end > c.start and text[end - 1] in "、 ":
        end -= 1
    return _clause(text, c.start, end, hits, counts) if end != c.end else c


def _split_counts(text, c: Clause, hits, counts) -> list[Clause]:
    people = c.person_counts()
    if len(people) < 2:
        return [c]
    cuts = []
    for left, right in zip(people, people[1:]):
        gap = text[left.end:right.start]
        joiner = next((left.end + i for i, ch in enumerate(gap) if ch in JOINERS), None)
        if joiner is None:
            # 特警10名刑警5名: after the first count when it follows its people, else before the second group
            before_left = any(h.end <= left.start for h in c.hits if h.kinds("module") or h.kinds("people"))
            joiner = left.end if before_left else right.start
            while joiner > left.end and any(h.start < joiner < h.end for h in hits):
                joiner -= 1
        cuts.append(joiner)
    bounds = [c.start] + cuts + [c.end]
    return [_clause(text, a, b, hits, counts) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip(JOINERS + " ")]
