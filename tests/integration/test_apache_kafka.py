"""A real Apache Kafka 3.9.1 started and stopped by the project's own code (streams/tools/kafka_broker.py):
topics from ``comeback topics create``, aiokafka round trips, idempotent and batched producers, and the
``comeback demo/dev --broker kafka`` stacks.

Skipped where java or mvn is missing, failed instead with COMEBACK_REQUIRE_KAFKA=1 (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTopicPartition

from schemas.topics import by_role
from streams.adapters.kafka_admin import create_topics
from streams.config import Settings
from streams.sdk.producer import EventProducer
from streams.tools.embedded import HOST, EmbeddedServerError
from streams.tools.kafka_broker import ApacheKafka
from tests.factories import T0, view
from tests.integration.helpers import check_demo_output, settings_from

pytestmark = pytest.mark.integration
on_kafka = pytest.mark.parametrize("broker", ["kafka"], indirect=True)  # the session's Apache Kafka only

ComebackEnv = Callable[..., dict[str, str]]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        partitions = [KafkaTopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


async def _idempotent_round_trip(
    settings: Settings, topic: str, count: int
) -> tuple[int, list[tuple[int, bytes, bytes]]]:
    """Send ``count`` records with an idempotent, batching aiokafka producer and read them all back."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        pending = [await producer.send(topic, key=f"c-{i % 7}".encode(), value=str(i).encode()) for i in range(count)]
        await asyncio.gather(*pending)
        producer_id = producer._txn_manager.producer_id  # type: ignore[union-attr]  # InitProducerId's answer
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[tuple[int, bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(records) < count and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend((r.partition, r.key or b"", r.value or b"") for r in batch)
    finally:
        await consumer.stop()
    return producer_id, records


@on_kafka
def test_topics_create_then_an_idempotent_aiokafka_producer_round_trips_exactly_once(comeback_env: ComebackEnv) -> None:
    settings = settings_from(comeback_env(partitions=3))
    assert sorted(create_topics(settings)) == settings.all_topic_names()
    assert create_topics(settings) == []  # idempotent, and the co-partitioning check passes
    topic = settings.topic_name(by_role("orders"))

    producer_id, records = asyncio.run(_idempotent_round_trip(settings, topic, 300))

    assert producer_id >= 0  # the broker granted a producer id: idempotence is on, not silently dropped
    assert sorted(int(value) for _, _, value in records) == list(range(300))  # each record once
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for _, key, value in records:
        by_key[key].append(int(value))
    assert all(values == sorted(values) for values in by_key.values())  # a key's records stay in order
    per_partition = Counter(partition for partition, _, _ in records)
    assert _end_offsets(settings, topic) == dict(per_partition)  # exact end offsets after batched sends


@on_kafka
def test_the_sdk_producer_batches_idempotently_and_end_offsets_stay_exact(comeback_env: ComebackEnv) -> None:
    settings = settings_from(comeback_env())
    assert not settings.producer_ack_each and settings.producer_idempotence  # ApacheKafka.settings_overrides()
    create_topics(settings)
    events = [view(customer_id=f"c-{i % 13}", at=T0 + timedelta(seconds=i), event_id=f"v-{i}") for i in range(500)]

    with EventProducer(settings) as producer:
        assert producer.send_all(events) == 500
        producer_id = producer._producer._transaction_manager.producer_id_and_epoch.producer_id  # type: ignore[union-attr]

    assert producer_id >= 0
    assert sum(_end_offsets(settings, settings.topic_name(by_role("behavior"))).values()) == 500


def test_start_and_stop_leave_no_process_port_or_directory(kafka_required: None) -> None:
    server = ApacheKafka()
    started = time.monotonic()
    server.start()
    print(f"Apache Kafka answered metadata {time.monotonic() - started:.1f}s after start()")
    pid, run_dir = server.pid, server.run_dir
    assert pid is not None and run_dir is not None
    assert _listening(server.port) and _listening(server.controller_port)

    server.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert server.pid is None and not run_dir.exists()
    assert not _listening(server.port) and not _listening(server.controller_port)


def test_a_broker_that_cannot_start_raises_with_the_tail_of_its_log(kafka_required: None) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        server = ApacheKafka(port=taken.getsockname()[1])
        with pytest.raises(EmbeddedServerError, match="(?s)kafka exited with code.*Address already in use"):
            server.start()
    assert server.pid is None and server.run_dir is None


def test_the_demo_on_apache_kafka_matches_the_pure_core(kafka_required: None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMEBACK_") or k == "COMEBACK_KAFKA_JARS"}
    done = subprocess.run(
        [sys.executable, "-m", "streams", "demo", "--broker", "kafka"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "(kafka)" in done.stdout
    check_demo_output(done.stdout)


def test_ctrl_c_stops_the_dev_stack_on_apache_kafka(kafka_required: None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMEBACK_") or k == "COMEBACK_KAFKA_JARS"}
    dev = subprocess.Popen(
        [sys.executable, "-m", "streams", "dev", "--broker", "kafka"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and dev.stdout is not None:
            lines.append(dev.stdout.readline())
            if "kafka stack running" in lines[-1] or not lines[-1]:
                break
        output = "".join(lines)
        broker = re.search(r"broker\s+\S+:(\d+) \(kafka\)", output)
        assert broker, output
        port = int(broker.group(1))
        assert _listening(port)
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=60) == 0
        assert not _listening(port)
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
