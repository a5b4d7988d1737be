"""usage_guide: some days after a purchase in a category that has a guide, send that guide (post-purchase care).

An order with a line in a category listed in ``policy.usage_guide.categories`` (appliances -> energy-saving
tips, makeup -> make-up tutorial) sets one timer per order, ``delay_days`` after the order's event time. When it
is due, the order is looked up again: a cancelled or fully refunded order gets nothing; otherwise each listed
category of the order gets its guide (offer kind "content"), naming the complements worth mentioning. A
cancellation or full refund known earlier drops the timer at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from schemas import events as ev
from schemas.triggers import Offer, ProductRef, TriggerType
from streams.domain.customer.state import CustomerState, OrderRecord, Timer
from streams.domain.decision import Decision, Stimulus, TimerDue, make_trigger
from streams.domain.policy import Policy
from streams.rules.order_timers import drop_if_voided, live_order, open_timer

NAME: Final[TriggerType] = "usage_guide"


def guides(order: OrderRecord, policy: Policy) -> tuple[tuple[str, str], ...]:
    """(category, guide) for each of the order's categories that has a guide, in the order's line order."""
    listed = policy.usage_guide.categories
    return tuple((category, listed[category]) for category in order.categories if category in listed)


def _on_order(state: CustomerState, order_id: str, policy: Policy) -> Decision:
    order = state.find_order(order_id)  # the folded record: a cancellation that arrived first already applies
    if order is None or not guides(order, policy):
        return Decision(state)
    return open_timer(state, NAME, order, timedelta(days=policy.usage_guide.delay_days))


def _fire(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    order = live_order(state, timer)
    if order is None:
        return Decision(state)
    days = policy.usage_guide.delay_days
    # Line categories are not kept per product: the products are named only when the order has one category.
    products = (
        tuple(ProductRef(product_id=p, category=order.categories[0]) for p in order.product_ids)
        if len(order.categories) == 1
        else ()
    )
    triggers = []
    for category, guide in guides(order, policy):
        complements = policy.cross_sell.related.get(category, ())
        triggers.append(
            make_trigger(
                NAME,
                state,
                occasion=f"{order.order_id}|{category}",
                due_at=timer.due_at,
                now=now,
                policy=policy,
                reason=(
                    f"Bought {category} in order {order.order_id} on {order.at.date().isoformat()}, {days:g} days ago, "
                    f"and the order is neither cancelled nor refunded: send the {guide}."
                ),
                products=products,
                offer=Offer(kind="content", description=guide),
                facts={
                    "order_id": order.order_id,
                    "category": category,
                    "guide": guide,
                    "ordered_at": order.at.isoformat(),
                    "complements": ", ".join(complements) or None,
                },
            )
        )
    return Decision(state, tuple(triggers))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() if policy.usage_guide.enabled:
            return _on_order(state, stimulus.order_id, policy)
        case ev.OrderCancelled() | ev.OrderRefunded():
            return drop_if_voided(state, NAME, stimulus.order_id)
        case TimerDue(timer=timer) if timer.kind == NAME and policy.usage_guide.enabled:
            return _fire(state, timer, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide", "guides"]
