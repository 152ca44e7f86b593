"""The contracts in contracts/ and the module that serves them (services.common.contracts)."""
from __future__ import annotations

import copy
import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from services.common import contracts
from services.common.config import CONTRACTS
from services.common.contracts import Issue
from services.common.contracts.fastcheck import _never
from services.common.contracts.validation import _event_checker, _http_checker

TOPICS = [t.name for t in contracts.topics()]
HTTP = ["incident-report", "problem", "health", "officer-patch", "roster-import", "equipment-compatibility",
        "county-patch", "order-ack", "instruction", "position-report", "arrangements", "release",
        "extension-request", "extension-approval", "survey", "equipment-check",
        "request-cancel", "request-close", "preposition", "access-log", "ledger-report",
        "plan-approval", "plan-rejection", "signing-key", "plan-preview", "indicators", "case-outcome",
        "position-policy", "needs-parse", "needs-confirmation", "incident", "assessment",
        "readiness-coverage", "readiness-what-if", "readiness-preposition", "performance-report",
        "performance-history", "force-summary", "units", "roster-import-result", "officer", "officers", "plan", "plans", "requests",
        "plan-decision", "support-request", "support-requests", "dispatch-order", "dispatch-orders",
        "deployment", "deployments", "extension-pending", "deployment-released", "deployment-extended",
        "county-load", "county-loads", "regions", "status-summary", "points-balances", "reciprocity", "officer-points",
        "equipment-item", "commitments", "needs-proposal", "incidents", "duty-alerts", "unit-position",
        "position-sharing", "instruction-recorded", "equipment-check-recorded", "survey-recorded",
        "case-outcome-recorded", "position-accepted", "observed-incidents", "preposition-plan",
        "compatibility-report", "needs-confirmed", "needs-model",
        "readiness-impact", "readiness-stationing", "after-action-report", "chain-audit"]


def stems(folder: str, suffix: str) -> set[str]:
    return {p.name[: -len(suffix)] for p in (CONTRACTS / folder).glob(f"*{suffix}")}


def example(topic: str) -> dict:
    return contracts.example_event(topic)


def refs(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


# ------------------------------------------------------------------------------ the topic list

def test_topics_yaml_lists_every_loop_topic_and_the_deadletter_topic():
    expected = {
        "incident.reported", "support.requested", "support.escalated", "support.cancelled",
        "officer.status-changed", "county.load-reported", "officers.committed", "commit.rejected",
        "points.awarded", "plan.proposed", "plan.approved", "plan.rejected", "dispatch.ordered",
        "unit.position-reported", "unit.arrived", "logistics.arranged", "deployment.released",
        "dispatch.acknowledged", "dispatch.escalated", "unit.late", "unit.on-time", "instruction.recorded",
        "deployment.extended", "support.status-changed", "duty.alert-raised", "deadletter",
    }
    assert set(TOPICS) == expected
    assert len(TOPICS) == len(set(TOPICS))


def test_position_reports_are_short_lived_the_rest_keep_a_week_and_all_have_the_embedded_brokers_count():
    for t in contracts.topics():
        assert t.partitions == 4  # what the embedded broker gives a topic a client re-creates (integration test)
        if t.name == "unit.position-reported":
            assert (t.key, t.retention_ms) == ("unit_id", 3_600_000)
        else:
            assert t.retention_ms == 7 * 24 * 3_600_000


def test_every_topic_key_is_a_required_field_of_its_payload():
    for t in contracts.topics():
        payload = json.loads((CONTRACTS / "events" / f"{t.name}.schema.json").read_text(encoding="utf-8"))
        assert t.key in payload["required"], t.name
        assert t.key in example(t.name)["data"], t.name


def test_every_topic_names_a_producer_and_at_least_one_consumer():
    for t in contracts.topics():
        assert t.producer and t.consumers and t.description, t.name
        assert isinstance(t.consumers, tuple)


def test_lifecycle_topics_map_to_their_edxl_rm_messages():
    mapping = {t.name: t.edxl_rm for t in contracts.topics()}
    assert mapping["support.requested"] == "RequestResource"
    assert mapping["plan.proposed"] == "ResponseToRequestResource"
    assert mapping["plan.approved"] == "RequisitionResource"
    assert mapping["officers.committed"] == "CommitResource"
    assert mapping["unit.arrived"] == "ReportResourceDeploymentStatus"
    assert mapping["deployment.released"] == "ReleaseResource"
    assert mapping["incident.reported"] is None


def test_topic_looks_up_by_name_and_an_unknown_name_lists_the_known_ones():
    assert contracts.topic("plan.approved").producer == "matching"
    with pytest.raises(KeyError, match="support.requested"):
        contracts.topic("plan.approve")
    with pytest.raises(KeyError):
        contracts.validate_event("no.such-topic", example("plan.approved"))


# ------------------------------------------------------------------- files: one of each, no strays

def test_every_topic_has_a_schema_and_an_example():
    assert set(TOPICS) <= stems("events", ".schema.json"), "a topic has no events/<topic>.schema.json"
    assert set(TOPICS) <= stems("events", ".example.json"), "a topic has no events/<topic>.example.json"


def test_every_event_file_belongs_to_a_topic():
    assert stems("events", ".schema.json") <= set(TOPICS), "a schema without a topic in topics.yaml"
    assert stems("events", ".example.json") <= set(TOPICS), "an example without a topic in topics.yaml"
    assert {p.name for p in (CONTRACTS / "events").iterdir()} == {
        f"{t}.{kind}.json" for t in TOPICS for kind in ("schema", "example")}


def test_every_http_body_has_a_schema_and_an_example_and_nothing_else():
    assert stems("http", ".schema.json") == set(HTTP) == stems("http", ".example.json")
    assert contracts.http_names() == sorted(HTTP)


def test_every_schema_id_matches_where_the_file_lives_and_is_valid_2020_12():
    for path in CONTRACTS.rglob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$id"] == contracts.BASE_URI + path.relative_to(CONTRACTS).as_posix()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


def test_every_payload_rejects_unknown_fields():
    for t in TOPICS:
        payload = json.loads((CONTRACTS / "events" / f"{t}.schema.json").read_text(encoding="utf-8"))
        assert payload["additionalProperties"] is False, t


# ------------------------------------------------------------------------------------ examples

@pytest.mark.parametrize("topic", TOPICS)
def test_the_example_of_each_topic_is_valid(topic):
    event = example(topic)
    assert event["type"] == topic
    assert contracts.validate_event(topic, event) == []


@pytest.mark.parametrize("name", HTTP)
def test_the_example_of_each_http_body_is_valid(name):
    assert contracts.validate_body(name, contracts.example_body(name)) == []


def test_examples_are_zhejiang_and_correlate_with_their_incident():
    def counties(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("county", "from_county") and isinstance(v, str):
                    yield v
                yield from counties(v)
        elif isinstance(node, list):
            for v in node:
                yield from counties(v)

    for t in TOPICS:
        event = example(t)
        assert all(c.startswith("33") for c in counties(event["data"])), t
        if "incident_id" in event["data"]:
            assert event["correlationid"] == event["data"]["incident_id"], t
        assert event["subject"] in [str(v) for v in event["data"].values()], t


def test_the_logistics_example_arranges_the_medic_every_team_takes_along():
    data = example("logistics.arranged")["data"]
    assert data["medic"]["status"] == "arranged" and data["medic"]["quantity"] >= 1 and data["headcount"] < 20
    schema = json.loads((CONTRACTS / "events" / "logistics.arranged.schema.json").read_text(encoding="utf-8"))
    assert "every team" in schema["properties"]["medic"]["description"]


def test_examples_form_a_valid_hash_chain_per_producer():
    last: dict[str, tuple[int, str]] = {}
    for t in TOPICS:
        event = example(t)
        seq, prev = last.get(event["source"], (0, contracts.GENESIS_HASH))
        assert (event["seq"], event["prevhash"]) == (seq + 1, prev), t
        assert event["hash"] == contracts.event_hash(event), t
        last[event["source"]] = (event["seq"], event["hash"])


def test_the_contract_hash_is_the_one_the_event_kit_seals_with():
    from services.common import envelope

    for t in TOPICS:
        event = example(t)
        assert contracts.event_hash(event) == envelope.event_hash(event), t


def test_the_hash_covers_every_field_but_itself():
    event = example("plan.approved")
    tampered = copy.deepcopy(event)
    tampered["data"]["approved_by"] = "someone else"
    assert contracts.event_hash(tampered) != event["hash"]
    assert contracts.event_hash({**event, "hash": "f" * 64}) == event["hash"]


# ------------------------------------------------------------------------ broken copies rejected

@pytest.mark.parametrize("topic", TOPICS)
def test_dropping_any_required_payload_field_is_rejected_at_that_field(topic):
    payload = json.loads((CONTRACTS / "events" / f"{topic}.schema.json").read_text(encoding="utf-8"))
    for field in payload["required"]:
        broken = example(topic)
        del broken["data"][field]
        assert Issue(f"data.{field}", f"{field!r} is a required property") in \
            contracts.validate_event(topic, broken), field


@pytest.mark.parametrize("field", ["id", "source", "type", "specversion", "time", "datacontenttype",
                                   "subject", "data", "mode", "seq", "prevhash", "hash"])
def test_dropping_any_required_envelope_attribute_is_rejected(field):
    broken = example("support.requested")
    del broken[field]
    assert Issue(field, f"{field!r} is a required property") in contracts.validate_event("support.requested", broken)


def test_a_nested_missing_field_is_reported_with_its_full_path():
    broken = example("incident.reported")
    del broken["data"]["location"]["county"]
    assert contracts.validate_event("incident.reported", broken) == [
        Issue("data.location.county", "'county' is a required property")]


def test_a_bad_value_is_reported_with_the_pattern_it_breaks():
    broken = example("incident.reported")
    broken["data"]["location"]["county"] = "abc"
    assert contracts.validate_event("incident.reported", broken) == [
        Issue("data.location.county", "'abc' does not match '^[0-9]{6}$'")]


def test_array_items_are_reported_by_index():
    broken = example("support.requested")
    broken["data"]["lines"][1]["module"] = "cavalry"
    (issue,) = contracts.validate_event("support.requested", broken)
    assert issue.field == "data.lines[1].module"
    assert "'cavalry' is not one of" in issue.reason


def test_a_misspelt_field_is_rejected_by_name():
    broken = example("incident.reported")
    broken["data"]["location"]["countyy"] = broken["data"]["location"].pop("county")
    assert contracts.validate_event("incident.reported", broken) == [
        Issue("data.location.county", "'county' is a required property"),
        Issue("data.location.countyy", "Additional properties are not allowed ('countyy' was unexpected)"),
    ]


def test_issues_come_sorted_by_field():
    broken = example("plan.proposed")
    broken["data"]["kind"] = "cheapest"
    broken["data"]["assignments"][0]["eta_s"] = -5
    broken["time"] = "yesterday"
    fields = [i.field for i in contracts.validate_event("plan.proposed", broken)]
    assert fields == sorted(fields) == ["data.assignments[0].eta_s", "data.kind", "time"]


def test_not_an_object_is_rejected_at_the_root():
    assert contracts.validate_event("plan.approved", ["not", "an", "event"]) == [
        Issue("(root)", "['not', 'an', 'event'] is not of type 'object'")]


# ------------------------------------------------------------------------------ envelope rules

def test_an_exercise_event_needs_its_exercise_id():
    event = example("support.requested")
    event["mode"] = "exercise"
    assert contracts.validate_event("support.requested", event) == [
        Issue("exerciseid", "'exerciseid' is a required property")]
    event["exerciseid"] = "EX-2025-HZ-07"
    assert contracts.validate_event("support.requested", event) == []


def test_a_live_event_may_not_carry_an_exercise_id():
    event = example("support.requested")
    event["exerciseid"] = "EX-2025-HZ-07"
    assert contracts.validate_event("support.requested", event) == [
        Issue("exerciseid", "'EX-2025-HZ-07' is not allowed: allowed only when mode is exercise")]


def test_mode_is_live_or_exercise():
    event = example("support.requested")
    event["mode"] = "drill"
    assert [i.field for i in contracts.validate_event("support.requested", event)] == ["mode"]


@pytest.mark.parametrize("bad", ["abc", "A" * 64, "0" * 63, "g" * 64, 42])
def test_a_malformed_hash_is_rejected(bad):
    event = example("plan.approved")
    event["hash"] = bad
    assert [i.field for i in contracts.validate_event("plan.approved", event)] == ["hash"]


def test_the_first_event_of_a_chain_has_a_zero_prevhash():
    event = example("incident.reported")
    assert event["seq"] == 1
    event["prevhash"] = "a" * 64
    assert [i.field for i in contracts.validate_event("incident.reported", event)] == ["prevhash"]
    event["seq"] = 2
    assert contracts.validate_event("incident.reported", event) == []


@pytest.mark.parametrize("seq", [0, -1, 1.5, "3"])
def test_seq_is_a_positive_integer(seq):
    event = example("plan.approved")
    event["seq"] = seq
    assert [i.field for i in contracts.validate_event("plan.approved", event)] == ["seq"]


def test_an_event_of_another_type_is_rejected_on_this_topic():
    event = example("plan.approved")
    assert Issue("type", "'plan.rejected' was expected") in contracts.validate_event("plan.rejected", event)
    event["type"] = "plan.rejected"
    assert Issue("type", "'plan.approved' was expected") in contracts.validate_event("plan.approved", event)


def test_the_envelope_allows_no_unknown_attribute():
    event = example("plan.approved")
    event["Priority"] = "high"
    assert contracts.validate_event("plan.approved", event) == [
        Issue("Priority", "Additional properties are not allowed ('Priority' was unexpected)")]


@pytest.mark.parametrize("when", ["2025-02-30T09:00:00+08:00", "2025-09-15T25:00:00Z",
                                  "2025-09-15T09:00:00", "2025-09-15 09:00:00+08:00", "tomorrow"])
def test_timestamps_must_be_real_rfc3339_date_times_with_an_offset(when):
    event = example("unit.arrived")
    event["data"]["arrived_at"] = when
    issues = contracts.validate_event("unit.arrived", event)
    assert [i.field for i in issues] == ["data.arrived_at"]


@pytest.mark.parametrize("when", ["2025-09-15T09:00:00Z", "2025-09-15T01:00:00.123456+00:00",
                                  "2025-09-15T09:00:00.5+08:00"])
def test_timestamps_accept_utc_fractions_and_offsets(when):
    event = example("unit.arrived")
    event["time"] = when
    assert contracts.validate_event("unit.arrived", event) == []


def test_points_must_lie_on_the_globe():
    event = example("unit.position-reported")
    event["data"]["point"] = {"lon": 200.0, "lat": 29.3}
    assert [i.field for i in contracts.validate_event("unit.position-reported", event)] == ["data.point.lon"]


# ------------------------------------------------------------------------------------ HTTP bodies

def test_an_incident_report_may_omit_the_fields_the_service_assigns():
    body = contracts.example_body("incident-report")
    assert "incident_id" not in body and "reported_at" not in body
    assert contracts.validate_body("incident-report", {**body, "incident_id": "INC-330106-RETRY-1"}) == []
    assert [i.field for i in contracts.validate_body("incident-report", {**body, "reported_at": "2025-09-15T09:00:00Z"})] \
        == ["reported_at"]


def test_an_incident_report_without_a_county_is_rejected_at_location_county():
    body = contracts.example_body("incident-report")
    del body["location"]["county"]
    assert contracts.validate_body("incident-report", body) == [
        Issue("location.county", "'county' is a required property")]


def test_a_problem_carries_type_title_status_and_field_errors():
    problem = contracts.example_body("problem")
    assert problem["status"] == 409 and problem["errors"][0].keys() == {"field", "reason", "code", "params"}
    plain = {**problem, "errors": [{"field": "location.county", "reason": "'33010' does not match '^[0-9]{6}$'"}]}
    assert contracts.validate_body("problem", plain) == []  # the code and its values are optional
    for bad in ({"code": "Beds short"}, {"params": {"free": [12]}}, {"hint": "x"}):
        wrong = {**problem, "errors": [{**problem["errors"][0], **bad}]}
        assert [i.field for i in contracts.validate_body("problem", wrong)][0].startswith("errors[0]")
    del problem["title"]
    assert contracts.validate_body("problem", problem) == [Issue("title", "'title' is a required property")]


def test_health_reports_each_dependency_and_always_the_database():
    health = contracts.example_body("health")
    assert set(health["checks"]) >= {"database", "broker", "worker"}
    assert contracts.validate_body("health", {**health, "status": "down"})[0].field == "status"
    failing = {**health, "status": "degraded", "checks": {"database": "failing: OperationalError", "worker": "stopped"}}
    assert contracts.validate_body("health", failing) == []
    assert contracts.validate_body("health", {**health, "checks": {"worker": "ok"}}) == [
        Issue("checks.database", "'database' is a required property")]


# ----------------------------------------------------------------------------- bundled schemas

@pytest.mark.parametrize("topic", TOPICS)
def test_a_bundled_event_schema_is_self_contained_and_validates_with_plain_jsonschema(topic):
    schema = contracts.bundled_event_schema(topic)
    Draft202012Validator.check_schema(schema)
    assert refs(schema), "expected the shared definitions to be referenced"
    for ref in refs(schema):
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref
    validator = Draft202012Validator(schema)  # no registry: nothing outside the schema is needed
    validator.validate(example(topic))
    broken = example(topic)
    del broken["data"][contracts.topic(topic).key]
    assert not validator.is_valid(broken)
    assert schema["properties"]["type"]["const"] == topic


def test_bundled_schemas_copy_only_the_definitions_they_use():
    schema = contracts.bundled_event_schema("unit.position-reported")
    assert "lines" not in schema["$defs"] and "point" in schema["$defs"]


@pytest.mark.parametrize("name", HTTP)
def test_a_bundled_http_schema_is_self_contained(name):
    schema = contracts.http_schema(name)
    Draft202012Validator.check_schema(schema)
    assert all(r.startswith("#/$defs/") for r in refs(schema))
    Draft202012Validator(schema).validate(contracts.example_body(name))


def test_callers_get_copies_they_may_change():
    schema = contracts.bundled_event_schema("plan.approved")
    schema["properties"].clear()
    assert contracts.bundled_event_schema("plan.approved")["properties"]
    assert contracts.validate_event("plan.approved", example("plan.approved")) == []


# ------------------------------------------------------------------------------ the fast check

def test_every_contract_gets_a_compiled_fast_check():
    for t in TOPICS:
        assert _event_checker(t).fast is not _never, t
    for name in HTTP:
        assert _http_checker(name).fast is not _never, name


def mutations(value, path=()):
    """Every small way to break (or not) a JSON value: drops, swaps, extras, edge values."""
    if isinstance(value, dict):
        yield path + ("+extra",), None
        for k, v in value.items():
            yield path + (k, "-drop"), None
            yield from mutations(v, path + (k,))
    elif isinstance(value, list):
        for replacement in ([], value + value[:1], {"a": 1}):
            yield path, replacement
        for i, v in enumerate(value[:2]):
            yield from mutations(v, path + (i,))
    elif isinstance(value, bool):
        yield from ((path, r) for r in (not value, 1, None))
    elif isinstance(value, (int, float)):
        yield from ((path, r) for r in (-1, 0, 1.5, 10**9, True, str(value)))
    elif isinstance(value, str):
        yield from ((path, r) for r in ("", value + " x", value.upper(), "x" * 5000, 7, None, "0" * 64))


def mutate(event, path, replacement):
    event = copy.deepcopy(event)
    *parents, last = path
    node = event
    for p in parents:
        node = node[p]
    if last == "+extra":
        node["zz_extra"] = 1
    elif last == "-drop":
        pass
    else:
        node[last] = replacement
    if path and path[-1] == "-drop":
        holder = event
        for p in path[:-2]:
            holder = holder[p]
        del holder[path[-2]]
    return event


@pytest.mark.parametrize("topic", TOPICS)
def test_the_fast_check_agrees_with_jsonschema_on_every_mutation(topic):
    checker = _event_checker(topic)
    base = example(topic)
    count = 0
    for path, replacement in mutations(base):
        event = mutate(base, path, replacement) if path else replacement
        assert checker.fast(event) == checker.validator.is_valid(event), (path, replacement)
        count += 1
    assert count > 50


def test_the_fast_check_agrees_with_jsonschema_on_http_bodies():
    for name in HTTP:
        checker = _http_checker(name)
        base = contracts.example_body(name)
        for path, replacement in mutations(base):
            body = mutate(base, path, replacement) if path else replacement
            assert checker.fast(body) == checker.validator.is_valid(body), (name, path, replacement)



def test_the_fast_check_compiles_any_of_one_of_and_dependent_schemas_as_jsonschema_reads_them():
    from jsonschema import Draft202012Validator

    from services.common.contracts.fastcheck import _compile
    schema = {"type": "object", "properties": {
        "a": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 2}]},
        "b": {"oneOf": [{"type": "number"}, {"type": "integer", "minimum": 5}]},   # 7 is both: none of oneOf
        "c": {"oneOf": [{"type": "null"}, {"type": "string", "pattern": "^x"}]}},
        "dependentSchemas": {"masked": {"properties": {"c": {"type": "null"}}}}}
    check, validator = _compile(schema, {}), Draft202012Validator(schema)
    assert check is not _never
    cases = [{"a": 1}, {"a": "ab"}, {"a": "abc"}, {"a": 1.5}, {"b": 1.5}, {"b": 3}, {"b": 7}, {"b": "7"},
             {"c": None}, {"c": "xy"}, {"c": "yx"}, {"c": None, "masked": 1}, {"c": "xy", "masked": 1}, [], "s"]
    verdicts = [check(case) for case in cases]
    assert verdicts == [validator.is_valid(case) for case in cases]
    refused = [case for case, ok in zip(cases, verdicts) if not ok]
    assert refused == [{"a": "abc"}, {"a": 1.5}, {"b": 7}, {"b": "7"}, {"c": "yx"}, {"c": "xy", "masked": 1}, [], "s"]


def test_the_fast_check_counts_properties_and_reads_dependent_required_as_jsonschema_does():
    from jsonschema import Draft202012Validator

    from services.common.contracts.fastcheck import _compile
    schema = {"type": "array", "items": {"type": "object", "minProperties": 2, "maxProperties": 3,
                                         "dependentRequired": {"a": ["b"], "c": ["a", "b"]}}}
    check, validator = _compile(schema, {}), Draft202012Validator(schema)
    assert check is not _never
    cases = [[{"a": 1}], [{"a": 1, "b": 2}], [{"a": 1, "b": 2, "c": 3}], [{"a": 1, "b": 2, "c": 3, "d": 4}], [{}],
             [{"a": 1, "d": 4}], [{"b": 2, "d": 4}], [{"c": 3, "b": 2}], [{"c": 3, "d": 4}]]
    verdicts = [check(case) for case in cases]
    assert verdicts == [validator.is_valid(case) for case in cases] == [False, True, True, False, False,
                                                                          False, True, False, False]


# ------------------------------------------------------------------------------------- AsyncAPI

def test_the_checked_in_asyncapi_document_is_the_generated_one():
    checked_in = (CONTRACTS / "asyncapi.yaml").read_text(encoding="utf-8")
    assert checked_in == contracts.asyncapi_yaml(), \
        "contracts/asyncapi.yaml is stale: python -m services.common.contracts asyncapi > contracts/asyncapi.yaml"
    assert yaml.safe_load(checked_in) == contracts.asyncapi()


def test_asyncapi_generation_is_deterministic():
    assert contracts.asyncapi_yaml() == contracts.asyncapi_yaml()


def test_asyncapi_has_a_channel_per_topic_whose_payload_is_the_topics_event_component():
    doc = contracts.asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    assert list(doc["channels"]) == TOPICS
    schemas = doc["components"]["schemas"]
    for t in contracts.topics():
        channel = doc["channels"][t.name]
        assert channel["address"] == t.name
        (message,) = channel["messages"].values()
        assert message["payload"] == {"$ref": f"#/components/schemas/{t.name}.event"}
        event = schemas[f"{t.name}.event"]
        assert event["properties"]["type"]["const"] == t.name
        assert event["properties"]["data"] == {"$ref": f"#/components/schemas/{t.name}"}
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        assert channel["bindings"]["kafka"]["partitions"] == t.partitions
        assert channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == t.retention_ms
        assert message["examples"][0]["payload"] == contracts.example_event(t.name)


def test_asyncapi_servers_are_the_embedded_broker_and_production_kafka():
    servers = contracts.asyncapi()["servers"]
    assert servers["local"] == {**servers["local"], "host": "127.0.0.1:19092", "protocol": "kafka"}
    assert servers["production"] == {**servers["production"], "host": "kafka:9092", "protocol": "kafka"}


def test_asyncapi_operations_send_for_the_producer_and_receive_for_each_consumer():
    operations = contracts.asyncapi()["operations"]
    expected = set()
    for t in contracts.topics():
        expected.update((p, "send", t.name) for p in t.producers)
        expected.update((c, "receive", t.name) for c in t.consumers)
    found = {(op["title"].split()[0], op["action"], op["channel"]["$ref"].removeprefix("#/channels/"))
             for op in operations.values()}
    assert found == expected
    for op in operations.values():
        channel = op["channel"]["$ref"].removeprefix("#/channels/")
        assert op["messages"] == [{"$ref": f"#/channels/{channel}/messages/{channel}"}]


# -------------------------------------------------------------------------- the broker registry

def test_write_broker_registry_writes_one_schema_file_per_topic(tmp_path):
    written = contracts.write_broker_registry(tmp_path / "registry")
    assert sorted(p.name for p in written) == sorted(f"{t}.json" for t in TOPICS)
    assert sorted(p.name for p in (tmp_path / "registry").iterdir()) == sorted(p.name for p in written)
    for path in written:
        doc = json.loads(path.read_text(encoding="utf-8"))
        topic = path.name.removesuffix(".json")
        assert doc == {"type": "object", "properties": {"value": contracts.bundled_event_schema(topic)}}
        Draft202012Validator(doc["properties"]["value"]).validate(example(topic))


def test_the_command_line_prints_the_asyncapi_document(capsysbinary):
    assert contracts.main(["asyncapi"]) == 0
    assert capsysbinary.readouterr().out.decode("utf-8") == contracts.asyncapi_yaml()


@pytest.mark.parametrize("name, field, huge", [
    ("position-report", "accuracy_m", 1e12),
    ("plan-approval", "version", 2**62),
    ("incident-report", "size", {"people_involved": 10**12}),
])
def test_numbers_arriving_over_http_have_an_upper_bound(name, field, huge):
    body = copy.deepcopy(contracts.example_body(name)) if name != "plan-approval" else {"version": 1}
    assert contracts.validate_body(name, body) == []
    body[field] = huge
    assert contracts.validate_body(name, body), f"{name}.{field} = {huge} accepted"
