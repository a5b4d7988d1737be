"""welcome: on the customer's first order, the new-customer pack (e.g. "second item half price", valid 7 days).

The order being folded must be the customer's only valid order: not cancelled (a cancellation that arrived
before its order counts), and no other order that still counts, earlier or later by event time. Once per
customer: the occasion is the first order itself, so a redelivered order, a replay or a later "first" order
after the first was cancelled gives the same trigger id, which the engine never sends twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from schemas import events as ev
from schemas.triggers import ProductRef, TriggerType
from streams.domain.customer.state import CustomerState
from streams.domain.decision import Decision, Stimulus, make_trigger
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "welcome"
OCCASION = "first-order"


def _on_order(state: CustomerState, order: ev.OrderPlaced, now: datetime, policy: Policy) -> Decision:
    record = next((o for o in state.orders if o.order_id == order.order_id), None)
    if record is None or record.cancelled or state.order_count != 1 or state.first_order_at != record.at:
        return Decision(state)
    offer = policy.welcome.offer
    reason = (
        f"First order {record.order_id} ({record.total:g} yuan) on {record.at.isoformat()}: "
        f"a new customer gets the welcome pack ({offer.description})."
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=OCCASION,
        due_at=record.at,
        now=now,
        policy=policy,
        reason=reason,
        products=tuple(ProductRef(product_id=p) for p in record.product_ids),
        offer=offer,
        facts={
            "order_id": record.order_id,
            "order_total": record.total,
            "first_order_at": record.at.isoformat(),
            "categories": ",".join(record.categories),
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() if policy.welcome.enabled:
            return _on_order(state, stimulus, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide"]
