"""Builders for events, states and policies: sensible defaults, keyword overrides, no randomness.

Event and order ids come from counters, so each built event is unique unless an id is passed in.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from schemas import events as ev
from schemas.control import CycleLookup, ProductAlert, ProductCycle
from schemas.profile import CustomerProfile
from schemas.triggers import Trigger
from streams.domain.contact.caps import control_group
from streams.domain.contact.policy import TRIGGER_TYPES
from streams.domain.customer.fold import fold_events
from streams.domain.customer.state import CustomerState, Timer, initial_state
from streams.domain.decision import Decision
from streams.domain.policy import Policy
from streams.engine.customer import advance, handle_alert, handle_cycle, handle_event

__all__ = [
    "OPEN_CONTACT",
    "T0",
    "cancel",
    "days",
    "drive",
    "erasure",
    "favorite",
    "fold",
    "follow",
    "held_out_customer",
    "hours",
    "line",
    "low_stock_alert",
    "order",
    "pending",
    "policy",
    "price_changed",
    "product_upserted",
    "profile_changed",
    "refund",
    "run",
    "stock_changed",
    "treated_customer",
    "unfavorite",
    "unfollow",
    "view",
]

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
"""A fixed, timezone-aware instant (a Monday morning) that every test counts from."""

_event_ids = itertools.count(1)
_order_ids = itertools.count(1)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def _event_id(event_id: str | None) -> str:
    return event_id if event_id is not None else f"e{next(_event_ids)}"


def view(
    customer_id: str = "c1",
    product_id: str = "p1",
    category: str = "shoes",
    at: datetime = T0,
    event_id: str | None = None,
    session_id: str | None = None,
) -> ev.ProductViewed:
    return ev.ProductViewed(
        event_id=_event_id(event_id),
        customer_id=customer_id,
        product_id=product_id,
        category=category,
        occurred_at=at,
        session_id=session_id,
    )


def line(
    product_id: str = "p1",
    category: str = "shoes",
    unit_price: float = 100.0,
    quantity: int = 1,
    *,
    list_price: float | None = None,
    brand: str | None = None,
) -> ev.OrderLine:
    return ev.OrderLine(
        product_id=product_id,
        category=category,
        unit_price=unit_price,
        quantity=quantity,
        list_price=list_price,
        brand=brand,
    )


def order(
    customer_id: str = "c1",
    *,
    product_id: str = "p1",
    category: str = "shoes",
    total: float | None = None,
    lines: Iterable[ev.OrderLine] | None = None,
    order_id: str | None = None,
    at: datetime = T0,
    event_id: str | None = None,
    coupon_code: str | None = None,
    discount: float = 0.0,
) -> ev.OrderPlaced:
    """An order; without ``lines``, one line of ``product_id`` in ``category``. ``total`` defaults to
    the sum of the lines (and a one-line order's price to ``total``)."""
    if lines is None:
        lines = (line(product_id, category, unit_price=100.0 if total is None else total),)
    lines = tuple(lines)
    if total is None:
        total = round(sum(item.unit_price * item.quantity for item in lines) - discount, 2)
    return ev.OrderPlaced(
        event_id=_event_id(event_id),
        customer_id=customer_id,
        order_id=order_id or f"o{next(_order_ids)}",
        lines=lines,
        total=total,
        occurred_at=at,
        coupon_code=coupon_code,
        discount=discount,
    )


def refund(
    order_id: str,
    amount: float,
    customer_id: str = "c1",
    at: datetime = T0,
    event_id: str | None = None,
) -> ev.OrderRefunded:
    return ev.OrderRefunded(
        event_id=_event_id(event_id),
        customer_id=customer_id,
        order_id=order_id,
        amount=amount,
        occurred_at=at,
    )


def cancel(order_id: str, customer_id: str = "c1", at: datetime = T0, event_id: str | None = None) -> ev.OrderCancelled:
    return ev.OrderCancelled(event_id=_event_id(event_id), customer_id=customer_id, order_id=order_id, occurred_at=at)


def erasure(customer_id: str = "c1", at: datetime = T0, event_id: str | None = None) -> ev.CustomerErasureRequested:
    return ev.CustomerErasureRequested(event_id=_event_id(event_id), customer_id=customer_id, occurred_at=at)


def favorite(
    product_id: str = "p1",
    category: str | None = "shoes",
    customer_id: str = "c1",
    at: datetime = T0,
    event_id: str | None = None,
) -> ev.FavoriteAdded:
    return ev.FavoriteAdded(
        event_id=_event_id(event_id),
        customer_id=customer_id,
        product_id=product_id,
        category=category,
        occurred_at=at,
    )


def unfavorite(
    product_id: str = "p1",
    customer_id: str = "c1",
    at: datetime = T0,
    event_id: str | None = None,
) -> ev.FavoriteRemoved:
    return ev.FavoriteRemoved(
        event_id=_event_id(event_id),
        customer_id=customer_id,
        product_id=product_id,
        occurred_at=at,
    )


def follow(customer_id: str = "c1", at: datetime = T0, event_id: str | None = None) -> ev.ShopFollowed:
    return ev.ShopFollowed(event_id=_event_id(event_id), customer_id=customer_id, occurred_at=at)


def unfollow(customer_id: str = "c1", at: datetime = T0, event_id: str | None = None) -> ev.ShopUnfollowed:
    return ev.ShopUnfollowed(event_id=_event_id(event_id), customer_id=customer_id, occurred_at=at)


def profile_changed(
    customer_id: str = "c1",
    at: datetime = T0,
    event_id: str | None = None,
    **fields: Any,
) -> ev.CustomerProfileChanged:
    """A profile change with only the given fields (timezone, birthday, consents, gender, age_band)."""
    return ev.CustomerProfileChanged(event_id=_event_id(event_id), customer_id=customer_id, occurred_at=at, **fields)


def stock_changed(product_id: str = "p1", available: int = 10, at: datetime = T0) -> ev.StockLevelChanged:
    return ev.StockLevelChanged(event_id=_event_id(None), product_id=product_id, available=available, occurred_at=at)


def price_changed(product_id: str = "p1", new_price: float = 80.0, at: datetime = T0) -> ev.PriceChanged:
    return ev.PriceChanged(event_id=_event_id(None), product_id=product_id, new_price=new_price, occurred_at=at)


def product_upserted(
    product_id: str = "p1",
    category: str = "shoes",
    price: float = 100.0,
    at: datetime = T0,
    **fields: Any,
) -> ev.ProductUpserted:
    return ev.ProductUpserted(
        event_id=_event_id(None),
        product_id=product_id,
        category=category,
        price=price,
        occurred_at=at,
        **fields,
    )


OPEN_CONTACT: Mapping[str, Any] = {
    "assume_consent": [c.value for c in ev.Channel],
    "caps": [],
    "quiet_start": "00:00",
    "quiet_end": "00:00",
    "types": {t: {"slots": [], "holdout_percent": 0} for t in TRIGGER_TYPES},
}
"""A contact stage that sends every candidate at once (rule tests look at the rules alone)."""


def policy(**section_overrides: Mapping[str, Any] | str) -> Policy:
    """The default policy with some fields changed: ``policy(browse_followup={"delay_hours": 1})``. The contact
    stage is :data:`OPEN_CONTACT` unless ``contact`` is given (``contact={}``: the defaults)."""
    return Policy.model_validate({"contact": OPEN_CONTACT, **section_overrides})


def treated_customer(*types: str, using: Policy | None = None) -> str:
    """The first of c1, c2, ... in no control group (global or of ``types``; every type when none is named)."""
    contact = (using or Policy()).contact
    return next(
        cid
        for cid in (f"c{n}" for n in itertools.count(1))
        if all(control_group(cid, t, contact) is None for t in types or TRIGGER_TYPES)
    )


def held_out_customer(held: str, *treated: str, using: Policy | None = None) -> str:
    """The first of c1, c2, ... in the control group of type ``held`` and in none of the ``treated`` types."""
    contact = (using or Policy()).contact
    return next(
        cid
        for cid in (f"c{n}" for n in itertools.count(1))
        if control_group(cid, held, contact) is not None
        and all(control_group(cid, t, contact) is None for t in treated)
    )


def low_stock_alert(
    at: datetime = T0,
    customer_id: str = "c1",
    product_id: str = "p1",
    category: str = "shoes",
    available: int = 3,
    cycle: int = 0,
    kind: Literal["low_stock", "back_in_stock"] = "low_stock",
) -> ProductAlert:
    """A stock alert on a favorited product as the product side addresses it to ``customer_id``
    (``kind="back_in_stock"`` for the other stock alert)."""
    return ProductAlert(
        customer_id=customer_id,
        product_id=product_id,
        category=category,
        kind=kind,
        at=at,
        available=available,
        old_price=100.0,
        new_price=100.0,
        cycle=cycle,
        interest="favorite",
        watched_since=None,
    )


def fold(*events: ev.CustomerEvent, customer_id: str = "c1", using: Policy | None = None) -> CustomerState:
    """The state after folding ``events`` in order from a fresh customer."""
    return fold_events(customer_id, events, (using or Policy()).limits)


def drive(
    messages: Sequence[ev.CustomerEvent | ProductAlert],
    until: datetime | None = None,
    using: Policy | None = None,
    state: CustomerState | None = None,
    catalog_cycles: Mapping[str, int] | None = None,
) -> Decision:
    """Handle each customer event or product alert at its own time, then advance the clock to ``until``: the
    whole :class:`Decision` (state, triggers, contact decision records). The customer is that of the first
    message unless ``state`` is given ("c1" when there is none). Cycle lookups are answered at once from
    ``catalog_cycles`` (product id: replenishment days; none by default), as the product side would."""
    using = using or policy()
    first = messages[0].customer_id if messages else "c1"
    decision = Decision(state or initial_state(first))
    for message in messages:
        if isinstance(message, ProductAlert):
            decision = decision.then(handle_alert(decision.state, message, message.at, using))
            continue
        step = handle_event(decision.state, message, message.occurred_at, using)
        for lookup in (m for m in step.to_products if isinstance(m, CycleLookup)):
            reply = ProductCycle(
                customer_id=lookup.customer_id,
                product_id=lookup.product_id,
                order_id=lookup.order_id,
                category=lookup.category,
                at=lookup.at,
                days=(catalog_cycles or {}).get(lookup.product_id),
            )
            step = step.then(handle_cycle(step.state, reply, message.occurred_at, using))
        decision = decision.then(step)
    if until is not None:
        decision = decision.then(advance(decision.state, until, using))
    return decision


def run(
    events: Sequence[ev.CustomerEvent],
    until: datetime | None = None,
    using: Policy | None = None,
    state: CustomerState | None = None,
    only: str | None = None,
    catalog_cycles: Mapping[str, int] | None = None,
) -> tuple[CustomerState, list[Trigger]]:
    """Handle each event at its own event time, then advance the clock to ``until``; the state and the triggers
    (only those of type ``only`` when given). Cycle lookups are answered at once from ``catalog_cycles``
    (product id: replenishment days; none by default), as the product side would."""
    decision = drive(events, until, using, state or initial_state("c1"), catalog_cycles)
    return decision.state, [t for t in decision.triggers if only is None or t.type == only]


def pending(state: CustomerState, kind: str) -> list[Timer]:
    """The timers of rule ``kind`` still set in ``state``."""
    return [t for t in state.timers if t.kind == kind]


def profile(customer_id: str = "c1", **fields: Any) -> CustomerProfile:
    """A read model as ``derive_profile`` would make it: an active member with one order in shoes."""
    defaults: dict[str, Any] = {
        "revision": 1,
        "as_of": T0,
        "lifecycle": "active",
        "tier": "member",
        "recency_score": 5,
        "frequency_score": 1,
        "monetary_score": 2,
        "segments": ("potential",),
        "order_count": 1,
        "total_spent": 100.0,
        "average_order_value": 100.0,
        "max_order_value": 100.0,
        "first_order_at": T0,
        "last_order_at": T0,
        "days_since_last_order": 0,
        "purchasing_power": "medium",
        "price_sensitivity": "low",
        "discount_share": 0.0,
        "average_discount_depth": 0.0,
        "top_categories": ("shoes",),
        "top_brands": (),
        "next_purchases": (),
        "favorites_unbought": (),
        "browse_streak": 0,
        "follows_shop": None,
        "consents": {},
        "timezone": None,
        "birthday": None,
    }
    return CustomerProfile(customer_id=customer_id, **(defaults | fields))
