"""The restart benchmark's fill and cold start (``benchmarks/restart.py``) on Apache Kafka, at 500 customers: a
worker started on the filled changelog, RocksDB store and no local tables, reads it (its log says so), recovers
every customer, each with the state it was filled with (read back through the web view), and stops cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.domain.policy import Policy
from streams.tools.bench.changelog import customer_id, fill_changelog
from streams.tools.bench.kafka_side import fetch_text
from streams.tools.bench.restart import start_until_ready, stop_cleanly
from streams.tools.bench.throughput import Stack
from streams.tools.bench.workload import DEFAULT_START, Workload
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis
from streams.tools.kafka_broker import ApacheKafka

pytestmark = pytest.mark.integration
on_kafka = pytest.mark.parametrize("broker", ["kafka"], indirect=True)  # the session's Apache Kafka only

CUSTOMERS = 500


@on_kafka
def test_a_cold_start_on_a_filled_changelog_recovers_every_customer(
    broker: EmbeddedBroker | ApacheKafka, embedded_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    pool = list(Workload.simulate(1, 20, 60, DEFAULT_START, Policy()).states.values())
    target = Stack(broker, embedded_redis, tmp_path).target("restart", 2, "event", store="rocksdb://")
    filled = fill_changelog(target.settings, pool, CUSTOMERS)
    assert filled.customers == CUSTOMERS and filled.payload_bytes > CUSTOMERS * 100

    started = start_until_ready(target, timeout=180)
    try:
        assert started.seconds > started.read_s + started.rebuild_s > 0 and started.read_s > 0
        for index in range(CUSTOMERS):
            source = pool[index % len(pool)]
            status, body = fetch_text(f"http://127.0.0.1:{target.settings.web_port}/customers/{customer_id(index)}")
            assert status == 200, body
            profile = json.loads(body)
            assert profile["customer_id"] == customer_id(index)
            assert profile["revision"] == source.revision
            timers = [{"kind": t.kind, "due_at": t.due_at.isoformat()} for t in source.timers]
            assert profile["pending_timers"] == timers
    finally:
        stop_cleanly(started.child, target)
