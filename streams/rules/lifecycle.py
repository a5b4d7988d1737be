"""lifecycle: time moves without events. A durable timer wakes the customer at each stage boundary
(new -> active, then silent, sleeping, at risk, lost), so the profile changes on day 91 with no new
event; entering a dormant stage emits a lifecycle_wakeup with an offer that grows with dormancy. The same
timer also wakes the customer where the RFM recency score drops (``rfm.recency_days``), so the Redis view's
score, segments and lifecycle tags are refreshed by time alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from schemas import events as ev
from streams.domain.customer.segments import lifecycle
from streams.domain.customer.state import CustomerState, Timer
from streams.domain.decision import Decision, Stimulus, TimerDue, cancel, make_trigger, schedule
from streams.domain.policy import DORMANT_STAGES, LifecyclePolicy, Policy

NAME: Final = "lifecycle"


_STEP = timedelta(seconds=1)  # a stage lasts exactly N days; the next begins right after


def boundaries(state: CustomerState, policy: LifecyclePolicy) -> list[datetime]:
    """When the stage can next change: 3 days after the first order, 90/180/270/360 days (+1 s) after the last."""
    if state.first_order_at is None or state.last_order_at is None or state.order_count == 0:
        return []
    quiet = (policy.silent_after_days, policy.sleeping_after_days, policy.at_risk_after_days, policy.lost_after_days)
    return sorted(
        [
            state.first_order_at + timedelta(days=policy.new_within_days) + _STEP,
            *(state.last_order_at + timedelta(days=d) + _STEP for d in quiet),
        ]
    )


def _recency_drops(state: CustomerState, policy: Policy) -> list[datetime]:
    """When the RFM recency score next falls: 30/60/90/180 days (+1 s) after the last order."""
    last = state.last_order_at
    return (
        []
        if last is None or state.order_count == 0
        else [last + timedelta(days=d) + _STEP for d in policy.rfm.recency_days]
    )


def _reschedule(state: CustomerState, after: datetime, policy: Policy) -> CustomerState:
    upcoming = sorted(b for b in (*boundaries(state, policy.lifecycle), *_recency_drops(state, policy)) if b > after)
    if not upcoming:
        return cancel(state, NAME)
    return schedule(state, Timer(kind=NAME, due_at=upcoming[0], since=state.last_order_at or after))


def _wake_up(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    stage = lifecycle(state, timer.due_at, policy.lifecycle)
    entered = timer.due_at in boundaries(state, policy.lifecycle)  # not only a recency score drop
    offer = policy.lifecycle_wakeup.offers.get(stage) if stage in DORMANT_STAGES and entered else None
    state = _reschedule(state, timer.due_at, policy)
    if not policy.lifecycle_wakeup.enabled or offer is None or state.last_order_at is None:
        return Decision(state)
    days = (timer.due_at - state.last_order_at) // timedelta(days=1)
    trigger = make_trigger(
        "lifecycle_wakeup",
        state,
        occasion=f"{stage}|{state.last_order_at.isoformat()}",
        due_at=timer.due_at,
        now=now,
        policy=policy,
        offer=offer,
        reason=f"No order for {days} days since {state.last_order_at.date().isoformat()}: the customer is now {stage}.",
        facts={"stage": stage, "days_since_last_order": days, "order_count": state.order_count},
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() | ev.OrderRefunded() | ev.OrderCancelled():
            return Decision(_reschedule(state, stimulus.occurred_at, policy))
        case TimerDue(timer=timer) if timer.kind == NAME:
            return _wake_up(state, timer, now, policy)
    return Decision(state)


__all__ = ["NAME", "boundaries", "decide"]
