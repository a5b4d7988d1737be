"""The embedded broker and redis-server over real sockets, and the topic administration on them."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaTimeoutError

from schemas.topics import TOPICS, by_role
from streams.adapters.kafka_admin import TopicLayoutError, create_topics, wait_for_topics
from streams.config import Settings
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis

pytestmark = pytest.mark.integration

ComebackEnv = Callable[..., dict[str, str]]


def _settings(env: dict[str, str]) -> Settings:
    return Settings(**{key.removeprefix("COMEBACK_").lower(): value for key, value in env.items()})


def _partition_counts(settings: Settings) -> dict[str, int]:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        names = [settings.topic_name(spec) for spec in TOPICS]
        return {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
    finally:
        admin.close()


def _precreate(settings: Settings, role: str, partitions: int) -> str:
    name = settings.topic_name(by_role(role))
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1}})
    finally:
        admin.close()
    return name


def test_create_topics_is_idempotent_and_gives_every_topic_the_configured_partitions(comeback_env: ComebackEnv) -> None:
    settings = _settings(comeback_env(partitions=3))
    names = sorted(settings.topic_name(spec) for spec in TOPICS)

    assert sorted(create_topics(settings)) == names
    assert create_topics(settings) == []
    assert _partition_counts(settings) == {settings.topic_name(spec): spec.partitions or 3 for spec in TOPICS}
    assert 1 in _partition_counts(settings).values()  # the shop model's topic has a fixed single partition
    wait_for_topics(settings, names, timeout=5)


def test_create_topics_keeps_existing_topics_and_returns_only_the_new_ones(comeback_env: ComebackEnv) -> None:
    settings = _settings(comeback_env())
    orders = _precreate(settings, "orders", settings.partitions)

    created = create_topics(settings)

    assert orders not in created
    assert sorted(created + [orders]) == sorted(settings.topic_name(spec) for spec in TOPICS)


def test_create_topics_rejects_a_customer_keyed_topic_with_another_partition_count(comeback_env: ComebackEnv) -> None:
    settings = _settings(comeback_env())
    ticks = _precreate(settings, "ticks", settings.partitions + 1)

    with pytest.raises(TopicLayoutError, match=ticks):
        create_topics(settings)


def test_wait_for_topics_times_out_on_a_missing_topic(comeback_env: ComebackEnv) -> None:
    settings = _settings(comeback_env())

    with pytest.raises(KafkaTimeoutError):
        wait_for_topics(settings, [f"{settings.topic_prefix}missing"], timeout=0.5)


def test_a_produced_record_is_consumed_back(comeback_env: ComebackEnv) -> None:
    settings = _settings(comeback_env())
    create_topics(settings)
    topic = settings.topic_name(by_role("orders"))
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    metadata = producer.send(topic, key=b"c-1", value=b'{"hello": 1}').get(timeout=10)
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, metadata.partition)])
    consumer.seek_to_beginning()
    records = [r for batch in consumer.poll(timeout_ms=5_000).values() for r in batch]
    consumer.close()

    assert [(r.key, r.value, r.offset) for r in records] == [(b"c-1", b'{"hello": 1}', metadata.offset)]


def test_redis_answers_ping_set_and_get_without_persistence(embedded_redis: EmbeddedRedis) -> None:
    with redis.Redis.from_url(embedded_redis.url) as client:
        assert client.ping()
        client.set("comeback:test", "value")
        assert client.get("comeback:test") == b"value"
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}


@pytest.mark.parametrize("server_type", [EmbeddedBroker, EmbeddedRedis])
def test_stop_reaps_the_child_and_removes_its_temporary_dir(server_type: type[EmbeddedBroker | EmbeddedRedis]) -> None:
    server = server_type().start()
    pid, run_dir = server.pid, server.run_dir
    assert pid is not None and run_dir is not None and server.log_file is not None
    os.kill(pid, 0)

    server.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert server.pid is None and not run_dir.exists()


def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    server = EmbeddedRedis().start()
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM

    server.stop(timeout=0.2)

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


_PR_SET_CHILD_SUBREAPER = 36
_PARENT = """
import sys, time
from pathlib import Path
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis
run = Path(sys.argv[1])
broker, server = EmbeddedBroker(run_dir=run / "tansu").start(), EmbeddedRedis(data_dir=run / "redis").start()
print(broker.pid, server.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_children_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    """The orphans are re-parented to this test (a child subreaper), which reaps them itself."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        parent.kill()
        parent.wait()
        statuses = [_reap(pid, timeout=5) for pid in pids]
    finally:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 0)

    assert len(pids) == 2
    assert [os.WIFSIGNALED(s) and os.WTERMSIG(s) for s in statuses] == [signal.SIGKILL] * 2


def _reap(pid: int, timeout: float) -> int:
    """The wait status of an adopted orphan; SIGTERM it first if it still runs at the deadline."""
    deadline = time.monotonic() + timeout
    while (result := os.waitpid(pid, os.WNOHANG)) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGTERM)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.02)
    return result[1]
