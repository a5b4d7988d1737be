"""The Dockerfile and docker-compose.yml, checked without Docker.

A typo in a COMEBACK_* name would otherwise be ignored silently (Settings has extra="ignore"),
and a KRaft listener mistake only shows when the broker refuses to start.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from schemas.events import EVENT_ADAPTER
from schemas.topics import TOPICS
from streams.config import Settings, load_policy
from streams.domain.policy import Policy
from streams.tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
KAFKA_ENV = {k: str(v) for k, v in SERVICES["kafka"]["environment"].items()}
ENV_NAME = re.compile(r"\bCOMEBACK_[A-Z0-9_]+")


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    words = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(w[0].upper(), w[1] if len(w) > 1 else "") for w in words]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def _listeners(value: str) -> dict[str, str]:
    """``NAME://host:port,...`` -> {NAME: "host:port"}."""
    return dict(item.split("://", 1) for item in value.split(","))


def _port(address: str) -> str:
    return address.rsplit(":", 1)[1]


def _env(service: str) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def _cli_accepts(*argv: str) -> bool:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    return exit_info.value.code == 0


# --- Kafka -----------------------------------------------------------------------------


def test_kafka_is_an_exact_apache_kafka_3_tag() -> None:
    assert re.fullmatch(r"apache/kafka:3\.\d+\.\d+", SERVICES["kafka"]["image"])


def test_kafka_runs_kraft_combined_with_its_node_id_among_the_voters() -> None:
    assert set(KAFKA_ENV["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    voters = dict(v.split("@", 1) for v in KAFKA_ENV["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
    assert KAFKA_ENV["KAFKA_NODE_ID"] in voters
    controller = KAFKA_ENV["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert _port(voters[KAFKA_ENV["KAFKA_NODE_ID"]]) == _port(_listeners(KAFKA_ENV["KAFKA_LISTENERS"])[controller])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", KAFKA_ENV["CLUSTER_ID"])


def test_kafka_listeners_are_declared_mapped_and_advertised_consistently() -> None:
    listeners = _listeners(KAFKA_ENV["KAFKA_LISTENERS"])
    advertised = _listeners(KAFKA_ENV["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(p.split(":", 1) for p in KAFKA_ENV["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    controller = KAFKA_ENV["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert set(listeners) == set(protocols)
    assert set(advertised) <= set(listeners) and controller not in advertised
    assert all(_port(advertised[name]) == _port(listeners[name]) for name in advertised)
    assert KAFKA_ENV["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    assert "localhost:9092" in advertised.values()
    published = [p for p in SERVICES["kafka"]["ports"] if str(p).endswith(":9092")]
    assert published, "the EXTERNAL listener must be published on the host's port 9092"


def test_kafka_single_node_settings() -> None:
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert KAFKA_ENV[name] == "1", name
    assert KAFKA_ENV["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in SERVICES["kafka"]


def test_kafka_bootstrap_of_the_engine_is_the_internal_listener() -> None:
    advertised = _listeners(KAFKA_ENV["KAFKA_ADVERTISED_LISTENERS"])
    internal = advertised[KAFKA_ENV["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    assert {_env("topics")["COMEBACK_KAFKA_BOOTSTRAP"], _env("worker")["COMEBACK_KAFKA_BOOTSTRAP"]} == {internal}


# --- Redis -----------------------------------------------------------------------------


def test_redis_is_pinned_persists_with_aof_and_is_health_checked() -> None:
    redis = SERVICES["redis"]
    assert re.fullmatch(r"redis:7\.\d+\.\d+(-alpine[\d.]*)?", redis["image"])
    command = redis["command"] if isinstance(redis["command"], list) else redis["command"].split()
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.split(":")[0] in COMPOSE["volumes"] and v.split(":")[1] == "/data" for v in redis["volumes"])
    assert "healthcheck" in redis


# --- The engine's services -----------------------------------------------------------------


def test_every_comeback_variable_is_a_settings_field() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    texts = [ROOT / "docker-compose.yml", ROOT / "Dockerfile", ROOT / "docs" / "deploy.md"]
    used = {(path.name, name) for path in texts if path.exists() for name in ENV_NAME.findall(path.read_text())}
    unknown = sorted(f"{file}: {name}" for file, name in used if name.removeprefix("COMEBACK_") not in fields)
    assert not unknown, f"not fields of streams.config.Settings: {unknown}"


@pytest.mark.parametrize("service", ["topics", "worker", "refit"])
def test_service_environment_loads_into_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _env(service).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COMEBACK_POLICY_FILE", raising=False)  # a container path; checked below
    settings = Settings()
    assert settings.kafka_bootstrap == _env(service)["COMEBACK_KAFKA_BOOTSTRAP"]


def test_topics_job_runs_topics_create_once_kafka_is_healthy() -> None:
    topics = SERVICES["topics"]
    assert topics["command"] == ["topics", "create"] and _cli_accepts(*topics["command"])
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics.get("restart", "no") == "no"
    assert _env("topics")["COMEBACK_PARTITIONS"] == _env("worker")["COMEBACK_PARTITIONS"]


def test_worker_runs_two_replicas_after_topics_and_redis() -> None:
    worker = SERVICES["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert "container_name" not in worker
    assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert _cli_accepts(*worker["command"])


def test_refit_fits_on_the_workers_clock_and_policy_after_the_topics() -> None:
    refit = SERVICES["refit"]
    assert refit["command"] == ["refit"] and _cli_accepts(*refit["command"])
    assert refit["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert refit["healthcheck"]["disable"] is True  # the image's check asks a web port it does not open
    for name in ("COMEBACK_CLOCK", "COMEBACK_POLICY_FILE", "COMEBACK_APP_ID", "COMEBACK_TOPIC_PREFIX"):
        assert _env("refit")[name] == _env("worker")[name], name
    assert refit["volumes"] == [v for v in SERVICES["worker"]["volumes"] if v.endswith(":ro")]


def test_worker_replicas_share_no_fixed_host_port() -> None:
    for port in SERVICES["worker"].get("ports", []):
        if isinstance(port, dict):
            assert "published" not in port, port
        else:
            parts = str(port).split(":")
            assert len(parts) == 1 or parts[-2] == "", f"{port}: a fixed host port clashes between replicas"


def test_worker_is_configured_for_production() -> None:
    env = _env("worker")
    assert env["COMEBACK_STORE"].startswith("rocksdb://")
    assert env["COMEBACK_CLOCK"] == "wall"
    assert env["COMEBACK_REDIS_URL"].startswith("redis://redis:")
    assert env["COMEBACK_DATA_DIR"] in SERVICES["worker"]["volumes"], "RocksDB needs its own (anonymous) volume"


def test_worker_policy_is_the_example_mounted_read_only() -> None:
    mounts = [v.split(":") for v in SERVICES["worker"]["volumes"] if ":" in v]
    source, target, mode = next(m for m in mounts if m[1] == _env("worker")["COMEBACK_POLICY_FILE"])
    assert mode == "ro"
    assert load_policy(ROOT / source) == Policy()


def test_compose_file_matches_the_compose_spec_schema() -> None:
    """The official compose-spec JSON schema, as vendored by check-jsonschema (read, not imported)."""
    jsonschema = pytest.importorskip("jsonschema")
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or spec.origin is None:
        pytest.skip("check-jsonschema is not installed: it ships the compose-spec schema")
    schema_path = Path(spec.origin).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator(schema).validate(COMPOSE)


def test_deploy_guide_uses_real_topics_and_a_valid_sample_event() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert set(re.findall(r"--topic (\S+)", guide)) <= {t.name for t in TOPICS}
    samples = re.findall(r"^([\w.:@/-]+)\|(\{.*\})$", guide, re.MULTILINE)
    assert samples
    for key, value in samples:
        assert EVENT_ADAPTER.validate_json(value).customer_id == key


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_base_is_a_pinned_python_3_11_slim() -> None:
    bases = [args.split()[0] for op, args in _dockerfile() if op == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base) for base in bases), bases


def test_dockerfile_installs_only_the_rocksdb_extra() -> None:
    installs = [args for op, args in _dockerfile() if op == "RUN" and "pip install" in args]
    assert any("[rocksdb]" in args for args in installs)
    assert not any(extra in args for args in installs for extra in ("test", "embedded"))


def test_dockerfile_runs_the_console_script_as_a_non_root_user() -> None:
    final = dict(_final_stage())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    entrypoint, cmd = json.loads(final["ENTRYPOINT"]), json.loads(final["CMD"])
    assert entrypoint == ["comeback"] and "comeback" in scripts
    assert cmd == ["worker"] and _cli_accepts(*cmd)
    assert final["USER"].split(":")[0] not in {"root", "0"}


def test_dockerfile_declares_the_data_volume_and_web_port() -> None:
    final = _final_stage()
    env = " ".join(args for op, args in final if op == "ENV")
    assert "COMEBACK_DATA_DIR=/data" in env
    assert "/data" in json.loads(dict(final)["VOLUME"])
    assert dict(final)["EXPOSE"].split("/")[0] == str(Settings.model_fields["web_port"].default)


def test_dockerignore_keeps_the_build_inputs_and_drops_the_rest() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()} - {""}
    assert {".venv", ".git", "node_modules", "comeback-data", ".pytest_cache"} <= ignored
    assert not ignored & {"pyproject.toml", "README.md", "schemas", "streams", "agents", "*"}
