"""Catalog replenishment cycles for the customer's rules: a lookup on purchase, answered by the product side.

The catalog's ``replenishment_days`` is a product fact, kept on the product's partition, while the reminder
is the customer's. On every order the customer asks each bought product for its cycle as stated just before
the purchase; the answer is kept on the order (per category, the shortest cycle of its products), and the
replenishment rule plans from it. In event time the product answers only once the catalog watermark has
passed the purchase, and the customer applies nothing newer until every answer for an order is in, so a
replay decides as the one-process reference run does.
"""

from __future__ import annotations

from datetime import datetime
from itertools import zip_longest

from schemas import events as ev
from schemas.control import CycleLookup, ProductCycle
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState, cycle_before

__all__ = ["answer", "apply_cycle", "ask", "release_lookups", "take_lookup"]


def ask(state: CustomerState, order: ev.OrderPlaced, policy: Policy) -> tuple[CustomerState, tuple[CycleLookup, ...]]:
    """The lookups a new order needs, remembered as awaited until answered: one per product, at most
    ``limits.cycle_lookups_per_order`` (an order of 500 lines asks for a few, every category before any
    category's second product; the rest keep the category's other cycles)."""
    if not (policy.replenishment.enabled and policy.replenishment.catalog_cycles):
        return state, ()
    categories = {line.product_id: line.category for line in order.lines}
    by_category: dict[str, list[str]] = {}
    for product_id, category in sorted(categories.items()):
        by_category.setdefault(category, []).append(product_id)
    rounds = zip_longest(*(by_category[c] for c in sorted(by_category)))
    chosen = [product_id for each in rounds for product_id in each if product_id is not None]
    lookups = tuple(
        CycleLookup(
            product_id=product_id,
            customer_id=state.customer_id,
            order_id=order.order_id,
            category=categories[product_id],
            at=order.occurred_at,
        )
        for product_id in sorted(chosen[: policy.limits.cycle_lookups_per_order])
    )
    return state.model_copy(update={"awaiting": (*state.awaiting, *lookups)}), lookups


def apply_cycle(state: CustomerState, reply: ProductCycle) -> CustomerState:
    """Keep the answer on its order (the shortest cycle per category) and stop awaiting it."""
    awaiting = tuple(a for a in state.awaiting if (a.order_id, a.product_id) != (reply.order_id, reply.product_id))
    orders = state.orders
    order = state.find_order(reply.order_id)
    if order is not None and reply.days is not None:
        known = order.catalog_cycles.get(reply.category)
        days = reply.days if known is None else min(known, reply.days)
        updated = order.model_copy(update={"catalog_cycles": {**order.catalog_cycles, reply.category: days}})
        orders = tuple(updated if o is order else o for o in state.orders)
    return state.model_copy(update={"awaiting": awaiting, "orders": orders})


def answer(product: ProductState, lookup: CycleLookup) -> ProductCycle:
    return ProductCycle(
        customer_id=lookup.customer_id,
        product_id=lookup.product_id,
        order_id=lookup.order_id,
        category=lookup.category,
        at=lookup.at,
        days=cycle_before(product, lookup.at),
    )


def take_lookup(
    product: ProductState, lookup: CycleLookup, catalog_watermark: datetime | None
) -> tuple[ProductState, tuple[ProductCycle, ...]]:
    """Answer now (wall clock: ``catalog_watermark`` None, or the catalog is past the purchase), else hold it."""
    if catalog_watermark is None or catalog_watermark >= lookup.at:
        return product, (answer(product, lookup),)
    if lookup in product.held_lookups:
        return product, ()
    held = tuple(sorted((*product.held_lookups, lookup), key=lambda h: (h.at, h.customer_id, h.order_id)))
    return product.model_copy(update={"held_lookups": held}), ()


def release_lookups(
    product: ProductState, catalog_watermark: datetime
) -> tuple[ProductState, tuple[ProductCycle, ...]]:
    """Answer the held lookups the catalog watermark has passed."""
    ready = tuple(h for h in product.held_lookups if h.at <= catalog_watermark)
    if not ready:
        return product, ()
    left = tuple(h for h in product.held_lookups if h.at > catalog_watermark)
    return product.model_copy(update={"held_lookups": left}), tuple(answer(product, h) for h in ready)
