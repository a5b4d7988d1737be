"""A ``customer_to_state`` changelog filled directly: N customers' states, keyed, encoded and partitioned as a
worker's table writes them, produced in batches without a worker (for ``benchmarks/restart.py``).

The states are copies, under new ids (``c000000``...), of a pool of real ones (a simulated shop's reference run).
The changelog topic is created as the worker declares it: the table's own changelog topic (its partitions and
cleanup policy) with the settings' replication factor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import faust
from aiokafka import AIOKafkaProducer
from faust.serializers import codecs
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.adapters.kafka_admin import create_topics
from streams.adapters.kafka_clients import admin_client
from streams.adapters.table_codec import encode
from streams.config import Settings
from streams.domain.customer.state import CustomerState
from streams.runtime.app import create_app
from streams.runtime.routing import owner_partition

__all__ = ["TABLE", "Filled", "changelog_name", "customer_id", "fill_changelog", "stored_key", "stored_value"]

TABLE = "customer_to_state"


def stored_value(state: CustomerState) -> bytes:
    """A state as the table's changelog holds it: the table stores ``table_codec.encode`` (format 3) with Faust's
    raw value serializer (``streams.runtime.decoded.DecodedTable.put``). The one place the benchmark encodes a
    state: change it with the table's encoding."""
    return encode(state)


def stored_key(customer: str) -> bytes:
    """A customer's key in the changelog: Faust's json key serializer (the table has no key type)."""
    return codecs.dumps("json", customer)


def customer_id(index: int) -> str:
    """The id of the ``index``-th filled customer: ``c000000``, ``c000001``, ..."""
    return f"c{index:06d}"


def _changelog_topic(settings: Settings) -> faust.TopicT:
    """The table's changelog topic as the worker declares it (``streams.runtime.app.build_runtime``)."""
    return create_app(settings).Table(TABLE, partitions=settings.partitions).changelog_topic


def changelog_name(settings: Settings) -> str:
    return _changelog_topic(settings).get_topic_name()


def _create_changelog(settings: Settings) -> None:
    """The changelog topic as the worker's Faust would create it at start (``Topic.declare``)."""
    topic = _changelog_topic(settings)
    policy = ",".join(flag for flag, on in (("compact", topic.compacting), ("delete", topic.deleting)) if on)
    admin = admin_client(settings)
    try:
        new = NewTopic(
            topic.get_topic_name(),
            topic.partitions or settings.partitions,
            settings.replication_factor,
            topic_configs={"cleanup.policy": policy} if policy else {},
        )
        try:
            admin.create_topics([new])
        except TopicAlreadyExistsError:
            pass
        admin.wait_for_topics([new.name], timeout_ms=30_000)
    finally:
        admin.close()


@dataclass(frozen=True)
class Filled:
    customers: int
    payload_bytes: int  # keys and values as produced
    seconds: float


Record = tuple[bytes, bytes, int]  # key, value, partition


async def _produce(settings: Settings, topic: str, records: Iterable[Record]) -> None:
    """aiokafka in large batches (its record batches are built in C, kafka-python's in Python)."""
    sender = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        security_protocol=settings.kafka_security_protocol,
        linger_ms=20,
        max_batch_size=1 << 20,
        max_request_size=4 << 20,
        acks=1,
    )
    await sender.start()
    try:
        sent = [await sender.send(topic, value, key=key, partition=partition) for key, value, partition in records]
        await asyncio.gather(*sent)
    finally:
        await sender.stop()


def fill_changelog(settings: Settings, pool: Sequence[CustomerState], customers: int) -> Filled:
    """Create every topic and the changelog, and produce ``customers`` states to it: the ``i``-th is
    ``pool[i % len(pool)]`` as customer ``customer_id(i)``, on the partition its key's owner reads
    (``owner_partition``: a table writes to the partition of the record it processes)."""
    create_topics(settings)
    _create_changelog(settings)
    payload = 0

    def records() -> Iterable[Record]:
        nonlocal payload
        for index in range(customers):
            customer = customer_id(index)
            key = stored_key(customer)
            value = stored_value(pool[index % len(pool)].model_copy(update={"customer_id": customer}))
            payload += len(key) + len(value)
            yield key, value, owner_partition(customer.encode(), settings.partitions)

    began = time.monotonic()
    asyncio.run(_produce(settings, changelog_name(settings), records()))
    return Filled(customers, payload, time.monotonic() - began)
