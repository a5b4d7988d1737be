"""The product side of the shell: catalog facts, who watches each product, the alert fan-out, cycle lookups.

Catalog events, watch changes and cycle lookups are all keyed by product_id and read by one agent, so the
product tables are written on the record's own partition. Alerts and cycle answers go to the ticks topic
keyed by customer, where the customer's own agent checks its state again before any trigger goes out.
In event time a catalog event waits in the product's state until the customers have passed it
(``streams.runtime.progress``), and a lookup until the catalog watermark has passed the purchase; a ProductTick
from the ticker lets them go.
"""

from __future__ import annotations

from datetime import datetime

import faust

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
from streams.domain.product.cycles import release_lookups, take_lookup
from streams.domain.product.holds import hold_catalog, release_catalog
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers, product_moved, watch
from streams.runtime.app import (
    POLICY,
    SETTINGS,
    gates,
    product_clock,
    product_index,
    product_to_state,
    product_to_watchers,
    ticks_topic,
    watchers_topic,
)
from streams.runtime.customers import decode_or_reject, send_acked

__all__ = ["process_catalog_record", "rebuild_product_index", "wake_waiting_products"]


def _watchers(product_id: str) -> Watchers:
    stored = product_to_watchers.get(product_id)
    return Watchers(product_id=product_id) if stored is None else Watchers.model_validate(stored)


def _product(product_id: str) -> ProductState:
    stored = product_to_state.get(product_id)
    return ProductState(product_id=product_id) if stored is None else ProductState.model_validate(stored)


def _store(before: ProductState, after: ProductState, partition: int) -> None:
    """Write the product if it changed, and tell the ticker when its held lookups and catalog events can go."""
    if after != before:
        product_to_state[after.product_id] = after.model_dump(mode="json")
    product_index.set(after.product_id, after.held_lookups[0].at if after.held_lookups else None)
    gates.wait(partition, after.product_id, after.held_events[0].at if after.held_events else None)


async def _send(messages: tuple[ProductAlert | ProductCycle, ...]) -> None:
    """Alerts and cycle answers, to the customers' ticks topic."""
    await send_acked((ticks_topic, message.customer_id, message) for message in messages)


async def _apply_catalog(product_id: str, partition: int, catalog: ev.CatalogEvent | None = None) -> None:
    """Apply a catalog event (held first in event time) and whatever held messages can go now; send, store."""
    product, watchers = _product(product_id), _watchers(product_id)
    if SETTINGS.clock == "wall" and catalog is not None:
        updated, watchers_after, messages = product_moved(product, watchers, catalog, POLICY)
    else:
        held = product if catalog is None else hold_catalog(product, catalog)
        updated, watchers_after, alerts = release_catalog(held, watchers, gates.before(partition), POLICY)
        updated, answers = release_lookups(updated, product_clock.now())
        messages = (*alerts, *answers)
    await _send(messages)
    if watchers_after != watchers:
        product_to_watchers[product_id] = watchers_after.model_dump(mode="json")
    _store(product, updated, partition)


async def _take_lookup(lookup: CycleLookup, partition: int) -> None:
    """Answer at once (wall clock, or the catalog watermark has passed the purchase), else hold it."""
    product = _product(lookup.product_id)
    updated, answers = take_lookup(product, lookup, product_clock.now() if SETTINGS.clock == "event" else None)
    await _send(answers)
    _store(product, updated, partition)


async def _apply_watch(change: WatchChanged) -> None:
    watchers = _watchers(change.product_id)
    updated, missed = watch(watchers, change, POLICY.limits.watchers_per_product)
    await _send(missed)
    if updated != watchers:
        product_to_watchers[change.product_id] = updated.model_dump(mode="json")


async def process_catalog_record(record: faust.types.EventT) -> None:
    decoded = await decode_or_reject(record)
    source = (record.message.topic, record.message.partition)
    partition = record.message.partition
    if isinstance(decoded, WatermarkAdvanced):
        product_clock.observe(decoded.at, source)
    elif isinstance(decoded, CustomersProgress):
        gates.observe(partition, decoded)
    elif isinstance(decoded, WatchChanged):
        await _apply_watch(decoded)
    elif isinstance(decoded, CycleLookup):
        await _take_lookup(decoded, partition)
    elif isinstance(decoded, ProductTick):
        await _apply_catalog(decoded.product_id, partition)
    elif decoded is not None:
        product_clock.observe(decoded.occurred_at, source)  # type: ignore[attr-defined]
        await _apply_catalog(decoded.product_id, partition, decoded)  # type: ignore[attr-defined, arg-type]


async def _tick(product_id: str, at: datetime) -> None:
    tick = ProductTick(product_id=product_id, at=at)
    await watchers_topic.send(key=product_id.encode(), value=tick.model_dump_json().encode())


async def wake_waiting_products() -> int:
    """Event time: a ProductTick to every product whose held lookups or catalog events can go now."""
    now = product_clock.now()
    woken = sorted({*product_index.pop_due(now), *gates.due()})
    for product_id in woken:
        await _tick(product_id, now)
    return len(woken)


async def rebuild_product_index() -> None:
    """After table recovery: index the products this worker holds that have lookups waiting, and tick those
    with catalog events waiting (the tick, read on the product's partition, puts them under its gate)."""
    for product_id, stored in product_to_state.items():
        if stored is not None:
            product = ProductState.model_validate(stored)
            product_index.set(product_id, product.held_lookups[0].at if product.held_lookups else None)
            if product.held_events:
                await _tick(product_id, product_clock.now())
