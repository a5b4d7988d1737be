"""churn_warning: a retention coupon ("not happy with something? here are 10 yuan") when a customer browses
``sessions_without_purchase`` sessions in a row without buying, or unfollows the shop.

Browsing: sessions are views no more than ``browsing.session_gap_minutes`` apart (or sharing a session id);
the streak is the sessions that started after the customer's last valid order (``habits.browse_streak``).
The view that starts the streak's N-th session fires, once per streak: the occasion is the start of the
streak's first session, so a later or a late view of the same streak gives the same trigger id. Only a
customer who has ordered can churn: a visitor who never bought gets the browse follow-up, not this.
Everything is judged by event time: a view from before the last order, or an order placed after the
streak began (even if it arrived first), means the customer did not browse without buying.

Unfollowing: a ``ShopUnfollowed`` fires at its event time (the occasion) unless a later follow or unfollow
is already known (the customer came back, or the later unfollow fired).
"""

from __future__ import annotations

from datetime import datetime

from schemas import events as ev
from schemas.events import Channel
from streams.core.decision import Decision, Stimulus, make_trigger
from streams.core.habits import browse_sessions
from streams.core.state import CustomerState
from streams.policy import Policy

NAME = "churn_warning"


def _on_view(state: CustomerState, view: ev.ProductViewed, now: datetime, policy: Policy) -> Decision:
    settings, last_order = policy.churn_warning, state.last_order_at
    if last_order is None:
        return Decision(state)
    streak = [s for s in browse_sessions(state.views, policy.browsing) if s[0].at > last_order]
    started = next((i for i, s in enumerate(streak) if s[0].at == view.occurred_at), None)
    if started is None or started + 1 != settings.sessions_without_purchase:
        return Decision(state)
    first, current = streak[0][0].at, streak[started][0].at
    count = settings.sessions_without_purchase
    reason = (f"{count} browsing session{'s' if count > 1 else ''} in a row without a purchase since the last order "
              f"on {last_order.isoformat()}: the first started {first.isoformat()}, the latest {current.isoformat()}.")
    trigger = make_trigger(
        NAME, state, occasion=f"browse-streak|{first.isoformat()}", due_at=current, now=now, policy=policy,
        reason=reason, offer=settings.offer, channel=Channel.SERVICE,
        facts={"cause": "browse_streak", "sessions_without_purchase": count, "first_session_at": first.isoformat(),
               "latest_session_at": current.isoformat(), "last_order_at": last_order.isoformat(),
               "viewed_categories": ",".join(dict.fromkeys(v.category for s in streak for v in s))},
    )
    return Decision(state, (trigger,))


def _on_unfollow(state: CustomerState, unfollow: ev.ShopUnfollowed, now: datetime, policy: Policy) -> Decision:
    latest = state.facts.get("follows_shop")
    if latest is None or latest.value is not False or latest.at != unfollow.occurred_at:
        return Decision(state)
    at = unfollow.occurred_at
    last_order = state.last_order_at
    reason = f"Unfollowed the shop on {at.isoformat()}" + (
        f" ({state.order_count} orders, the last on {last_order.isoformat()})." if last_order else " (no order yet).")
    trigger = make_trigger(
        NAME, state, occasion=f"unfollowed|{at.isoformat()}", due_at=at, now=now, policy=policy, reason=reason,
        offer=policy.churn_warning.offer, channel=Channel.SERVICE,
        facts={"cause": "unfollowed", "unfollowed_at": at.isoformat(), "order_count": state.order_count,
               "last_order_at": last_order.isoformat() if last_order else None},
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
