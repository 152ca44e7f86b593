"""kafka-python's ERROR for a metadata request its own client cancelled is not an error of ours."""
from __future__ import annotations

import logging

import pytest
from kafka.errors import Cancelled, KafkaConnectionError

from services.common import logs


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def kept():
    handler, root = _Kept(), logging.getLogger()
    level, kafka_level = root.level, logging.getLogger("kafka").level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logs.quiet_kafka()
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(kafka_level)


def refresh_failed(exc) -> None:
    # the line kafka-python 3.0 logs in ClusterMetadata._do_refresh_metadata
    logging.getLogger("kafka.cluster").error("Metadata refresh: failed %s", exc)


def test_a_refresh_cancelled_by_the_client_closing_is_not_logged_as_an_error(kept):
    refresh_failed(Cancelled())
    assert [r for r in kept.records if r.levelno >= logging.WARNING] == []


def test_a_refresh_that_really_failed_stays_an_error(kept):
    refresh_failed(KafkaConnectionError("connection lost"))
    assert [(r.levelname, r.getMessage()) for r in kept.records] == \
        [("ERROR", "Metadata refresh: failed KafkaConnectionError: connection lost")]


def test_with_kafka_debugging_on_the_cancelled_refresh_is_a_debug_line(kept):
    logging.getLogger("kafka").setLevel(logging.DEBUG)
    refresh_failed(Cancelled())
    assert [(r.levelname, r.name) for r in kept.records] == [("DEBUG", "kafka.cluster")]


def test_other_errors_of_kafka_python_pass(kept):
    logging.getLogger("kafka.cluster").error("Metadata refresh loop error: %s", Cancelled())
    logging.getLogger("kafka.net.connection").error("Connection lost: %s", Cancelled())
    assert [r.levelname for r in kept.records] == ["ERROR", "ERROR"]


def test_quieting_twice_adds_one_filter(kept):
    logs.quiet_kafka()
    assert len(logging.getLogger("kafka.cluster").filters) == 1
