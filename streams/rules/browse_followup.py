"""browse_followup: some hours after a view with no purchase of that product or category, a same-category offer.

Views collapse into a window: a view before the window's timer is due extends it to view + delay, and the
trigger lists every product viewed in the window that was not bought (nor its category) by the due time.
Purchases are judged by their event time, so the decision does not depend on the order records arrive in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from schemas import events as ev
from schemas.triggers import ProductRef, TriggerType
from streams.domain.customer.state import CustomerState, Timer, View
from streams.domain.decision import Decision, Stimulus, TimerDue, cancel, make_trigger, schedule
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "browse_followup"


def _bought(state: CustomerState, view: View, by: datetime) -> bool:
    return any(
        not o.cancelled
        and view.at <= o.at <= by
        and (view.product_id in o.product_ids or view.category in o.categories)
        for o in state.orders
    )


def unbought_views(state: CustomerState, window: Timer, delay: timedelta, limit: int) -> tuple[View, ...]:
    """Latest view per product in the window, not bought (nor its category) between the view and the due time."""
    last_view_at = window.due_at - delay
    latest: dict[str, View] = {}
    for view in state.views:
        if window.since <= view.at <= last_view_at and not _bought(state, view, window.due_at):
            latest[view.product_id] = view
    return tuple(sorted(latest.values(), key=lambda v: v.at, reverse=True)[:limit])


def _on_view(state: CustomerState, view: ev.ProductViewed, delay: timedelta) -> Decision:
    windows = [t for t in state.timers if t.kind == NAME]
    open_window = next((t for t in windows if t.since - delay <= view.occurred_at <= t.due_at), None)
    due = view.occurred_at + delay
    if open_window is None:
        return Decision(
            schedule(state, Timer(kind=NAME, key=view.occurred_at.isoformat(), due_at=due, since=view.occurred_at))
        )
    merged = Timer(
        kind=NAME,
        key=open_window.key,
        due_at=max(open_window.due_at, due),
        since=min(open_window.since, view.occurred_at),
    )
    return Decision(schedule(state, merged))


def _on_order(state: CustomerState, delay: timedelta, limit: int) -> Decision:
    """Close the windows whose every product (or category) is now bought before their due time."""
    for window in [t for t in state.timers if t.kind == NAME]:
        if not unbought_views(state, window, delay, limit):
            state = cancel(state, NAME, window.key)
    return Decision(state)


def _fire(state: CustomerState, window: Timer, now: datetime, policy: Policy) -> Decision:
    settings = policy.browse_followup
    delay = timedelta(hours=settings.delay_hours)
    views = unbought_views(state, window, delay, settings.max_products)
    if not views:
        return Decision(state)
    listed = ", ".join(f"{v.product_id} ({v.category}) at {v.at.isoformat()}" for v in views)
    reason = f"Viewed {listed} and bought none of them or their categories within {settings.delay_hours:g} h."
    trigger = make_trigger(
        NAME,
        state,
        occasion=window.since.isoformat(),
        due_at=window.due_at,
        now=now,
        policy=policy,
        reason=reason,
        products=tuple(ProductRef(product_id=v.product_id, category=v.category) for v in views),
        offer=settings.offer,
        facts={"viewed_products": len(views), "first_view_at": window.since.isoformat()},
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    settings = policy.browse_followup
    delay = timedelta(hours=settings.delay_hours)
    match stimulus:
        case ev.ProductViewed() if settings.enabled:
            return _on_view(state, stimulus, delay)
        case ev.OrderPlaced():
            return _on_order(state, delay, settings.max_products)
        case TimerDue(timer=timer) if timer.kind == NAME and settings.enabled:
            return _fire(state, timer, now, policy)
    return Decision(state)
