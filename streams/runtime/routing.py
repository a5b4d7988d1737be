"""Any partitioner welcome: a record on a partition other than its key's owner is forwarded to the owner.

The engine's partition for a key is the Java client's and Faust's (murmur2). A producer with another
partitioner (librdkafka's CRC32, a Go client's own hash) puts some of a customer's records on partitions
another worker owns; processing them there would split the customer's state. So the worker reading such a
record forwards it, bytes unchanged, to the owner partition of a rerouted topic (co-partitioned with the
input, read by the same agent), with its origin in headers; the owner processes it as if read from its
origin. In event time the owner must also know when a source has nothing older left to forward: every worker
announces, per input partition it reads, a time before which everything misrouted there has been forwarded
(``ReroutedProgress``, on every rerouted partition), and the owner's watermark waits for those
announcements as for its own inputs (one virtual source per rerouted partition and origin).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
from aiokafka.partitioner import murmur2

from schemas.control import ReroutedProgress, SourceProgress
from streams.runtime.progress import REPEAT_SECONDS
from streams.runtime.sending import send_to_every_partition

__all__ = ["Origin", "Router", "owner_partition"]

HEADER_TOPIC, HEADER_PARTITION, HEADER_OFFSET = (
    "comeback-origin-topic",
    "comeback-origin-partition",
    "comeback-origin-offset",
)


def owner_partition(key: bytes, partitions: int) -> int:
    """The partition the Java client, Faust and this engine give ``key`` (murmur2)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class Origin:
    """Where a record was first published, and the event-time source its time counts for."""

    topic: str
    partition: int
    offset: int
    source: Hashable  # (topic, partition) read directly; ("rerouted", partition, topic, partition) forwarded
    forwarded: bool


def _headers(record: faust.types.EventT) -> Mapping[str, bytes]:
    headers: Any = record.message.headers or ()
    return dict(headers.items() if isinstance(headers, Mapping) else headers)


class Router:
    """One side's routing (customers or catalog): the inputs it reads, and the rerouted topic of their strays."""

    def __init__(self, inputs: Iterable[str], rerouted: faust.TopicT, rerouted_name: str, partitions: int) -> None:
        self.inputs = frozenset(inputs)
        self.rerouted, self.rerouted_name, self.partitions = rerouted, rerouted_name, partitions
        self._forwarded_up_to: dict[tuple[str, int], datetime] = {}  # per input partition read here
        self._last: dict[tuple[str, int], datetime] = {}
        self._last_sent = 0.0

    def origin(self, record: faust.types.EventT) -> Origin:
        message = record.message
        if message.topic == self.rerouted_name:
            headers = _headers(record)
            if HEADER_TOPIC in headers:
                topic, partition = headers[HEADER_TOPIC].decode(), int(headers[HEADER_PARTITION])
                offset = int(headers[HEADER_OFFSET])
                return Origin(topic, partition, offset, ("rerouted", message.partition, topic, partition), True)
        return Origin(message.topic, message.partition, message.offset, (message.topic, message.partition), False)

    def virtual_sources(self, rerouted_partitions: Iterable[int]) -> list[Hashable]:
        """The event-time sources of forwarded records, for the rerouted partitions this worker owns (partition
        ``owned`` of an input never forwards to rerouted partition ``owned``: its strays belong elsewhere)."""
        return [
            ("rerouted", owned, topic, partition)
            for owned in rerouted_partitions
            for topic in sorted(self.inputs)
            for partition in range(self.partitions)
            if partition != owned
        ]

    def stray_owner(self, record: faust.types.EventT, origin: Origin) -> int | None:
        """The partition that owns a stray (an input record on a partition its key's owner does not read);
        None for a record that is where it belongs."""
        key = record.message.key
        if origin.forwarded or origin.topic not in self.inputs or key is None:
            return None
        owner = owner_partition(key, self.partitions)
        return None if owner == origin.partition else owner

    async def forward(self, record: faust.types.EventT, owner: int) -> None:
        """To the owner's rerouted partition, bytes unchanged, acknowledged before the record counts as done."""
        message = record.message
        headers = [
            *_headers(record).items(),  # the producer's own, then where it came from
            (HEADER_TOPIC, message.topic.encode()),
            (HEADER_PARTITION, str(message.partition).encode()),
            (HEADER_OFFSET, str(message.offset).encode()),
        ]
        delivery = await self.rerouted.send(key=message.key, value=message.value, partition=owner, headers=headers)
        await delivery

    def done(self, origin: Origin, at: datetime) -> None:
        """A record (or watermark) of an input partition read here is fully handled: strays before it are out."""
        if not origin.forwarded:
            self.handled((origin.topic, origin.partition), at)

    def handled(self, source: tuple[str, int], at: datetime) -> None:
        """Everything of ``source`` before ``at`` is handled here (a record, or a watermark restored)."""
        self._forwarded_up_to[source] = max(at, self._forwarded_up_to.get(source, at))

    def observe(self, progress: ReroutedProgress, partition: int) -> list[tuple[Hashable, datetime]]:
        """The virtual sources a ``ReroutedProgress`` read on this rerouted partition moves, and to when."""
        return [(("rerouted", partition, s.topic, s.partition), s.before) for s in progress.sources]

    async def announce(self) -> None:
        """Event time: on every rerouted partition, how far each input partition read here has been forwarded."""
        repeat = time.monotonic() - self._last_sent >= REPEAT_SECONDS
        if not self._forwarded_up_to or (self._forwarded_up_to == self._last and not repeat):
            return
        self._last, self._last_sent = dict(self._forwarded_up_to), time.monotonic()
        sources = (SourceProgress(topic=t, partition=p, before=at) for (t, p), at in sorted(self._last.items()))
        await send_to_every_partition(self.rerouted, ReroutedProgress(sources=tuple(sources)), self.partitions)

    def forget(self, assigned: Iterable[tuple[str, int]]) -> None:
        """After a rebalance: announce only for the input partitions still read here."""
        kept = set(assigned)
        self._forwarded_up_to = {s: t for s, t in self._forwarded_up_to.items() if s in kept}
