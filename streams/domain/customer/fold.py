"""``evolve(state, event, limits) -> state``: the fold that turns customer events into state.

Facts are kept by event time (the latest favorite action or profile value wins, orders are sorted),
so arrival order within the bounds does not change the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import reduce, singledispatch
from typing import TypeVar

from schemas import events as ev
from streams.domain.customer.state import (
    Adjustment,
    ArchivedOrders,
    CustomerState,
    Favorite,
    OrderRecord,
    PendingAdjustment,
    Stamped,
    View,
    initial_state,
    read_as_of,
)
from streams.domain.policy import LimitsPolicy

__all__ = ["evolve", "fold_events"]

T = TypeVar("T")


def _insert_sorted(
    items: tuple[T, ...], item: T, key: Callable[[T], datetime], limit: int
) -> tuple[tuple[T, ...], tuple[T, ...]]:
    """``item`` added in time order; returns (kept, dropped) with at most ``limit`` kept, the oldest dropped."""
    merged = tuple(sorted((*items, item), key=key))
    cut = max(len(merged) - limit, 0)
    return merged[cut:], merged[:cut]


def evolve(state: CustomerState, event: ev.CustomerEvent, limits: LimitsPolicy) -> CustomerState:
    """Apply one event; an event id seen before changes nothing."""
    if event.event_id in state.seen_event_ids:
        return state
    folded = _apply(event, state, limits)
    seen = (*folded.seen_event_ids, event.event_id)[-limits.remembered_event_ids :]
    latest = max(filter(None, (state.last_event_at, event.occurred_at)))
    erased_at = event.occurred_at if isinstance(event, ev.CustomerErasureRequested) else None
    return folded.model_copy(
        update={
            "seen_event_ids": seen,
            "last_event_at": latest,
            "revision": state.revision + 1,
            "erased_at": erased_at,
        }
    )


def fold_events(customer_id: str, events: Iterable[ev.CustomerEvent], limits: LimitsPolicy) -> CustomerState:
    return reduce(lambda s, e: evolve(s, e, limits), events, initial_state(customer_id))


@singledispatch
def _apply(event: ev.CustomerEvent, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    raise TypeError(f"no fold for {type(event).__name__}")


def _record(event: ev.OrderPlaced) -> OrderRecord:
    gross = sum(max(line.list_price or 0.0, line.unit_price) * line.quantity for line in event.lines)
    on_discount = (
        bool(event.coupon_code)
        or event.discount > 0
        or any(line.list_price is not None and line.list_price > line.unit_price for line in event.lines)
    )
    return OrderRecord(
        order_id=event.order_id,
        at=event.occurred_at,
        total=event.total,
        product_ids=tuple(dict.fromkeys(line.product_id for line in event.lines)),
        categories=tuple(dict.fromkeys(line.category for line in event.lines)),
        brands=tuple(dict.fromkeys(line.brand for line in event.lines if line.brand)),
        on_discount=on_discount,
        discount_depth=min(max(1 - event.total / gross, 0.0), 1.0) if gross > 0 else 0.0,
    )


def _archive(archived: ArchivedOrders, dropped: tuple[OrderRecord, ...]) -> ArchivedOrders:
    for order in (o for o in dropped if not o.cancelled):
        archived = ArchivedOrders(
            count=archived.count + 1,
            net=round(archived.net + order.net, 2),
            max_total=max(archived.max_total, order.total),
            first_at=min(filter(None, (archived.first_at, order.at))),
            last_at=max(filter(None, (archived.last_at, order.at))),
        )
    return archived


@_apply.register
def _(event: ev.OrderPlaced, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    if any(o.order_id == event.order_id for o in state.orders):
        return state
    record = _record(event)
    pending = next((p for p in state.pending_adjustments if p.order_id == event.order_id), None)
    if pending is not None:
        record = _with_adjustments(record, pending.adjustments)
    kept, dropped = _insert_sorted(state.orders, record, lambda o: o.at, limits.remembered_orders)
    return state.model_copy(
        update={
            "orders": kept,
            "archived": _archive(state.archived, dropped),
            "pending_adjustments": tuple(p for p in state.pending_adjustments if p is not pending),
        }
    )


def _with_adjustments(order: OrderRecord, adjustments: tuple[Adjustment, ...]) -> OrderRecord:
    """The order with these refunds and cancellations, replayed in event-time order: refunds add up in
    cents (capped at the total) and the order is void from the first moment it was cancelled or fully refunded."""
    cancels = sorted((a for a in adjustments if a.cancel), key=lambda a: a.at)  # only the first one matters
    adjustments = tuple(
        sorted((*(a for a in adjustments if not a.cancel), *cancels[:1]), key=lambda a: (a.at, a.refund))
    )
    refunded, cancelled, voided_at = 0.0, False, None
    for adjustment in adjustments:
        refunded, cancelled = min(order.total, round(refunded + adjustment.refund, 2)), cancelled or adjustment.cancel
        if voided_at is None and (cancelled or (order.total > 0 and refunded >= order.total)):
            voided_at = adjustment.at
    return order.model_copy(
        update={"adjustments": adjustments, "refunded": refunded, "cancelled": cancelled, "voided_at": voided_at}
    )


def _adjust(state: CustomerState, order_id: str, adjustment: Adjustment, limits: LimitsPolicy) -> CustomerState:
    """Refund or cancel an order; one not seen yet is remembered until it arrives."""
    order = next((o for o in state.orders if o.order_id == order_id), None)
    if order is not None:
        updated = _with_adjustments(order, (*order.adjustments, adjustment))
        return state.model_copy(update={"orders": tuple(updated if o is order else o for o in state.orders)})
    pending = next(
        (p for p in state.pending_adjustments if p.order_id == order_id), PendingAdjustment(order_id=order_id)
    )
    merged = pending.model_copy(update={"adjustments": (*pending.adjustments, adjustment)})
    others = tuple(p for p in state.pending_adjustments if p.order_id != order_id)
    return state.model_copy(update={"pending_adjustments": (*others, merged)[-limits.remembered_orders :]})


@_apply.register
def _(event: ev.OrderRefunded, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _adjust(state, event.order_id, Adjustment(at=event.occurred_at, refund=event.amount), limits)


@_apply.register
def _(event: ev.OrderCancelled, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _adjust(state, event.order_id, Adjustment(at=event.occurred_at, cancel=True), limits)


@_apply.register
def _(event: ev.ProductViewed, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    view = View(product_id=event.product_id, category=event.category, at=event.occurred_at, session_id=event.session_id)
    kept, _ = _insert_sorted(state.views, view, lambda v: v.at, limits.remembered_views)
    return state.model_copy(update={"views": kept})


def _mark_favorite(state: CustomerState, mark: Favorite, limits: LimitsPolicy) -> CustomerState:
    """The latest action by event time wins; the category comes from any add that names it, whenever it
    arrives (a removal names none), so arrival order does not change the record."""
    current = next((f for f in state.favorites if f.product_id == mark.product_id), None)
    if current is not None and current.at > mark.at:
        if current.category is not None or mark.category is None:
            return state
        mark = current.model_copy(update={"category": mark.category})
    elif current is not None and mark.category is None:
        mark = mark.model_copy(update={"category": current.category})
    others = tuple(f for f in state.favorites if f.product_id != mark.product_id)
    kept, _ = _insert_sorted(others, mark, lambda f: f.at, limits.remembered_favorites)
    return state.model_copy(update={"favorites": kept})


@_apply.register
def _(event: ev.FavoriteAdded, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _mark_favorite(
        state, Favorite(product_id=event.product_id, category=event.category, at=event.occurred_at, active=True), limits
    )


@_apply.register
def _(event: ev.FavoriteRemoved, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _mark_favorite(state, Favorite(product_id=event.product_id, at=event.occurred_at, active=False), limits)


def _set_facts(
    state: CustomerState, at: datetime, values: dict[str, str | bool | None], limits: LimitsPolicy
) -> CustomerState:
    """Set each given fact at ``at``: the latest value by event time (the last to arrive on a tie) and, for the
    facts read as of a moment, the ``limits.remembered_fact_changes`` values set before it, whatever order they
    arrive in."""
    facts, earlier = dict(state.facts), dict(state.earlier_facts)
    for name, value in values.items():
        if value is None:
            continue
        stamped, latest = Stamped(value=value, at=at), facts.get(name)
        superseded: Stamped | None = stamped  # the value that goes to the earlier ones, if any
        if latest is None or latest.at <= at:
            facts[name], superseded = stamped, (latest if latest is not None and latest.at < at else None)
        if superseded is not None and read_as_of(name):
            kept = (e for e in earlier.get(name, ()) if e.at != superseded.at)  # the last to arrive wins a tie
            history = sorted((*kept, superseded), key=lambda e: e.at)
            earlier[name] = tuple(history[-limits.remembered_fact_changes :])
    return state.model_copy(update={"facts": facts, "earlier_facts": earlier})


@_apply.register
def _(event: ev.ShopFollowed, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _set_facts(state, event.occurred_at, {"follows_shop": True}, limits)


@_apply.register
def _(event: ev.ShopUnfollowed, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    return _set_facts(state, event.occurred_at, {"follows_shop": False}, limits)


@_apply.register
def _(event: ev.CustomerProfileChanged, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    birthday = event.birthday.isoformat() if event.birthday else None
    values: dict[str, str | bool | None] = {
        "timezone": event.timezone,
        "birthday": birthday,
        "gender": event.gender,
        "age_band": event.age_band,
    }
    values |= {f"consent.{channel.value}": allowed for channel, allowed in event.consents.items()}
    return _set_facts(state, event.occurred_at, values, limits)


@_apply.register
def _(event: ev.CustomerErasureRequested, state: CustomerState, limits: LimitsPolicy) -> CustomerState:
    """Forget everything but the ids of events already seen, so a redelivery cannot bring data back."""
    return initial_state(state.customer_id).model_copy(update={"seen_event_ids": state.seen_event_ids})
