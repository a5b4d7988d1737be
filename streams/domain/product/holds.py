"""Event time on the product side: a catalog event waits until the customers have caught up with it.

An alert goes to whoever watches the product at the catalog event's time, and watch changes come from the
customers' side as it applies their events. In event time the product side therefore holds each catalog
event until every customer event up to its time is applied and its watch changes are in (the customers'
``CustomersProgress``), then applies the held events in time order: the same watchers and the same alerts
as the one-process run, where customer events go first at one instant. The cycle an upsert states is kept
at once: lookups only need the catalog itself to have passed the purchase.
"""

from __future__ import annotations

from datetime import datetime

from schemas import events as ev
from schemas.control import ProductAlert
from schemas.events import EVENT_ADAPTER
from streams.domain.customer.state import HeldEvent
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState, note_cycle
from streams.domain.product.watchers import Watchers, product_moved

__all__ = ["hold_catalog", "release_catalog"]


def hold_catalog(product: ProductState, event: ev.CatalogEvent) -> ProductState:
    """Keep the event (once) until the customers have passed it."""
    if any(h.event_id == event.event_id for h in product.held_events):
        return product
    if isinstance(event, ev.ProductUpserted):
        product = note_cycle(product, event)
    item = HeldEvent(at=event.occurred_at, event_id=event.event_id, payload_json=event.model_dump_json())
    return product.model_copy(update={"held_events": tuple(sorted((*product.held_events, item), key=lambda h: h.at))})


def release_catalog(
    product: ProductState,
    watchers: Watchers,
    customers_before: datetime,
    policy: Policy,
) -> tuple[ProductState, Watchers, tuple[ProductAlert, ...]]:
    """Apply, in time order, the held events that happened before ``customers_before``; their alerts."""
    ready = tuple(h for h in product.held_events if h.at < customers_before)
    product = product.model_copy(update={"held_events": product.held_events[len(ready) :]})
    alerts: tuple[ProductAlert, ...] = ()
    for item in ready:
        event = EVENT_ADAPTER.validate_json(item.payload_json)
        product, watchers, more = product_moved(product, watchers, event, policy)  # type: ignore[arg-type]
        alerts = (*alerts, *more)
    return product, watchers, alerts
