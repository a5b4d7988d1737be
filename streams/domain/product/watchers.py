"""The product side of the alerts: who watches a product, when stock or price moves, and the fan-out.

Order-independent: each customer's interest changes are kept in event-time order, so an alert goes to
whoever watched at the catalog event's time even if a later change is already in; and a product remembers
its last few alerts, so a customer whose interest arrives after an alert it should have had (the watch
change travels through another topic) still gets it. The customer side then judges the alert as of its
event time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas import events as ev
from schemas.base import Contract
from schemas.control import ProductAlert, WatchChanged
from streams.domain.policy import Policy, ProductAlertsPolicy
from streams.domain.product.state import ProductState, evolve_product

__all__ = ["AlertKind", "Watch", "Watchers", "alert_kinds", "fan_out", "product_moved", "watch"]

AlertKind = Literal["low_stock", "back_in_stock", "price_drop"]


class Watch(Contract):
    """From ``at`` on, the customer's interest in the product (none: stopped watching)."""

    interest: Literal["favorite", "viewed", "none"]
    until: AwareDatetime | None = None
    at: AwareDatetime
    since: AwareDatetime | None = None  # when the interest itself began


class Watchers(Contract):
    product_id: str
    by_customer: dict[str, tuple[Watch, ...]] = Field(
        default_factory=dict,
        description="Each customer's interest changes, oldest first; those before the "
        "latest catalog event are folded into the one in force then.",
    )
    recent_alerts: tuple[ProductAlert, ...] = ()  # templates: customer_id is the product id

    def watching(self) -> int:
        """Customers whose latest change is an interest."""
        return sum(changes[-1].interest != "none" for changes in self.by_customer.values())


def _in_force(changes: tuple[Watch, ...], at: datetime) -> Watch | None:
    return next((w for w in reversed(changes) if w.at <= at), None)


def _alerted(watch_: Watch | None, kind: str, at: datetime) -> bool:
    if watch_ is None or watch_.interest == "none" or (watch_.until is not None and at > watch_.until):
        return False
    return kind != "low_stock" or watch_.interest == "favorite"


def _addressed(template: ProductAlert, customer_id: str, watch_: Watch) -> ProductAlert:
    return template.model_copy(
        update={
            "customer_id": customer_id,
            "interest": watch_.interest,
            "watched_since": watch_.at,
            "interest_since": watch_.since,
        }
    )


def watch(watchers: Watchers, change: WatchChanged, limit: int) -> tuple[Watchers, tuple[ProductAlert, ...]]:
    """Apply one interest change in event-time order among the customer's changes, with the recent alerts it
    should have had (it came after them); a new watcher beyond ``limit`` is not taken."""
    changes = watchers.by_customer.get(change.customer_id, ())
    new = Watch(interest=change.interest, until=change.until, at=change.at, since=change.since)
    if new in changes:
        return watchers, ()
    if new.interest != "none" and not (changes and changes[-1].interest != "none") and watchers.watching() >= limit:
        return watchers, ()
    updated = tuple(sorted((*(w for w in changes if w.at != new.at), new), key=lambda w: w.at))
    missed = tuple(
        _addressed(a, change.customer_id, new)
        for a in watchers.recent_alerts
        if _in_force(updated, a.at) == new and _alerted(new, a.kind, a.at)
    )
    return watchers.model_copy(update={"by_customer": {**watchers.by_customer, change.customer_id: updated}}), missed


def alert_kinds(
    before: ProductState, after: ProductState, event: ev.CatalogEvent, policy: ProductAlertsPolicy
) -> tuple[AlertKind, ...]:
    """What the event changed that watchers care about: falling to low stock, coming back, a price drop."""
    kinds: list[AlertKind] = []
    if isinstance(event, ev.StockLevelChanged) and after.available != before.available:
        was, now = before.available, after.available or 0
        if 0 < now <= policy.low_stock_threshold and (was is None or was > policy.low_stock_threshold or was == 0):
            kinds.append("low_stock")
        if was == 0 and now > 0:
            kinds.append("back_in_stock")
    if (
        before.price
        and after.price is not None
        and after.price <= before.price * (1 - policy.price_drop_min_percent / 100)
    ):
        kinds.append("price_drop")
    return tuple(kinds)


def fan_out(
    watchers: Watchers,
    product: ProductState,
    kinds: tuple[AlertKind, ...],
    at: datetime,
    old_price: float | None,
    remembered: int,
) -> tuple[Watchers, tuple[ProductAlert, ...]]:
    """One alert per customer watching at ``at`` per kind (low stock: favoriters only; a view lapses after a
    while); the last ``remembered`` alerts are kept for watchers whose interest arrives late."""
    templates = tuple(
        ProductAlert(
            customer_id=product.product_id,
            product_id=product.product_id,
            category=product.category,
            kind=kind,
            at=at,
            available=product.available,
            old_price=old_price,
            new_price=product.price,
            cycle=product.restock_cycle,
        )
        for kind in kinds
    )
    in_force = {c: _in_force(changes, at) for c, changes in sorted(watchers.by_customer.items())}
    alerts = tuple(
        _addressed(t, c, w) for t in templates for c, w in in_force.items() if w is not None and _alerted(w, t.kind, at)
    )
    recent = (*watchers.recent_alerts, *templates)[-remembered:]
    return watchers.model_copy(update={"recent_alerts": recent}), alerts


def _folded(watchers: Watchers, at: datetime) -> dict[str, tuple[Watch, ...]]:
    """Each customer's changes from the one in force at ``at`` on: catalog events come in time order, so the
    ones before can no longer matter."""

    def kept(changes: tuple[Watch, ...]) -> tuple[Watch, ...]:
        older = [w for w in changes if w.at <= at]
        return (*older[-1:], *(w for w in changes if w.at > at))

    return {c: kept(changes) for c, changes in watchers.by_customer.items()}


def product_moved(
    product: ProductState, watchers: Watchers, event: ev.CatalogEvent, policy: Policy
) -> tuple[ProductState, Watchers, tuple[ProductAlert, ...]]:
    """Apply a catalog event to the product; the alerts it gives its watchers (none while alerts are off)."""
    after = evolve_product(product, event)
    settings = policy.product_alerts
    kinds = alert_kinds(product, after, event, settings) if settings.enabled else ()
    watchers = watchers.model_copy(update={"by_customer": _folded(watchers, event.occurred_at)})
    if not kinds:
        return after, watchers, ()
    watchers, alerts = fan_out(
        watchers, after, kinds, event.occurred_at, product.price, policy.limits.remembered_product_alerts
    )
    return after, watchers, alerts
