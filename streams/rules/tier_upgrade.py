"""tier_upgrade: when a single order lifts the customer to VIP (188 yuan or more) or super VIP (388 or more),
the tier's gift coupon (``tiers.vip_coupon`` / ``tiers.super_vip_coupon``), valid ``tier_upgrade.valid_days``.

The tier before is the customer's tier without this order (every other order that counts, whenever it
happened), the tier after is with it; only a rise to vip or super_vip fires, and a jump from member straight
to super VIP gives only the super VIP trigger. A late order below a tier already reached lifts nothing, so a
customer is never congratulated on a tier they have passed. The occasion is the tier reached: once per tier
per customer, whatever the redeliveries or replays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from schemas import events as ev
from schemas.triggers import Offer, ProductRef, TriggerType
from streams.domain.customer.segments import tier
from streams.domain.customer.state import CustomerState
from streams.domain.decision import Decision, Stimulus, make_trigger
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "tier_upgrade"
_RANK = {"none": 0, "member": 1, "vip": 2, "super_vip": 3}
_LABEL = {"vip": "VIP", "super_vip": "super VIP"}


def _on_order(state: CustomerState, order: ev.OrderPlaced, now: datetime, policy: Policy) -> Decision:
    record = next((o for o in state.orders if o.order_id == order.order_id), None)
    if record is None or record.cancelled:
        return Decision(state)
    without = state.model_copy(update={"orders": tuple(o for o in state.orders if o.order_id != order.order_id)})
    before, after = tier(without, policy.tiers), tier(state, policy.tiers)
    if after not in _LABEL or _RANK[after] <= _RANK[before]:
        return Decision(state)
    tiers = policy.tiers
    threshold = tiers.super_vip_single_order if after == "super_vip" else tiers.vip_single_order
    coupon = tiers.super_vip_coupon if after == "super_vip" else tiers.vip_coupon
    offer = (
        Offer(
            kind="coupon",
            level=_RANK[after],
            value=coupon,
            valid_days=policy.tier_upgrade.valid_days,
            description=f"{_LABEL[after]} gift: a {coupon:g}-yuan coupon",
        )
        if coupon
        else Offer()
    )
    reason = (
        f"Order {record.order_id} of {record.total:g} yuan on {record.at.isoformat()} reached the "
        f"{_LABEL[after]} threshold of {threshold:g} yuan in a single order: {before} -> {after}."
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=after,
        due_at=record.at,
        now=now,
        policy=policy,
        reason=reason,
        products=tuple(ProductRef(product_id=p) for p in record.product_ids),
        offer=offer,
        facts={
            "previous_tier": before,
            "tier": after,
            "order_id": record.order_id,
            "order_total": record.total,
            "threshold": threshold,
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() if policy.tier_upgrade.enabled:
            return _on_order(state, stimulus, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide"]
