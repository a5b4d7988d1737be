"""browse_followup: some hours after a view with no purchase of that product or category, a same-category offer.

Views collapse: each view pushes the timer to view + delay, and the trigger lists every viewed product still
unbought. An order that buys all of them cancels the timer; at fire time the purchases are checked again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas import events as ev
from schemas.triggers import Offer, ProductRef
from schemas.events import Channel
from streams.core.decision import Decision, Stimulus, TimerDue, cancel, make_trigger, schedule, timer_of
from streams.core.state import CustomerState, Timer, View
from streams.policy import Policy

NAME = "browse_followup"


def _bought_after(state: CustomerState, view: View) -> bool:
    return any(
        not o.cancelled and o.at >= view.at and (view.product_id in o.product_ids or view.category in o.categories)
        for o in state.orders
    )


def unbought_views(state: CustomerState, since: datetime, limit: int) -> tuple[View, ...]:
    """Latest view per product since ``since`` with no later purchase of the product or its category."""
    latest: dict[str, View] = {}
    for view in state.views:
        if view.at >= since and not _bought_after(state, view):
            latest[view.product_id] = view
    return tuple(sorted(latest.values(), key=lambda v: v.at, reverse=True)[:limit])


def _on_view(state: CustomerState, view: ev.ProductViewed, policy: Policy) -> Decision:
    pending = timer_of(state, NAME)
    due = view.occurred_at + timedelta(hours=policy.browse_followup.delay_hours)
    since = min(pending.since, view.occurred_at) if pending else view.occurred_at
    due = max(pending.due_at, due) if pending else due
    return Decision(schedule(state, Timer(kind=NAME, due_at=due, since=since)))


def _on_order(state: CustomerState, policy: Policy) -> Decision:
    pending = timer_of(state, NAME)
    if pending and not unbought_views(state, pending.since, policy.browse_followup.max_products):
        return Decision(cancel(state, NAME))
    return Decision(state)


def _fire(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    settings = policy.browse_followup
    views = unbought_views(state, timer.since, settings.max_products)
    if not views:
        return Decision(state)
    listed = ", ".join(f"{v.product_id} ({v.category}) at {v.at.isoformat()}" for v in views)
    reason = f"Viewed {listed} and bought none of them or their categories within {settings.delay_hours:g} h."
    trigger = make_trigger(
        NAME, state, occasion=f"{timer.since.isoformat()}", due_at=timer.due_at, now=now, policy=policy,
        reason=reason, products=tuple(ProductRef(product_id=v.product_id, category=v.category) for v in views),
        offer=Offer(kind="coupon", level=settings.offer_level, description="same-category offer"),
        channel=Channel.PUSH, facts={"viewed_products": len(views), "first_view_at": timer.since.isoformat()},
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    if not policy.browse_followup.enabled:
        return Decision(cancel(state, NAME))
    match stimulus:
        case ev.ProductViewed():
            return _on_view(state, stimulus, policy)
        case ev.OrderPlaced():
            return _on_order(state, policy)
        case TimerDue(timer=timer) if timer.kind == NAME:
            return _fire(state, timer, now, policy)
    return Decision(state)
