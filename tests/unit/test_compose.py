"""docker-compose.yml (the production-like stack) stays consistent with the code."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_service_the_twin_kafka_postgres_and_the_topic_job():
    services = compose()["services"]
    assert {"kafka", "postgres", "create-topics", "demand", "resources", "matching", "logistics", "twin"} <= set(services)
    for name in ["demand", "resources", "matching", "logistics"]:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert services[name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert services[name]["environment"][f"{name.upper()}_PORT"]


def test_every_module_compose_starts_exists():
    for spec in compose()["services"].values():
        cmd = spec.get("command")
        if cmd and cmd[:2] == ["python", "-m"]:
            module = cmd[2].replace(".", "/")
            assert (ROOT / module / "__main__.py").exists() or (ROOT / (module + ".py")).exists(), cmd
