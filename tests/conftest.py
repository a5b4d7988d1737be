"""Shared fixtures. Servers start lazily: only a test that requests one (directly or through
``comeback_env``) starts the embedded broker or redis-server, once per session."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis, free_port

ComebackEnv = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """One Tansu broker for the session; tests isolate themselves with their own topic prefix."""
    with EmbeddedBroker() as broker:
        yield broker


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """One redis-server for the session (persistence off)."""
    with EmbeddedRedis(data_dir=tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def comeback_env(
    embedded_broker: EmbeddedBroker, embedded_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> ComebackEnv:
    """Factory: each call returns COMEBACK_* variables for a fresh isolated run.

    Every call gets its own app id, topic prefix, data dir and web port; keyword arguments
    override or add settings by field name (``comeback_env(partitions=4)``).
    """

    def make(**overrides: object) -> dict[str, str]:
        run = uuid.uuid4().hex[:10]
        env = {
            "app_id": f"comeback-test-{run}",
            "topic_prefix": f"t{run}.",
            "kafka_bootstrap": embedded_broker.bootstrap,
            "redis_url": embedded_redis.url,
            "store": "memory://",
            "producer_max_batch_size": 1,
            "session_timeout_seconds": 10,
            "heartbeat_interval_seconds": 1,
            "partitions": 2,
            "data_dir": tmp_path_factory.mktemp(f"data-{run}"),
            "web_port": free_port(),
        } | overrides
        return {f"COMEBACK_{key.upper()}": str(value) for key, value in env.items()}

    return make
