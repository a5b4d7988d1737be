"""One timer per order, keyed by order id, shared by the post-purchase rules (cross_sell, usage_guide).

The timer is set only if the order is not already void (cancelled or refunded in full) by its due time, and a
cancellation or refund known before the timer is due drops it at once, and when it is due the order must still
not be void by the due time; all judged by event time.
"""

from __future__ import annotations

from datetime import timedelta

from streams.domain.customer.state import CustomerState, OrderRecord, Timer
from streams.domain.decision import Decision, cancel, schedule, timer_of

__all__ = ["drop_if_voided", "live_order", "open_timer"]


def open_timer(state: CustomerState, kind: str, order: OrderRecord, delay: timedelta) -> Decision:
    """Set ``kind``'s timer for ``order``, ``delay`` after its event time, unless the order is void by then."""
    due = order.at + delay
    if order.voided_by(due):
        return Decision(state)
    return Decision(schedule(state, Timer(kind=kind, key=order.order_id, due_at=due, since=order.at)))


def drop_if_voided(state: CustomerState, kind: str, order_id: str) -> Decision:
    """Drop the timer of an order void by its due time (judged by event time: a later refund does not)."""
    order, timer = state.find_order(order_id), timer_of(state, kind, order_id)
    if order is not None and timer is not None and order.voided_by(timer.due_at):
        return Decision(cancel(state, kind, order_id))
    return Decision(state)


def live_order(state: CustomerState, timer: Timer) -> OrderRecord | None:
    """The order of a due timer, or None if it is unknown or void by the timer's due time."""
    order = state.find_order(timer.key)
    return None if order is None or order.voided_by(timer.due_at) else order
