"""The product side of the alerts: who watches a product, when stock or price moves, and the fan-out.

Order-independent: a product remembers its last few alerts, so a customer whose interest arrives
after an alert it should have had (the watch change travels through another topic) still gets it.
The customer side then judges the alert as of its event time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime

from schemas import events as ev
from schemas.base import Contract
from schemas.control import ProductAlert, WatchChanged
from streams.core.products import ProductState, evolve_product
from streams.policy import Policy, ProductAlertsPolicy

__all__ = ["AlertKind", "Watch", "Watchers", "alert_kinds", "fan_out", "product_moved", "watch"]

AlertKind = Literal["low_stock", "back_in_stock", "price_drop"]


class Watch(Contract):
    interest: Literal["favorite", "viewed"]
    until: AwareDatetime | None = None
    at: AwareDatetime


class Watchers(Contract):
    product_id: str
    by_customer: dict[str, Watch] = {}
    stopped: dict[str, AwareDatetime] = {}  # when a customer stopped watching (so a late "start" loses)
    recent_alerts: tuple[ProductAlert, ...] = ()  # templates: customer_id is the product id


def _alerted(watch_: Watch, kind: str, at: datetime) -> bool:
    if at < watch_.at or (watch_.until is not None and at > watch_.until):
        return False
    return kind != "low_stock" or watch_.interest == "favorite"


def _addressed(template: ProductAlert, customer_id: str, watch_: Watch) -> ProductAlert:
    return template.model_copy(update={"customer_id": customer_id, "interest": watch_.interest, "watched_since": watch_.at})


def watch(watchers: Watchers, change: WatchChanged, limit: int) -> tuple[Watchers, tuple[ProductAlert, ...]]:
    """Apply one interest change (the latest by event time wins per customer), with the alerts it missed."""
    current = watchers.by_customer.get(change.customer_id)
    latest = max(filter(None, (current.at if current else None, watchers.stopped.get(change.customer_id))), default=None)
    if latest is not None and change.at < latest:
        return watchers, ()
    by_customer = {k: v for k, v in watchers.by_customer.items() if k != change.customer_id}
    stops = {k: v for k, v in watchers.stopped.items() if k != change.customer_id}
    missed: tuple[ProductAlert, ...] = ()
    if change.interest == "none":
        stops[change.customer_id] = change.at
    elif len(by_customer) < limit:
        new = Watch(interest=change.interest, until=change.until, at=change.at)
        by_customer[change.customer_id] = new
        missed = tuple(_addressed(a, change.customer_id, new) for a in watchers.recent_alerts if _alerted(new, a.kind, a.at))
    return watchers.model_copy(update={"by_customer": by_customer, "stopped": stops}), missed


def alert_kinds(before: ProductState, after: ProductState, event: ev.CatalogEvent, policy: ProductAlertsPolicy) -> tuple[AlertKind, ...]:
    """What the event changed that watchers care about: falling to low stock, coming back, a price drop."""
    kinds: list[AlertKind] = []
    if isinstance(event, ev.StockLevelChanged) and after.available != before.available:
        was, now = before.available, after.available or 0
        if 0 < now <= policy.low_stock_threshold and (was is None or was > policy.low_stock_threshold or was == 0):
            kinds.append("low_stock")
        if was == 0 and now > 0:
            kinds.append("back_in_stock")
    if before.price and after.price is not None and after.price <= before.price * (1 - policy.price_drop_min_percent / 100):
        kinds.append("price_drop")
    return tuple(kinds)


def fan_out(
    watchers: Watchers, product: ProductState, kinds: tuple[AlertKind, ...], at: datetime, old_price: float | None,
    remembered: int,
) -> tuple[Watchers, tuple[ProductAlert, ...]]:
    """One alert per watching customer per kind (low stock: favoriters only; a view lapses after a while);
    the last ``remembered`` alerts are kept for watchers whose interest arrives late."""
    templates = tuple(
        ProductAlert(customer_id=product.product_id, product_id=product.product_id, category=product.category,
                     kind=kind, at=at, available=product.available, old_price=old_price, new_price=product.price,
                     cycle=product.restock_cycle)
        for kind in kinds
    )
    alerts = tuple(
        _addressed(t, customer_id, watch_)
        for t in templates for customer_id, watch_ in sorted(watchers.by_customer.items()) if _alerted(watch_, t.kind, at)
    )
    recent = (*watchers.recent_alerts, *templates)[-remembered:]
    return watchers.model_copy(update={"recent_alerts": recent}), alerts


def product_moved(
    product: ProductState, watchers: Watchers, event: ev.CatalogEvent, policy: Policy
) -> tuple[ProductState, Watchers, tuple[ProductAlert, ...]]:
    """Apply a catalog event to the product; the alerts it gives its watchers (none while alerts are off)."""
    after = evolve_product(product, event)  # type: ignore[arg-type]
    settings = policy.product_alerts
    kinds = alert_kinds(product, after, event, settings) if settings.enabled else ()
    if not kinds:
        return after, watchers, ()
    watchers, alerts = fan_out(watchers, after, kinds, event.occurred_at, product.price,
                               policy.limits.remembered_product_alerts)
    return after, watchers, alerts

