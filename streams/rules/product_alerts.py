"""favorite_low_stock, back_in_stock, price_drop: a product the customer watches moved.

The product side fans a ProductAlert out to every watcher; here the customer's own state is checked
again as of the alert's event time (favorited or recently viewed, not bought since) before a trigger
goes out, so the answer does not depend on which topic's records arrived first
(``interest.alerted_interest``, which trusts the product side's watch only where the customer's
bounded history no longer reaches back to it). One low-stock
alert per product per restock cycle; one back-in-stock per cycle; one price drop per price change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from schemas.control import ProductAlert
from schemas.triggers import ProductRef, TriggerType
from streams.domain.customer.interest import alerted_interest
from streams.domain.customer.state import CustomerState
from streams.domain.decision import Decision, Stimulus, make_trigger
from streams.domain.policy import Policy

NAME: Final = "product_alerts"
_TYPES: dict[str, TriggerType] = {
    "low_stock": "favorite_low_stock",
    "back_in_stock": "back_in_stock",
    "price_drop": "price_drop",
}


def _reason(alert: ProductAlert, interest: str) -> str:
    watched = "favorited" if interest == "favorite" else "viewed"
    if alert.kind == "low_stock":
        return f"You {watched} {alert.product_id} and did not buy it; only {alert.available} left."
    if alert.kind == "back_in_stock":
        return f"You {watched} {alert.product_id} while it was sold out; it is back ({alert.available} available)."
    return f"You {watched} {alert.product_id}; its price fell from {alert.old_price:g} to {alert.new_price:g}."


def _on_alert(state: CustomerState, alert: ProductAlert, now: datetime, policy: Policy) -> Decision:
    settings = policy.product_alerts
    interest = alerted_interest(state, alert, policy)
    if not settings.enabled or interest is None or (interest.until is not None and alert.at > interest.until):
        return Decision(state)
    if alert.kind == "low_stock" and interest.kind != "favorite":
        return Decision(state)
    occasion = (
        f"{alert.product_id}|{alert.cycle}"
        if alert.kind != "price_drop"
        else f"{alert.product_id}|{alert.at.isoformat()}"
    )
    offer = {
        "low_stock": settings.low_stock_offer,
        "back_in_stock": settings.back_in_stock_offer,
        "price_drop": settings.price_drop_offer,
    }[alert.kind]
    trigger = make_trigger(
        _TYPES[alert.kind],
        state,
        occasion=occasion,
        due_at=alert.at,
        now=now,
        policy=policy,
        reason=_reason(alert, interest.kind),
        offer=offer,
        products=(ProductRef(product_id=alert.product_id, category=alert.category or interest.category),),
        facts={
            "interest": interest.kind,
            "available": alert.available,
            "old_price": alert.old_price,
            "new_price": alert.new_price,
            "restock_cycle": alert.cycle,
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    if isinstance(stimulus, ProductAlert):
        return _on_alert(state, stimulus, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide"]
