"""The product side of the shell: catalog facts, who watches each product, the alert fan-out, cycle lookups.

Catalog events, watch changes and cycle lookups are all keyed by product_id and read by one agent, so the
product tables are written on the record's own partition. Alerts and cycle answers go to the ticks topic
keyed by customer, where the customer's own agent checks its state again before any trigger goes out.
In event time a catalog event waits in the product's state until the customers have passed it
(``streams.runtime.progress``), and a lookup until the catalog watermark has passed the purchase; a
ProductTick from the ticker lets them go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import faust
from faust.types import TP
from pydantic import BaseModel

from schemas.control import CustomersProgress, ProductTick
from streams.config import Settings
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers
from streams.engine.product import CatalogTime, ProductMessage, step_product
from streams.runtime.clock import Clock
from streams.runtime.decoded import DecodedTable
from streams.runtime.held_back import HeldBack
from streams.runtime.inputs import InputSide
from streams.runtime.progress import CatalogGates
from streams.runtime.records import Records, identified, readable
from streams.runtime.routing import Router
from streams.runtime.sending import send_acked
from streams.runtime.timer_index import TimerIndex
from streams.runtime.watermarks import SavedWatermarks

if TYPE_CHECKING:
    from streams.runtime.app import Topics

__all__ = ["ProductShell"]

log = logging.getLogger(__name__)


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
        router: Router,
        watermarks: SavedWatermarks,
        held: HeldBack,
    ) -> None:
        self.settings, self.policy, self.records, self.held = settings, policy, records, held
        self.products, self.watchers, self.topics = products, watchers, topics
        self.clock, self.lookups, self.gates, self.router = clock, lookups, gates, router
        self.inputs = InputSide(records, router, clock, watermarks)
        self.recovered = False
        self.event_time = settings.clock == "event"
        self.decoded_products = DecodedTable(products, ProductState)
        self.decoded_watchers = DecodedTable(watchers, Watchers)

    def _watchers(self, product_id: str) -> Watchers:
        return self.decoded_watchers.get(product_id) or Watchers(product_id=product_id)

    def _product(self, product_id: str) -> ProductState:
        return self.decoded_products.get(product_id) or ProductState(product_id=product_id)

    async def process(self, record: faust.types.EventT) -> None:
        partition = record.message.partition

        async def apply(message: BaseModel) -> None:
            if isinstance(message, CustomersProgress):
                self.gates.observe(partition, message)
            else:
                await self._apply(message, partition)  # type: ignore[arg-type]

        await self.inputs.take(record, apply)

    async def _apply(self, message: ProductMessage, partition: int) -> None:
        """One engine step; alerts and cycle answers are acknowledged before the tables they changed are written
        (``streams.runtime.held_back``)."""
        product, watchers = self._product(message.product_id), self._watchers(message.product_id)
        time = CatalogTime(self.clock.now(), self.gates.before(partition)) if self.event_time else None
        decided = step_product(product, watchers, message, self.policy, time)
        await self.held.send((self.topics.ticks, m.customer_id, m) for m in decided.to_customers)
        if decided.watchers != watchers:
            self.decoded_watchers.put(message.product_id, decided.watchers)
        after = decided.product
        if after != product:
            self.decoded_products.put(after.product_id, after)
        # Tell the ticker when the product's held lookups and catalog events can go.
        self.lookups.set(after.product_id, after.held_lookups[0].at if after.held_lookups else None)
        self.gates.wait(partition, after.product_id, after.held_events[0].at if after.held_events else None)
        if log.isEnabledFor(logging.DEBUG):
            counts = {"to_customers": len(decided.to_customers), "held": len(after.held_events)}
            log.debug("applied %s", message.type, extra=identified(message, **counts))

    # -- tickers and rebalances ---------------------------------------------------------------------------

    def track_assigned(self, assigned: Iterable[TP]) -> list[tuple[str, int]]:
        """Event time: the catalog watermark waits for every catalog partition this worker reads, and for what
        other workers forward to the rerouted partitions it reads."""
        self.recovered = False  # until rebuild_index has run on the recovered tables
        sources = self.inputs.assign(assigned)
        self._forget_read()  # the recovered tables may hold another worker's writes
        return sources

    def _forget_read(self) -> None:
        """The decoded products and watchers read from the tables forgotten; those changed here kept, unless on a
        partition no longer read here (``DecodedTable.clear``)."""
        dropped = sum(table.clear(self.inputs.owns) for table in (self.decoded_products, self.decoded_watchers))
        if dropped:
            log.warning("%d products changed on partitions no longer read here: left to their new owner", dropped)

    async def _tick(self, product_ids: Iterable[str], at: datetime) -> None:
        """A ProductTick to each product, all acknowledged in one wait."""
        await send_acked((self.topics.watchers, p, ProductTick(product_id=p, at=at)) for p in product_ids)

    async def wake_waiting(self) -> int:
        """Event time: announce how far this worker's catalog strays are forwarded, and send a ProductTick to
        every product whose held lookups or catalog events can go now."""
        if self.event_time:
            await self.router.announce()
        now = self.clock.now()
        woken = sorted({*self.lookups.pop_due(now), *self.gates.due(now)})
        await self._tick(woken, now)
        return len(woken)

    async def rebuild_index(self) -> None:
        """After table recovery: index the products this worker holds that have lookups waiting, and tick those
        with catalog events waiting (the tick, read on the product's partition, puts them under its gate)."""
        self.inputs.restore()
        self._forget_read()  # anything read while the tables were recovering
        products = self.decoded_products.newest(readable(ProductState, self.products), key=lambda p: p.product_id)
        gated = []
        for product in (p for p in products if self.inputs.owns(p.product_id)):
            self.lookups.set(product.product_id, product.held_lookups[0].at if product.held_lookups else None)
            if product.held_events:
                gated.append(product.product_id)
        await self._tick(gated, self.clock.now())
        self.recovered = True
