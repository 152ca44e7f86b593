"""docker-compose.yml (the production-like stack) stays valid and consistent with the code.

There is no Docker engine here: the file is rendered and validated by Debian's docker-compose
(`config` needs no engine) against the Compose specification's JSON Schema that ships with it,
and checked against the code: every variable given to a Python container is one the code reads.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra.kafka_access import access_by_principal, password_variable

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["demand", "resources", "matching", "logistics"]
IMAGE = "mutual-deploy"


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {k.strip(): v for k, v in pairs}


def cluster_env() -> dict[str, str]:
    lines = (ROOT / "infra/compose/cluster.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def python_containers() -> dict[str, dict]:
    return {name: spec for name, spec in compose()["services"].items() if spec.get("image", "").startswith(IMAGE)}


needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                   reason="needs Debian's docker-compose (apt-get install docker-compose; "
                                          "infra/system-deps.sh installs it)")


def render(extra_env: dict | None = None, profile: str | None = None) -> dict:
    """`docker-compose config` with .env.example: interpolated, merged and validated, or it fails."""
    cmd = ["docker-compose", "--env-file", str(ROOT / ".env.example"), "-f", str(ROOT / "docker-compose.yml")]
    cmd += ["--profile", profile] if profile else []
    env = {"PATH": "/usr/bin:/bin", **(extra_env or {})}
    out = subprocess.run(cmd + ["config"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def compose_spec_schema() -> dict:
    """The Compose specification's JSON Schema as the installed docker-compose ships it."""
    out = subprocess.run(["python3", "-c", "import compose.config, os; print(os.path.dirname(compose.config.__file__))"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads((Path(out.stdout.strip()) / "compose_spec.json").read_text())


@needs_compose
def test_the_stack_renders_and_validates_against_the_compose_specification():
    rendered = render()
    schema = compose_spec_schema()
    # the specification names draft 2019-09 as "http://json-schema.org/draft/2019-09/schema#", a spelling
    # jsonschema does not look up (it would fall back to 2020-12, with a warning): the named draft itself
    assert schema["$schema"].rstrip("#").endswith("json-schema.org/draft/2019-09/schema")
    jsonschema.Draft201909Validator(schema).validate(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))
    assert {"kafka", "postgres", "create-topics", "twin"} <= set(rendered["services"])
    services = compose()["services"]  # one broker unless the cluster profile is on
    assert "profiles" not in services["kafka"]
    assert services["kafka-2"]["profiles"] == services["kafka-3"]["profiles"] == ["cluster"]


@needs_compose
def test_the_cluster_profile_runs_three_brokers_with_replication_3_and_min_insync_2():
    rendered = render(cluster_env(), profile="cluster")
    brokers = {n: s for n, s in rendered["services"].items() if n.startswith("kafka")}
    assert sorted(brokers) == ["kafka", "kafka-2", "kafka-3"]
    assert sorted(str(s["environment"]["KAFKA_NODE_ID"]) for s in brokers.values()) == ["1", "2", "3"]
    for spec in brokers.values():
        env = spec["environment"]
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert str(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == "3" and str(env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2"
        assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
    job = rendered["services"]["create-topics"]["environment"]
    assert (str(job["TOPIC_REPLICATION_FACTOR"]), str(job["TOPIC_MIN_INSYNC_REPLICAS"])) == ("3", "2")
    for name in SERVICES:
        assert rendered["services"][name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092,kafka-2:9092,kafka-3:9092"


def test_each_service_runs_gunicorn_web_processes_and_one_worker_process():
    services = compose()["services"]
    for name in SERVICES:
        web, worker = services[name], services[f"{name}-worker"]
        assert web["command"] == ["python", "-m", "infra.serve", "web", name]
        assert worker["command"] == ["python", "-m", "infra.serve", "worker", name]
        assert "WEB_WORKERS" in web["environment"] and "ports" in web and "ports" not in worker
        assert web["depends_on"][f"{name}-worker"]["condition"] == "service_healthy"  # the worker makes the schema
        for spec in (web, worker):
            assert spec["environment"][f"{name.upper()}_PORT"] in spec["healthcheck"]["test"][-1]
            assert "/ready" in spec["healthcheck"]["test"][-1]


def test_every_long_running_container_restarts_and_has_a_health_check():
    for name, spec in compose()["services"].items():
        if name == "create-topics":
            assert spec["restart"] == "on-failure"
            continue
        assert spec["restart"] == "unless-stopped", name
        assert spec.get("healthcheck", {}).get("test"), name


def test_state_lives_in_named_volumes():
    doc = compose()
    named = set(doc["volumes"])
    for name in ("kafka", "postgres"):
        volume = doc["services"][name]["volumes"][0].split(":")[0]
        assert volume in named


def test_each_service_has_its_own_database_and_kafka_principal():
    services = compose()["services"]
    init = (ROOT / "infra/postgres/init-databases.sh").read_text()
    created = re.search(r"for service in ([a-z ]+); do", init).group(1).split()
    assert sorted(created) == sorted(SERVICES)
    for name in SERVICES:
        env = services[f"{name}-worker"]["environment"]
        assert re.fullmatch(rf"postgresql://{name}:\$\{{{name.upper()}_DB_PASSWORD:\?\}}@postgres:5432/{name}",
                            env["DATABASE_URL"])
        assert env["KAFKA_SASL_USERNAME"] == name and env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert services[name]["environment"]["DATABASE_URL"] == env["DATABASE_URL"]
    assert services["twin"]["environment"]["KAFKA_SASL_USERNAME"] == "twin"


def test_the_setup_job_gets_a_password_for_every_principal_the_contracts_name():
    job = compose()["services"]["create-topics"]["environment"]
    for principal in access_by_principal():
        assert password_variable(principal) in job, principal
    assert job["KAFKA_SASL_USERNAME"] == "admin" and job["KAFKA_SETUP_ACCESS"] == "1"


def test_every_variable_given_to_a_python_container_is_read_by_the_code():
    literal, patterns = variables_the_code_reads()
    for name, spec in python_containers().items():
        for var in spec.get("environment", {}):
            assert var in literal or any(p.fullmatch(var) for p in patterns), f"{name}: nothing reads {var}"


def test_every_variable_compose_interpolates_is_documented_in_env_example_and_vice_versa():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    documented = set(env_example())
    assert used - documented == set(), "add these to .env.example"
    assert documented - used - {"COMPOSE_PROJECT_NAME"} == set(), "documented but unused"
    assert set(cluster_env()) - {"COMPOSE_PROFILES"} <= used


def test_the_code_reader_finds_reads_and_templated_names():
    literal, patterns = variables_the_code_reads()
    assert {"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SASL_PASSWORD", "WEB_WORKERS", "LOG_FORMAT"} <= literal
    assert any(p.fullmatch("MATCHING_PORT") for p in patterns)
    assert any(p.fullmatch("KAFKA_PASSWORD_TWIN") for p in patterns)
    assert "COMPOSE_PROJECT_NAME" not in literal and not any(p.fullmatch("NOT_READ_ANYWHERE") for p in patterns)


def variables_the_code_reads() -> tuple[set[str], list[re.Pattern]]:
    """Names read with env.get("X"), environ["X"], setdefault("X") ..., and templates such as
    f"{name.upper()}_PORT" (any prefix) or f"KAFKA_PASSWORD_{...}" (any suffix)."""
    literal, patterns = set(), []
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("twin/**/*.py"), *ROOT.glob("infra/**/*.py")]:
        source = path.read_text(encoding="utf-8")
        literal |= set(re.findall(r"(?:environ|env)(?:\.get|\.setdefault|\.pop)?[(\[]\s*\"([A-Z][A-Z0-9_]*)\"", source))
        for suffix in re.findall(r"f\"\{[^}\"]+\}(_[A-Z0-9_]+)\"", source):
            patterns.append(re.compile(r"[A-Z0-9_]+" + re.escape(suffix)))
        for prefix in re.findall(r"f\"([A-Z][A-Z0-9_]*_)\{[^}\"]+\}\"", source):
            patterns.append(re.compile(re.escape(prefix) + r"[A-Z0-9_]+"))
    return literal, patterns


def test_the_deployed_twin_offers_no_demo_sign_in_and_no_simulated_devices():
    """DEMO in .env may load the demo force into resources; the twin of a deployment is never in demo mode."""
    twin = compose()["services"]["twin"]["environment"]
    assert twin["DEMO"] == "0"
    assert "TWIN_SECRET_KEY" in twin and "TWIN_SECRET_KEY" in env_example()
