"""churn_warning: a retention coupon ("not happy with something? here are 10 yuan") when a customer browses
``sessions_without_purchase`` sessions in a row without buying, or unfollows the shop.

Browsing: sessions are views no more than ``browsing.session_gap_minutes`` apart (or sharing a session id);
the streak is the sessions that started after the customer's last valid order (``habits.browse_streak``).
When the streak has N sessions, the view that starts one of its first N fires (in order, the view that
starts the N-th; out of order, whichever start arrives last), once per streak: a streak is named by the
order it follows, so more sessions, late views, or a late view that moves the first session's start all
give the same trigger id. Only a customer who has ordered can churn: a visitor who never bought gets the
browse follow-up, not this. Everything is judged by event time: a view from before the last order, or an
order placed after the streak began (even if it arrived first), means the customer did not browse without
buying.

Unfollowing: a ``ShopUnfollowed`` fires at its event time (the occasion) unless a later follow or unfollow
is already known (the customer came back, or the later unfollow fired).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from schemas import events as ev
from schemas.triggers import TriggerType
from streams.domain.customer.habits import browse_sessions
from streams.domain.customer.state import CustomerState
from streams.domain.decision import Decision, Stimulus, make_trigger
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "churn_warning"


def _on_view(state: CustomerState, view: ev.ProductViewed, now: datetime, policy: Policy) -> Decision:
    count, last_order = policy.churn_warning.sessions_without_purchase, state.last_order_at
    if last_order is None:
        return Decision(state)
    streak = [s for s in browse_sessions(state.views, policy.browsing) if s[0].at > last_order]
    starts = [s[0].at for s in streak[:count]]
    if len(streak) < count or view.occurred_at not in starts:
        return Decision(state)
    first, reached = starts[0], starts[-1]
    reason = (
        f"{count} browsing session{'s' if count > 1 else ''} in a row without a purchase since the last order "
        f"on {last_order.isoformat()}: the first started {first.isoformat()}, the {_ordinal(count)} "
        f"{reached.isoformat()}."
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=f"browse-streak|{last_order.isoformat()}",
        due_at=reached,
        now=now,
        policy=policy,
        reason=reason,
        offer=policy.churn_warning.offer,
        facts={
            "cause": "browse_streak",
            "sessions_without_purchase": count,
            "first_session_at": first.isoformat(),
            "latest_session_at": reached.isoformat(),
            "last_order_at": last_order.isoformat(),
            "viewed_categories": ",".join(dict.fromkeys(v.category for s in streak[:count] for v in s)),
        },
    )
    return Decision(state, (trigger,))


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _on_unfollow(state: CustomerState, unfollow: ev.ShopUnfollowed, now: datetime, policy: Policy) -> Decision:
    latest = state.facts.get("follows_shop")
    if latest is None or latest.value is not False or latest.at != unfollow.occurred_at:
        return Decision(state)
    at = unfollow.occurred_at
    last_order = state.last_order_at
    reason = f"Unfollowed the shop on {at.isoformat()}" + (
        f" ({state.order_count} orders, the last on {last_order.isoformat()})." if last_order else " (no order yet)."
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=f"unfollowed|{at.isoformat()}",
        due_at=at,
        now=now,
        policy=policy,
        reason=reason,
        offer=policy.churn_warning.offer,
        facts={
            "cause": "unfollowed",
            "unfollowed_at": at.isoformat(),
            "order_count": state.order_count,
            "last_order_at": last_order.isoformat() if last_order else None,
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.ProductViewed() if policy.churn_warning.enabled:
            return _on_view(state, stimulus, now, policy)
        case ev.ShopUnfollowed() if policy.churn_warning.enabled:
            return _on_unfollow(state, stimulus, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide"]
