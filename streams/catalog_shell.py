"""The product side of the shell: catalog facts, who watches each product, and the alert fan-out.

Catalog events and watch changes are both keyed by product_id and read by one agent, so the product
tables are written on the record's own partition. Alerts go to the ticks topic keyed by customer, where
the customer's own agent checks its state again before any trigger goes out.
"""

from __future__ import annotations

import faust

from schemas.control import ProductAlert, WatchChanged
from streams.app import POLICY, product_to_state, product_to_watchers, ticks_topic
from streams.core.products import ProductState
from streams.core.watchers import Watchers, product_moved, watch
from streams.shell import decode_or_reject, send_acked

__all__ = ["process_catalog_record"]


def _watchers(product_id: str) -> Watchers:
    stored = product_to_watchers.get(product_id)
    return Watchers(product_id=product_id) if stored is None else Watchers.model_validate(stored)


async def _send(alerts: tuple[ProductAlert, ...]) -> None:
    await send_acked((ticks_topic, alert.customer_id, alert) for alert in alerts)


async def _apply_watch(change: WatchChanged) -> None:
    watchers = _watchers(change.product_id)
    updated, missed = watch(watchers, change, POLICY.limits.watchers_per_product)
    await _send(missed)
    if updated != watchers:
        product_to_watchers[change.product_id] = updated.model_dump(mode="json")


async def process_catalog_record(record: faust.types.EventT) -> None:
    decoded = await decode_or_reject(record)
    if isinstance(decoded, WatchChanged):
        await _apply_watch(decoded)
    elif decoded is not None:
        product_id: str = decoded.product_id  # type: ignore[attr-defined]
        stored = product_to_state.get(product_id)
        state = ProductState(product_id=product_id) if stored is None else ProductState.model_validate(stored)
        watchers = _watchers(product_id)
        updated, alerted, alerts = product_moved(state, watchers, decoded, POLICY)  # type: ignore[arg-type]
        await _send(alerts)
        if alerted != watchers:
            product_to_watchers[product_id] = alerted.model_dump(mode="json")
        if updated != state:
            product_to_state[product_id] = updated.model_dump(mode="json")
