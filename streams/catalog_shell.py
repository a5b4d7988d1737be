"""The product side of the shell: catalog facts, who watches each product, and the alert fan-out.

Catalog events, watch changes and cycle lookups are all keyed by product_id and read by one agent, so the
product tables are written on the record's own partition. Alerts and cycle answers go to the ticks topic
keyed by customer, where the customer's own agent checks its state again before any trigger goes out.
In event time a lookup waits in the product's state until the catalog watermark passes the purchase.
"""

from __future__ import annotations

import faust
from pydantic import BaseModel

from schemas.control import CycleLookup, ProductTick, WatchChanged, WatermarkAdvanced
from streams.app import (
    POLICY, SETTINGS, product_clock, product_index, product_to_state, product_to_watchers, ticks_topic,
    watchers_topic,
)
from streams.core.cycles import release_lookups, take_lookup
from streams.core.products import ProductState
from streams.core.watchers import Watchers, product_moved, watch
from streams.shell import decode_or_reject, send_acked

__all__ = ["process_catalog_record", "rebuild_product_index", "wake_waiting_products"]


def _watchers(product_id: str) -> Watchers:
    stored = product_to_watchers.get(product_id)
    return Watchers(product_id=product_id) if stored is None else Watchers.model_validate(stored)


def _product(product_id: str) -> ProductState:
    stored = product_to_state.get(product_id)
    return ProductState(product_id=product_id) if stored is None else ProductState.model_validate(stored)


def _store(before: ProductState, after: ProductState) -> None:
    if after != before:
        product_to_state[after.product_id] = after.model_dump(mode="json")
    product_index.set(after.product_id, after.held_lookups[0].at if after.held_lookups else None)


async def _send(messages: tuple[BaseModel, ...]) -> None:
    """Alerts and cycle answers, to the customers' ticks topic."""
    await send_acked((ticks_topic, message.customer_id, message) for message in messages)  # type: ignore[attr-defined]


async def _answer(message: CycleLookup | ProductTick) -> None:
    """Answer a lookup (or, on a tick, the held ones) once the catalog watermark allows (event time)."""
    product = _product(message.product_id)
    if isinstance(message, ProductTick):
        updated, answers = release_lookups(product, product_clock.now())
    else:
        updated, answers = take_lookup(product, message, product_clock.now() if SETTINGS.clock == "event" else None)
    await _send(answers)
    _store(product, updated)


async def _apply_watch(change: WatchChanged) -> None:
    watchers = _watchers(change.product_id)
    updated, missed = watch(watchers, change, POLICY.limits.watchers_per_product)
    await _send(missed)
    if updated != watchers:
        product_to_watchers[change.product_id] = updated.model_dump(mode="json")


async def process_catalog_record(record: faust.types.EventT) -> None:
    decoded = await decode_or_reject(record)
    source = (record.message.topic, record.message.partition)
    if isinstance(decoded, WatermarkAdvanced):
        product_clock.observe(decoded.at, source)
    elif isinstance(decoded, WatchChanged):
        await _apply_watch(decoded)
    elif isinstance(decoded, CycleLookup | ProductTick):
        await _answer(decoded)
    elif decoded is not None:
        product_clock.observe(decoded.occurred_at, source)  # type: ignore[attr-defined]
        product_id: str = decoded.product_id  # type: ignore[attr-defined]
        state = _product(product_id)
        watchers = _watchers(product_id)
        updated, alerted, alerts = product_moved(state, watchers, decoded, POLICY)  # type: ignore[arg-type]
        await _send(alerts)
        if alerted != watchers:
            product_to_watchers[product_id] = alerted.model_dump(mode="json")
        _store(state, updated)


async def wake_waiting_products() -> int:
    """Event time: send a ProductTick to every product whose held lookups the catalog watermark has passed."""
    now = product_clock.now()
    woken = product_index.pop_due(now)
    for product_id in woken:
        tick = ProductTick(product_id=product_id, at=now)
        await watchers_topic.send(key=product_id.encode(), value=tick.model_dump_json().encode())
    return len(woken)


async def rebuild_product_index() -> None:
    """After table recovery: index the products this worker holds that have lookups waiting."""
    for product_id, stored in product_to_state.items():
        if stored is not None:
            held = ProductState.model_validate(stored).held_lookups
            product_index.set(product_id, held[0].at if held else None)
