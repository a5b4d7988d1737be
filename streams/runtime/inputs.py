"""One side's input (customers or catalog): decode a record against its origin's contract, keep event time
(records, watermarks, the strays' progress), forward a stray to its owner, or hand the message on.

The customer and the product shell each have one; all that differs between them is what they apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import faust
from faust.types import TP
from pydantic import BaseModel

from schemas.base import Envelope
from schemas.control import ReroutedProgress, WatermarkAdvanced
from streams.runtime.clock import Clock
from streams.runtime.records import Records
from streams.runtime.routing import Router, owner_partition
from streams.runtime.watermarks import SavedWatermarks, Source

__all__ = ["InputSide"]


class InputSide:
    def __init__(self, records: Records, router: Router, clock: Clock, watermarks: SavedWatermarks) -> None:
        self.records, self.router, self.clock, self.watermarks = records, router, clock, watermarks
        self._assigned: list[Source] = []  # the input partitions read here
        self._owned: frozenset[int] = frozenset()  # their partition numbers (the input topics are co-partitioned)

    async def take(self, record: faust.types.EventT, apply: Callable[[BaseModel], Awaitable[None]]) -> None:
        """``apply`` the record's message, unless it only moves time, is rejected, or belongs to another
        partition's owner (then it is forwarded there, and counts for this partition's time)."""
        origin = self.router.origin(record)
        decoded = await self.records.decode_or_reject(record, origin)
        if decoded is None:
            self.records.metrics.events.labels("unknown", "rejected").inc()
        elif isinstance(decoded, ReroutedProgress):
            for source, before in self.router.observe(decoded, record.message.partition):
                self.clock.observe(before, source)
        elif isinstance(decoded, WatermarkAdvanced):
            self.clock.observe(decoded.at, origin.source)
            self.router.done(origin, decoded.at)
            self.watermarks.save((origin.topic, origin.partition), decoded.at)
        else:
            at = decoded.occurred_at if isinstance(decoded, Envelope) else None
            if at is not None:
                self.clock.observe(at, origin.source)
            kind = str(getattr(decoded, "type", "unknown"))
            if (owner := self.router.stray_owner(record, origin)) is not None:
                await self.router.forward(record, owner)
                self.records.metrics.events.labels(kind, "forwarded").inc()
            else:
                await apply(decoded)
                if at is not None:  # input events; ticks, alerts and answers are the engine's own
                    self.records.metrics.events.labels(kind, "applied").inc()
            if at is not None:
                self.router.done(origin, at)

    def assign(self, assigned: Iterable[TP]) -> list[Source]:
        """After a rebalance: event time waits for every input partition read here, and for what other workers
        forward to the rerouted partitions read here. Returns the input partitions."""
        assigned = list(assigned)
        sources = [(tp.topic, tp.partition) for tp in assigned if tp.topic in self.router.inputs]
        rerouted = [tp.partition for tp in assigned if tp.topic == self.router.rerouted_name]
        self.clock.assign([*sources, *self.router.virtual_sources(rerouted)])
        self.router.forget(sources)
        self._assigned = sources
        self._owned = frozenset(partition for _, partition in sources)
        return sources

    def owns(self, key: str) -> bool:
        """Whether the stored state under ``key`` is on a partition read here.

        A table can hold more: Faust's memory store forgets, after a rebalance, only the keys it recovered
        from the changelog, not those this worker wrote while it owned their partition. Such a stale state
        must not be indexed (its held event would hold this worker's progress back for good) nor projected.
        """
        return owner_partition(key.encode(), self.router.partitions) in self._owned

    def restore(self) -> None:
        """After table recovery: the saved watermarks of the input partitions read here."""
        for source, at in self.watermarks.restore(self._assigned):
            self.clock.observe(at, source)
            self.router.handled(source, at)
