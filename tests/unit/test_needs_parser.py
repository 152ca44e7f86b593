"""Needs written in Chinese: numbers read, clauses cut, lines proposed with their words; bad text never
invents a confident line; the corpus figures hold on the held-out split."""
from __future__ import annotations

import re

import pytest

from services.demand import needs
from services.demand.needs import baseline, corpus, training
from services.demand.needs.feedback import changes, training_rows
from services.demand.needs.lexicon import default
from services.demand.needs.numerals import cn_number, counts
from services.demand.needs.parser import Parser

UNITS = default().units


@pytest.mark.parametrize("text,value", [("五", 5), ("两", 2), ("十", 10), ("十五", 15), ("二十三", 23), ("两百五", 250),
                                        ("一百零五", 105), ("一千五百", 1500), ("一万二", 12000), ("七八", 8),
                                        ("两三", 3), ("七八十", 80), ("12", 12)])
def test_chinese_numbers(text, value):
    assert cn_number(text) == value


@pytest.mark.parametrize("text,value,kind,approx", [
    ("五名", 5, "person", False), ("两台", 2, "thing", False), ("十余人", 10, "person", True),
    ("3-5人", 5, "person", True), ("3至5名", 5, "person", True), ("二十来人", 20, "person", True),
    ("一个班", 10, "person", True), ("一个排", 30, "person", True), ("百余名", 100, "person", True),
    ("若干名", None, "person", True)])
def test_counts_with_their_classifier(text, value, kind, approx):
    (count,) = counts(text, UNITS)
    assert (count.value, count.kind, count.approximate) == (value, kind, approx)


def lines(text):
    return [line.as_dict() for line in needs.current().parse(text)]


def test_the_issue_example_gives_two_lines_with_their_words():
    text = "需要懂越南语的反诈民警5名、无人机操作员2名，今晚到东阳"
    first, second = lines(text)
    assert (first["module"], first["tags"], first["headcount"]) == (
        "investigation", ["cybercrime_investigation", "foreign_language:vi"], 5)
    assert (second["module"], second["tags"], second["headcount"]) == ("technical_support", ["drone_pilot"], 2)
    assert first["span"]["text"] == text[first["span"]["start"]:first["span"]["end"]] == "需要懂越南语的反诈民警5名"
    assert {"word": "越南语", "start": 3, "end": 6, "means": "tag:foreign_language:vi"} in first["evidence"]
    assert all(line["confidence"] >= 0.8 for line in (first, second))


def test_mixed_needs_shared_numbers_certificates_and_equipment():
    got = lines("刑警、特警各10名，另需带两台生命探测仪的搜救人员二十来人；持证谈判专家两名")
    assert [(g["module"], g["headcount"]) for g in got] == [
        ("investigation", 10), ("riot_control", 10), ("emergency_rescue", 20), ("riot_control", 2)]
    assert got[2]["equipment"] == ["life_detector"] and got[2]["headcount_approximate"]
    assert got[3]["tags"] == ["negotiation"] and got[3]["certifications"] == ["crisis_negotiator"]


def test_a_number_of_units_named_after_their_group_counts_their_officers():
    got = lines("另调一个防暴中队和两架无人机；再派两个特警排")
    assert [(g["module"], g["headcount"], g["headcount_approximate"]) for g in got] == [
        ("riot_control", 30, True), ("riot_control", 60, True)]
    assert got[0]["equipment"] == ["drone"]
    # a number of things is not a unit: 两个取证箱 stays two boxes on a line of its own count
    assert [(g["module"], g["headcount"]) for g in lines("需要5名网安民警带两个取证箱")] == [("investigation", 5)]


def test_a_crowd_described_is_not_a_need_and_negated_needs_are_dropped():
    got = lines("现场约200人聚集，请求支援一个班的特警。不需要交警")
    assert [(g["module"], g["headcount"]) for g in got] == [("riot_control", 10)]


@pytest.mark.parametrize("text", ["", "   ", "？？？", "asdf qwer 1234", "hello world", "好的收到", "的的的的" * 2000,
                                  "\x00\ufffd\u202e", "😀" * 50])
def test_bad_text_gives_no_confident_line(text):
    assert all(line["confidence"] < 0.7 for line in lines(text))


def test_a_need_without_a_number_is_proposed_with_low_confidence():
    (line,) = lines("请派交警若干")
    assert line["module"] == "traffic" and line["headcount"] is None and line["confidence"] <= 0.6


def test_very_long_text_is_read_up_to_the_limit_quickly():
    import time
    text = "需要特警5名，" * 1000
    started = time.perf_counter()
    got = lines(text)
    assert time.perf_counter() - started < 2.0
    assert got and all(g["span"]["end"] <= 2000 for g in got)


def test_the_first_split_meets_the_goal_and_both_held_out_sets_beat_the_keyword_baseline():
    # the first split was read while the matcher was built: its figure is kept, not claimed as clean
    test = corpus.load(corpus.TEST)
    ours = training.held_out(needs.current(), corpus.TEST)
    base = corpus.score(test, baseline.parse)
    assert len(test) + len(corpus.load(corpus.TRAIN)) >= 300
    assert ours["tag_accuracy"] >= 0.92 and ours["tag_accuracy"] > base["tag_accuracy"]
    assert ours["line_f1"] > base["line_f1"] and ours["headcount_accuracy"] > base["headcount_accuracy"]
    # the untouched set (nothing tuned on it, measured once at needs-model-v2: 0.934): the goal, beside the baseline
    holdout = corpus.load(corpus.HOLDOUT)
    ours, base = training.held_out(needs.current()), corpus.score(holdout, baseline.parse)
    assert len(holdout) >= 250 and ours["descriptions"] == len(holdout)
    assert ours["tag_accuracy"] >= 0.92 and ours["p95_ms"] <= 50
    assert ours["tag_accuracy"] > base["tag_accuracy"] + 0.2 and ours["line_f1"] > base["line_f1"] + 0.3
    assert ours["headcount_accuracy"] > base["headcount_accuracy"] + 0.4


def test_train_and_the_held_out_sets_share_no_description():
    train = {i["text"] for i in corpus.load(corpus.TRAIN)}
    test = {i["text"] for i in corpus.load(corpus.TEST)}
    dev = {i["text"] for i in corpus.load(corpus.DEV)}
    holdout = {i["text"] for i in corpus.load(corpus.HOLDOUT)}
    worded = {t for t in train | test | dev | holdout if re.search(r"\w", t)}  # "？？？" may be noise in two sets
    assert not train & test and not (train | test) & dev and not (train | test | dev) & holdout & worded


def test_changes_name_kept_edited_removed_and_added_lines():
    proposed = lines("需要反诈民警5名、无人机操作员2名，交警3名")
    confirmed = [dict(proposed[0], headcount=8), proposed[1],
                 {"line_id": "x1", "module": "riot_control", "tags": [], "certifications": [], "equipment": [],
                  "headcount": 4}]
    change = changes(proposed, confirmed)
    assert change["kept"] == ["text-2"] and change["removed"] == ["text-3"] and change["added"] == ["x1"]
    assert change["edited"] == [{"line_id": "text-1", "headcount": {"from": 5, "to": 8}}]


def test_corrections_teach_a_word_the_lexicon_lacks():
    lex = default()
    text = "需要搜山队员6名"  # 搜山 (searching the hills) is in no lexicon entry
    plain = Parser(lex)
    (before,) = [line.as_dict() for line in plain.parse(text)]
    assert before["module"] == "patrol"
    wanted = dict(before, module="emergency_rescue", tags=["rope_rescue"])
    rows = training_rows(plain, text, [before], [wanted]) * 10  # ten reporters made the same correction
    items = corpus.load(corpus.TRAIN)
    learnt = Parser(lex, training.fit(lex, items, rows, version="needs-model-test"))
    (after,) = [line.as_dict() for line in learnt.parse("需要搜山队员10名")]
    assert (after["module"], after["tags"]) == ("emergency_rescue", ["rope_rescue"])
    unchanged = Parser(lex, training.fit(lex, items, version="needs-model-test"))
    assert [line.as_dict()["tags"] for line in unchanged.parse("需要搜山队员10名")] == [[]]
