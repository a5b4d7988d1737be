"""cross_sell: some hours after a purchase in a category with related categories, an offer for those not bought.

An order with a category listed in ``policy.cross_sell.related`` (yoga -> sportswear, printers -> ink and paper)
sets one timer per order, ``delay_hours`` after the order's event time. When it is due, the offer names the
related categories the customer did not buy between the order and the due time (judged by event time, the
order itself included, so a late record changes nothing); if every one was bought, or the order was cancelled or
refunded in full, nothing is sent. A cancellation or full refund known earlier drops the timer at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from schemas import events as ev
from schemas.triggers import TriggerType
from streams.domain.customer.state import CustomerState, OrderRecord, Timer
from streams.domain.decision import Decision, Stimulus, TimerDue, make_trigger
from streams.domain.policy import Policy
from streams.rules.order_timers import drop_if_voided, live_order, open_timer

NAME: Final[TriggerType] = "cross_sell"


def related(order: OrderRecord, policy: Policy) -> tuple[str, ...]:
    """The categories related to the order's, not in the order itself, first mention first."""
    found = (r for category in order.categories for r in policy.cross_sell.related.get(category, ()))
    return tuple(dict.fromkeys(r for r in found if r not in order.categories))


def unbought(state: CustomerState, order: OrderRecord, by: datetime, policy: Policy) -> tuple[str, ...]:
    """Related categories with no purchase (not cancelled nor fully refunded) from the order's time to ``by``."""
    bought = {c for o in state.orders if not o.voided_by(by) and order.at <= o.at <= by for c in o.categories}
    return tuple(r for r in related(order, policy) if r not in bought)


def _on_order(state: CustomerState, order_id: str, policy: Policy) -> Decision:
    """Open the offer's timer; other orders' timers stay until due, where the check is made (a related purchase
    made in the meantime may yet be cancelled)."""
    order = state.find_order(order_id)  # the folded record: a cancellation that arrived first already applies
    if order is None or not related(order, policy):
        return Decision(state)
    return open_timer(state, NAME, order, timedelta(hours=policy.cross_sell.delay_hours))


def _fire(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    order = live_order(state, timer)
    if order is None:
        return Decision(state)
    offered = unbought(state, order, timer.due_at, policy)
    if not offered:
        return Decision(state)
    anchors = tuple(c for c in order.categories if policy.cross_sell.related.get(c))
    hours = policy.cross_sell.delay_hours
    trigger = make_trigger(
        NAME,
        state,
        occasion=order.order_id,
        due_at=timer.due_at,
        now=now,
        policy=policy,
        reason=(
            f"Bought {', '.join(anchors)} in order {order.order_id} on {order.at.date().isoformat()} and no "
            f"{', '.join(offered)} within {hours:g} h: an offer for {', '.join(offered)}."
        ),
        offer=policy.cross_sell.offer,
        categories=offered,
        facts={
            "order_id": order.order_id,
            "bought_categories": ", ".join(anchors),
            "offer_categories": ", ".join(offered),
            "ordered_at": order.at.isoformat(),
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() if policy.cross_sell.enabled:
            return _on_order(state, stimulus.order_id, policy)
        case ev.OrderCancelled() | ev.OrderRefunded():
            return drop_if_voided(state, NAME, stimulus.order_id)
        case TimerDue(timer=timer) if timer.kind == NAME and policy.cross_sell.enabled:
            return _fire(state, timer, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide", "related", "unbought"]
