"""Any partitioner works: records on partitions other than their key's owner are forwarded, not lost.

Two workers share two partitions in event time. The same simulated shop is sent through two producers at
once, one partitioning by CRC32 (librdkafka's and so kcat's default) and one by murmur2 (the Java client's,
Faust's and the engine's), each event by one of them: about half of the CRC32 records land on a partition
the other worker owns. The triggers and the contact decisions must be exactly those of the one-process
reference run.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from kafka.partitioner import Partitioner

from schemas.base import Envelope
from schemas.decisions import ContactDecision
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.config import Settings
from streams.domain.policy import Policy
from streams.runtime.routing import owner_partition
from streams.sdk.producer import EventProducer
from streams.tools.dev import ready
from streams.tools.embedded import EmbeddedBroker, free_port
from streams.tools.kafka_broker import ApacheKafka
from streams.tools.simulator import simulate_shop
from tests.integration.helpers import Workers, eventually, read_topic, reference_end

pytestmark = pytest.mark.integration


class Crc32Partitioner(Partitioner):
    """librdkafka's ``consistent`` partitioner (kcat's default): CRC32 of the key modulo the partition count."""

    def partition(
        self, topic: str, key: Any, serialized_key: bytes, value: Any, serialized_value: Any, cluster: Any
    ) -> int:
        partitions = sorted(cluster.partitions_for_topic(topic))
        return int(partitions[zlib.crc32(serialized_key) % len(partitions)])


PRODUCT_ALERTS = {"favorite_low_stock", "back_in_stock", "price_drop"}


def _decisions_of(settings: Settings, trigger_ids: set[str]) -> list[str]:
    """What the worker's contact stage recorded for these triggers (to say why they are missing)."""
    topic = settings.topic_name(by_role("decisions"))
    records = map(ContactDecision.model_validate_json, read_topic(settings, topic, lambda _: False, 10))
    return [f"{d.type} {d.outcome} {d.reason}" for d in records if d.trigger_id in trigger_ids]


def _by_crc32(event: Envelope) -> bool:
    return zlib.crc32(event.event_id.encode()) % 2 == 0


def test_records_from_a_crc32_and_a_murmur2_producer_give_the_reference_runs_triggers(
    workers: Workers, broker: EmbeddedBroker | ApacheKafka
) -> None:
    start = datetime(2026, 8, 1, tzinfo=timezone(timedelta(hours=8)))
    events = sorted(simulate_shop(seed=5, customers=15, days=90, start=start), key=lambda e: e.occurred_at)
    until = events[-1].occurred_at + timedelta(days=1)
    reference = reference_end(events, Policy(), until)
    expected = reference.triggers
    keys = [getattr(e, "customer_id", None) or e.product_id for e in events if _by_crc32(e)]  # type: ignore[attr-defined]
    strays = [k for k in keys if owner_partition(k.encode(), 2) != zlib.crc32(k.encode()) % 2]
    assert len(strays) > 50  # the CRC32 producer really puts many records on the other worker's partition

    settings = workers.start(clock="event", partitions=2)
    second = workers.env | {"COMEBACK_WEB_PORT": str(free_port()), "COMEBACK_DATA_DIR": f"{settings.data_dir}-2"}
    workers.start(second)
    # Both assigned and recovered before the first record: this test is about partitioners, not about a
    # rebalance in mid-stream (test_chaos is; issue 14 names what such a rebalance can still change).
    ports = (settings.web_port, int(second["COMEBACK_WEB_PORT"]))
    eventually(lambda: True if all(ready(port) for port in ports) else None, timeout=120)
    with EventProducer(settings) as murmur2, EventProducer(settings, partitioner=Crc32Partitioner()) as crc32:
        last_mark, previous = events[0].occurred_at, murmur2
        for event in events:
            producer = crc32 if _by_crc32(event) else murmur2
            if producer is not previous:  # each partition must stay in event-time order across both producers
                previous.flush()
            if event.occurred_at - last_mark >= timedelta(days=1):
                previous.flush()
                murmur2.advance_watermark(event.occurred_at)
                murmur2.flush()
                last_mark = event.occurred_at
            producer.send(event)
            previous = producer
        previous.flush()
        murmur2.advance_watermark(until)

    topic = settings.topic_name(by_role("triggers"))
    wanted = {t.trigger_id for t in expected}

    def ids(values: list[bytes]) -> set[str]:
        return {Trigger.model_validate_json(v).trigger_id for v in values}

    found = ids(read_topic(settings, topic, lambda v: ids(v) >= wanted, 180))
    late = {t.trigger_id: t.type for t in expected if t.trigger_id not in found}
    if isinstance(broker, ApacheKafka) and late and found <= wanted and set(late.values()) <= PRODUCT_ALERTS:
        # Known, issue 14: the customer side may run ahead of the product side, so an alert reaches its
        # customer late and the contact stage can decide it otherwise; event-time coordination will fix it.
        said = _decisions_of(settings, set(late))
        pytest.xfail(f"issue 14: {len(late)} product alert(s) missing on Apache Kafka: {late}; decided: {said}")
    assert found == wanted
    decided = {d.decision_id for d in reference.decisions}

    def decision_ids(values: list[bytes]) -> set[str]:
        return {ContactDecision.model_validate_json(v).decision_id for v in values}

    decisions = read_topic(settings, settings.topic_name(by_role("decisions")), lambda v: decision_ids(v) >= decided)
    assert decision_ids(decisions) == decided
