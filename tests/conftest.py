"""Shared fixtures. Servers start lazily: only a test that requests one (directly or through
``comeback_env``) starts a broker or redis-server, once per session.

The broker is parametrized: every test that uses it runs on the embedded broker (Tansu) and on a real
Apache Kafka 3.9.1 (streams/tools/kafka_broker.py). The Apache Kafka half is skipped, with the reason,
where java or mvn is missing or its JARs cannot be fetched, unless ``COMEBACK_REQUIRE_KAFKA=1`` (CI):
then it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import NoReturn

import pytest

from streams.tools.dev import BROKERS, local_broker, settings_env
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis, free_port
from streams.tools.kafka_broker import ApacheKafka, KafkaUnavailable, kafka_available

ComebackEnv = Callable[..., dict[str, str]]
REQUIRE_KAFKA = "COMEBACK_REQUIRE_KAFKA"


def kafka_unavailable(reason: str) -> NoReturn:
    """Skip the calling test or fixture, or fail it when COMEBACK_REQUIRE_KAFKA=1."""
    if os.environ.get(REQUIRE_KAFKA) == "1":
        pytest.fail(f"{REQUIRE_KAFKA}=1 but Apache Kafka cannot run: {reason}", pytrace=False)
    pytest.skip(f"Apache Kafka half skipped: {reason} (set {REQUIRE_KAFKA}=1 to fail instead)")


@pytest.fixture
def kafka_required() -> None:
    """For tests that start their own Apache Kafka: skip (or fail, see above) where it cannot run."""
    if reason := kafka_available():
        kafka_unavailable(reason)


@pytest.fixture(scope="session", params=BROKERS)
def broker(request: pytest.FixtureRequest) -> Iterator[EmbeddedBroker | ApacheKafka]:
    """One broker per kind for the session (one at a time); tests isolate themselves with their own topic prefix."""
    if request.param == "kafka" and (reason := kafka_available()):
        kafka_unavailable(reason)
    server = local_broker(request.param)
    try:
        server.start()
    except KafkaUnavailable as exc:  # e.g. Maven Central out of reach on the first run
        kafka_unavailable(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """One redis-server for the session (persistence off)."""
    with EmbeddedRedis(data_dir=tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def comeback_env(
    broker: EmbeddedBroker | ApacheKafka, embedded_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> ComebackEnv:
    """Factory: each call returns COMEBACK_* variables for a fresh isolated run on the session's broker.

    Every call gets its own app id, topic prefix, data dir and web port, and the settings the broker
    needs (``settings_overrides()``: the embedded broker's workarounds); keyword arguments override or
    add settings by field name (``comeback_env(partitions=4)``).
    """

    def make(**overrides: object) -> dict[str, str]:
        run = uuid.uuid4().hex[:10]
        env = (
            {
                "app_id": f"comeback-test-{run}",
                "topic_prefix": f"t{run}.",
                "kafka_bootstrap": broker.bootstrap,
                "redis_url": embedded_redis.url,
                "store": "memory://",
                "partitions": 2,
                "data_dir": tmp_path_factory.mktemp(f"data-{run}"),
                "web_port": free_port(),
            }
            | broker.settings_overrides()
            | overrides
        )
        return settings_env(env)

    return make
