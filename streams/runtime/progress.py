"""Event time across the two sides: how far the customers have got, told to the product side.

Each worker announces, for the customer partitions it owns, a time before which every customer event is
applied and its watch changes are acknowledged (``CustomersProgress``), on every partition of the watchers
topic. A watch change goes out before the announcement that covers it, and both travel on the product's
partition, so the product side, reading one partition in order, knows every watch change before that time
is in. Each watchers partition keeps its own view (``CatalogGates``), and a catalog event there waits
until every customer partition has passed it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from schemas.control import CustomersProgress
from streams.domain.customer.state import CustomerState, StateIndex
from streams.runtime.clock import EventClock
from streams.runtime.timer_index import TimerIndex

__all__ = ["CatalogGates", "CustomerProgress", "TICK"]

TICK = timedelta(microseconds=1)  # event times are exact to the microsecond
REPEAT_SECONDS = 2.0  # an unchanged announcement is repeated, for a worker that joins later


class CustomerProgress:
    """This worker's customers: who holds events back, and what to announce."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # a record is applied, or the progress announced, never both at once
        self._held = TimerIndex()
        self._partitions: tuple[int, ...] = ()
        self._ready = False
        self._last: tuple[tuple[int, ...], datetime] | None = None
        self._last_sent = 0.0

    def assign(self, partitions: Iterable[int]) -> None:
        """After a rebalance nothing is announced until the state table is recovered and every held customer is
        noted again (``ready``)."""
        self._partitions, self._ready = tuple(sorted(set(partitions))), False
        self._held.clear()

    def ready(self) -> None:
        """Every customer this worker holds was noted after the recovery: the progress may be announced."""
        self._ready = True

    def note(self, state: CustomerState | StateIndex) -> None:
        """Record the customer's earliest held event after it was stored."""
        self._held.set(state.customer_id, state.held[0].at if state.held else None)

    def announcement(self, frontier: datetime) -> CustomersProgress | None:
        """What to announce given the slowest input partition's latest event time, if new or due again.

        Strictly before that time: the partition's next record may carry the same time."""
        if not (self._ready and self._partitions):
            return None
        held = self._held.earliest()
        before = frontier if held is None else min(frontier, held)
        repeat = time.monotonic() - self._last_sent >= REPEAT_SECONDS
        if self._last == (self._partitions, before) and not repeat:
            return None
        self._last, self._last_sent = (self._partitions, before), time.monotonic()
        return CustomersProgress(partitions=self._partitions, before=before)


class CatalogGates:
    """Product side, per watchers partition: how far every customer partition has got, and which products
    hold catalog events until then."""

    def __init__(self, customer_partitions: int) -> None:
        self._sources = [("customers", p) for p in range(customer_partitions)]
        self._clocks: dict[int, EventClock] = {}
        self._waiting: dict[int, TimerIndex] = {}

    def _clock(self, partition: int) -> EventClock:
        if partition not in self._clocks:
            self._clocks[partition] = EventClock()
            self._clocks[partition].assign(self._sources)
            self._waiting[partition] = TimerIndex()
        return self._clocks[partition]

    def observe(self, partition: int, progress: CustomersProgress) -> None:
        clock = self._clock(partition)
        for source in progress.partitions:
            clock.observe(progress.before, ("customers", source))

    def before(self, partition: int) -> datetime:
        """Every customer event before this time is applied, as far as this partition has heard."""
        return self._clock(partition).frontier()

    def wait(self, partition: int, product_id: str, earliest: datetime | None) -> None:
        self._clock(partition)
        self._waiting[partition].set(product_id, earliest)

    def due(self, catalog: datetime) -> list[str]:
        """Products whose earliest held catalog event the customers and the catalog watermark ``catalog`` have
        passed (they leave the index)."""
        return [
            product_id
            for partition, index in self._waiting.items()
            for product_id in index.pop_due(min(self.before(partition), catalog) - TICK)
        ]
