"""The twin's mirror: Worker handlers that replay the stream into the model."""
from __future__ import annotations

import pytest

from services.common.config import Settings
from services.common.contracts import example_event
from services.common.worker import Context
from twin.mirror import replay
from twin.sim.model import ProvinceModel


@pytest.fixture
def model() -> ProvinceModel:
    return ProvinceModel(seed=0)


@pytest.fixture
def settings() -> Settings:
    return Settings(service="twin", database_url="sqlite://", kafka_bootstrap="127.0.0.1:1")


class RecordingWorker:
    def __init__(self, settings, handlers, **options):
        self.settings, self.handlers, self.options, self.started = settings, handlers, options, False

    def start(self):
        self.started = True
        return self


def test_handlers_cover_exactly_the_event_types_the_replay_models(model):
    from services.common.contracts import topics
    not_shown = {"logistics.arranged", "points.awarded", "deadletter", "deployment.extended", "instruction.recorded"}
    modelled = {t.name for t in topics() if "twin" in t.consumers} - not_shown
    assert set(replay.handlers_for(model)) == modelled


def test_a_handler_applies_the_event_it_is_given(model, settings):
    event = example_event("incident.reported")
    replay.handlers_for(model)["incident.reported"](Context(event, None, settings))
    assert [i.incident_id for i in model.incidents()] == [event["data"]["incident_id"]]


def test_every_mirror_reads_the_whole_stream_under_a_fresh_group(model, settings, monkeypatch):
    monkeypatch.setattr(replay, "Worker", RecordingWorker)
    first, second = replay.start_mirror(settings, model), replay.start_mirror(settings, model)
    assert first.started and second.started
    assert first.options["group_id"].startswith("twin-")
    assert first.options["group_id"] != second.options["group_id"]
    assert "outbox" not in first.options  # the model lives in memory: no inbox, the replay is idempotent
