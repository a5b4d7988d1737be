"""The product side of the shell: catalog facts, who watches each product, the alert fan-out, cycle lookups.

Catalog events, watch changes and cycle lookups are all keyed by product_id and read by one agent, so the
product tables are written on the record's own partition. Alerts and cycle answers go to the ticks topic
keyed by customer, where the customer's own agent checks its state again before any trigger goes out.
In event time a catalog event waits in the product's state until the customers have passed it
(``streams.runtime.progress``), and a lookup until the catalog watermark has passed the purchase; a
ProductTick from the ticker lets them go.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import faust
from faust.types import TP

from schemas import events as ev
from schemas.control import (
    CustomersProgress,
    CycleLookup,
    ProductAlert,
    ProductCycle,
    ProductTick,
    WatchChanged,
    WatermarkAdvanced,
)
from schemas.topics import by_role
from streams.config import Settings
from streams.domain.policy import Policy
from streams.domain.product.cycles import release_lookups, take_lookup
from streams.domain.product.holds import hold_catalog, release_catalog
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers, product_moved, watch
from streams.runtime.clock import Clock
from streams.runtime.progress import CatalogGates
from streams.runtime.records import Records, send_acked
from streams.runtime.timer_index import TimerIndex

if TYPE_CHECKING:
    from streams.runtime.app import Topics

__all__ = ["ProductShell"]


class ProductShell:
    """Everything the catalog agent and the product ticker do with the product tables."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        records: Records,
        *,
        products: MutableMapping[str, Any],
        watchers: MutableMapping[str, Any],
        topics: Topics,
        clock: Clock,
        lookups: TimerIndex,
        gates: CatalogGates,
    ) -> None:
        self.settings, self.policy, self.records = settings, policy, records
        self.products, self.watchers, self.topics = products, watchers, topics
        self.clock, self.lookups, self.gates = clock, lookups, gates
        self.event_time = settings.clock == "event"
        self._catalog_topic = settings.topic_name(by_role("catalog"))

    def _watchers(self, product_id: str) -> Watchers:
        stored = self.watchers.get(product_id)
        return Watchers(product_id=product_id) if stored is None else Watchers.model_validate(stored)

    def _product(self, product_id: str) -> ProductState:
        stored = self.products.get(product_id)
        return ProductState(product_id=product_id) if stored is None else ProductState.model_validate(stored)

    def _store(self, before: ProductState, after: ProductState, partition: int) -> None:
        """Write the product if it changed, and tell the ticker when its held lookups and catalog events can go."""
        if after != before:
            self.products[after.product_id] = after.model_dump(mode="json")
        self.lookups.set(after.product_id, after.held_lookups[0].at if after.held_lookups else None)
        self.gates.wait(partition, after.product_id, after.held_events[0].at if after.held_events else None)

    def _store_watchers(self, before: Watchers, after: Watchers) -> None:
        if after != before:
            self.watchers[after.product_id] = after.model_dump(mode="json")

    async def _send(self, messages: Iterable[ProductAlert | ProductCycle]) -> None:
        """Alerts and cycle answers, to the customers' ticks topic."""
        await send_acked((self.topics.ticks, message.customer_id, message) for message in messages)

    async def _apply_catalog(self, product_id: str, partition: int, catalog: ev.CatalogEvent | None = None) -> None:
        """Apply a catalog event (held first in event time) and whatever held messages can go now; send, store."""
        product, watchers = self._product(product_id), self._watchers(product_id)
        messages: tuple[ProductAlert | ProductCycle, ...]
        if not self.event_time and catalog is not None:
            updated, watchers_after, messages = product_moved(product, watchers, catalog, self.policy)
        else:
            held = product if catalog is None else hold_catalog(product, catalog)
            before = self.gates.before(partition)
            updated, watchers_after, alerts = release_catalog(held, watchers, before, self.policy)
            updated, answers = release_lookups(updated, self.clock.now())
            messages = (*alerts, *answers)
        await self._send(messages)
        self._store_watchers(watchers, watchers_after)
        self._store(product, updated, partition)

    async def _take_lookup(self, lookup: CycleLookup, partition: int) -> None:
        """Answer at once (wall clock, or the catalog watermark has passed the purchase), else hold it."""
        product = self._product(lookup.product_id)
        updated, answers = take_lookup(product, lookup, self.clock.now() if self.event_time else None)
        await self._send(answers)
        self._store(product, updated, partition)

    async def _apply_watch(self, change: WatchChanged) -> None:
        watchers = self._watchers(change.product_id)
        updated, missed = watch(watchers, change, self.policy.limits.watchers_per_product)
        await self._send(missed)
        self._store_watchers(watchers, updated)

    async def process(self, record: faust.types.EventT) -> None:
        decoded = await self.records.decode_or_reject(record)
        source = (record.message.topic, record.message.partition)
        partition = record.message.partition
        if isinstance(decoded, WatermarkAdvanced):
            self.clock.observe(decoded.at, source)
        elif isinstance(decoded, CustomersProgress):
            self.gates.observe(partition, decoded)
        elif isinstance(decoded, WatchChanged):
            await self._apply_watch(decoded)
        elif isinstance(decoded, CycleLookup):
            await self._take_lookup(decoded, partition)
        elif isinstance(decoded, ProductTick):
            await self._apply_catalog(decoded.product_id, partition)
        elif decoded is not None:
            self.clock.observe(decoded.occurred_at, source)  # type: ignore[attr-defined]
            await self._apply_catalog(decoded.product_id, partition, decoded)  # type: ignore[attr-defined, arg-type]

    # -- tickers and rebalances ---------------------------------------------------------------------------

    def track_assigned(self, assigned: Iterable[TP]) -> list[tuple[str, int]]:
        """Event time: the catalog watermark waits for every catalog partition this worker reads."""
        catalog = [(tp.topic, tp.partition) for tp in assigned if tp.topic == self._catalog_topic]
        self.clock.assign(catalog)
        return catalog

    async def _tick(self, product_id: str, at: datetime) -> None:
        tick = ProductTick(product_id=product_id, at=at)
        await self.topics.watchers.send(key=product_id.encode(), value=tick.model_dump_json().encode())

    async def wake_waiting(self) -> int:
        """Event time: a ProductTick to every product whose held lookups or catalog events can go now."""
        now = self.clock.now()
        woken = sorted({*self.lookups.pop_due(now), *self.gates.due()})
        for product_id in woken:
            await self._tick(product_id, now)
        return len(woken)

    async def rebuild_index(self) -> None:
        """After table recovery: index the products this worker holds that have lookups waiting, and tick those
        with catalog events waiting (the tick, read on the product's partition, puts them under its gate)."""
        for product_id, stored in self.products.items():
            if stored is not None:
                product = ProductState.model_validate(stored)
                self.lookups.set(product_id, product.held_lookups[0].at if product.held_lookups else None)
                if product.held_events:
                    await self._tick(product_id, self.clock.now())
