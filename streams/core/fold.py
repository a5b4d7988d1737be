"""``evolve(state, event, limits) -> state``: the fold that turns customer events into state."""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce, singledispatch
from typing import TypeVar

from schemas import events as ev
from streams.core.state import CustomerState, OrderRecord, View, initial_state
from streams.policy import LimitsPolicy

__all__ = ["evolve", "replay"]

T = TypeVar("T")


def _bounded(items: tuple[T, ...], limit: int) -> tuple[T, ...]:
    return items[-limit:] if len(items) > limit else items


def evolve(state: CustomerState, event: ev.CustomerEvent, limits: LimitsPolicy) -> CustomerState:
    """Apply one event; an event id seen before changes nothing."""
    if event.event_id in state.seen_event_ids:
        return state
    folded = _apply(event, state, limits)
    latest = max(filter(None, (state.last_event_at, event.occurred_at)))
    seen = _bounded((*folded.seen_event_ids, event.event_id), limits.remembered_event_ids)
    return folded.model_copy(update={"seen_event_ids": seen, "last_event_at": latest})


def replay(customer_id: str, events: Iterable[ev.CustomerEvent], limits: LimitsPolicy) -> CustomerState:
    return reduce(lambda s, e: evolve(s, e, limits), events, initial_state(customer_id))


@singledispatch
def _apply(event: ev.CustomerEvent, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return state  # events that only rules care about (follows, favorites, profile) leave the fold as is


@_apply.register
def _(event: ev.OrderPlaced, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    if any(o.order_id == event.order_id for o in state.orders):
        return state
    record = OrderRecord(
        order_id=event.order_id, at=event.occurred_at, total=event.total,
        product_ids=tuple(dict.fromkeys(line.product_id for line in event.lines)),
        categories=tuple(dict.fromkeys(line.category for line in event.lines)),
    )
    orders = tuple(sorted((*state.orders, record), key=lambda o: o.at))
    return state.model_copy(update={
        "order_count": state.order_count + 1,
        "total_spent": round(state.total_spent + event.total, 2),
        "max_order_value": max(state.max_order_value, event.total),
        "first_order_at": min(filter(None, (state.first_order_at, event.occurred_at))),
        "last_order_at": max(filter(None, (state.last_order_at, event.occurred_at))),
        "orders": _bounded(orders, limits.remembered_orders),
    })


def _replace_order(state: CustomerState, old: OrderRecord, new: OrderRecord) -> CustomerState:
    """Swap one order record, moving the all-time totals by the difference."""
    return state.model_copy(update={
        "orders": tuple(new if o.order_id == old.order_id else o for o in state.orders),
        "total_spent": round(state.total_spent + new.net - old.net, 2),
        "order_count": state.order_count - (new.cancelled and not old.cancelled),
    })


def _find(state: CustomerState, order_id: str) -> OrderRecord | None:
    return next((o for o in state.orders if o.order_id == order_id), None)


@_apply.register
def _(event: ev.OrderRefunded, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    order = _find(state, event.order_id)
    if order is None:
        return state
    refunded = min(order.total, order.refunded + event.amount)
    return _replace_order(state, order, order.model_copy(update={"refunded": refunded}))


@_apply.register
def _(event: ev.OrderCancelled, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    order = _find(state, event.order_id)
    if order is None or order.cancelled:
        return state
    return _replace_order(state, order, order.model_copy(update={"cancelled": True}))


@_apply.register
def _(event: ev.ProductViewed, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    view = View(product_id=event.product_id, category=event.category, at=event.occurred_at)
    views = tuple(sorted((*state.views, view), key=lambda v: v.at))
    return state.model_copy(update={"views": _bounded(views, limits.remembered_views)})


@_apply.register
def _(event: ev.CustomerErasureRequested, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return initial_state(state.customer_id)
