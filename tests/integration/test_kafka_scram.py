"""Kafka behind SASL_SSL with a SCRAM-SHA-512 user, on Apache Kafka: the worker (aiokafka through Faust) and the
SDK (kafka-python) connect as that user over TLS, verified against the shop's CA; a wrong password is refused;
the password reaches neither the worker's log nor ``comeback config``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from kafka.errors import KafkaError
from pydantic import SecretStr

from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.kafka_admin import create_topics
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from streams.tools.dev import settings_env
from streams.tools.embedded import EmbeddedRedis, free_port
from streams.tools.kafka_broker import ApacheKafka, ScramListener
from tests.factories import order
from tests.integration.helpers import Workers, open_contact_policy, read_topic, write_policy

pytestmark = pytest.mark.integration
PASSWORD = "scram-pw-7c41e9"


def _keystore(ca: trustme.CA, path: Path) -> Path:
    """The broker's PEM keystore: its key as unencrypted PKCS#8 (what Kafka reads), then its certificate chain."""
    issued = ca.issue_cert("127.0.0.1", "localhost")
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), password=None)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pkcs8 + b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    return path


def test_the_worker_and_the_sdk_go_through_sasl_ssl_as_a_scram_user(
    kafka_required: None,
    embedded_redis: EmbeddedRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    scram = ScramListener(f"comeback-{uuid.uuid4().hex[:6]}", PASSWORD, _keystore(ca, tmp_path / "broker.pem"))
    run = uuid.uuid4().hex[:10]
    with ApacheKafka(scram=scram) as kafka:
        env = settings_env(
            {
                "app_id": f"comeback-test-{run}",
                "topic_prefix": f"t{run}.",
                "redis_url": embedded_redis.url,
                "store": "memory://",
                "partitions": 1,
                "data_dir": tmp_path / "data",
                "web_port": free_port(),
                "clock": "wall",
                "policy_file": write_policy(tmp_path / "policy.yaml", open_contact_policy()),
                "kafka_bootstrap": scram.bootstrap,  # the locked listener only
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "SCRAM-SHA-512",
                "kafka_sasl_username": scram.username,
                "kafka_sasl_password": PASSWORD,
                "kafka_ssl_cafile": tmp_path / "ca.pem",
            }
            | kafka.settings_overrides()
        )
        workers = Workers(lambda **_: env, tmp_path)
        try:
            settings = workers.start(env)
            with EventProducer(settings) as producer:
                producer.send(order("c-scram", at=datetime.now(UTC)))
            topic = settings.topic_name(by_role("triggers"))
            found = read_topic(settings, topic, lambda values: len(values) >= 1, 120)
            assert [Trigger.model_validate_json(v).customer_id for v in found] == ["c-scram"]

            wrong = settings.model_copy(update={"kafka_sasl_password": SecretStr("not-the-password")})
            with pytest.raises(KafkaError):
                create_topics(wrong, timeout=5)
            plain = settings.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
            with pytest.raises(KafkaError):
                create_topics(plain, timeout=5)

            for key, value in env.items():
                monkeypatch.setenv(key, value)
            assert main(["config"]) == 0
            shown = json.loads(capsys.readouterr().out)
            assert shown["kafka_sasl_password"] == "****" and PASSWORD not in json.dumps(shown)
        finally:
            workers.stop_all()
            workers.print_logs()
    assert PASSWORD not in "\n".join(path.read_text(errors="replace") for path in workers.logs)
