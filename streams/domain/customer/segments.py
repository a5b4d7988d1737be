"""Where a customer stands: lifecycle stage, membership tier, RFM scores, bands and named segments."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta

from schemas.profile import Band, Lifecycle, Tier
from streams.domain.customer.state import CustomerState
from streams.domain.policy import LifecyclePolicy, Policy, PriceSensitivityPolicy, ShopPolicy, TierPolicy

__all__ = [
    "average_order_value",
    "discount_profile",
    "lifecycle",
    "named_segments",
    "price_sensitivity",
    "purchasing_power",
    "rfm_scores",
    "tier",
]


def lifecycle(state: CustomerState, now: datetime, policy: LifecyclePolicy) -> Lifecycle:
    """prospect (no order that counts), new, active, silent, sleeping, at_risk or lost; day N starts after N*24 h."""
    first, last = state.first_order_at, state.last_order_at
    if state.order_count == 0 or first is None or last is None:
        return "prospect"
    if now - first <= timedelta(days=policy.new_within_days) and state.order_count <= 1:
        return "new"
    quiet = now - last
    for stage, after_days in (
        ("lost", policy.lost_after_days),
        ("at_risk", policy.at_risk_after_days),
        ("sleeping", policy.sleeping_after_days),
        ("silent", policy.silent_after_days),
    ):
        if quiet > timedelta(days=after_days):
            return stage  # type: ignore[return-value]
    return "active"


def tier(state: CustomerState, policy: TierPolicy) -> Tier:
    """none, member, vip or super_vip by the largest single order (net of refunds if the policy says so)."""
    if state.order_count == 0:
        return "none"
    largest = (
        max((o.net for o in state.valid_orders), default=0.0) if policy.downgrade_on_refund else state.max_order_value
    )
    if largest >= policy.super_vip_single_order:
        return "super_vip"
    return "vip" if largest >= policy.vip_single_order else "member"


def average_order_value(state: CustomerState) -> float:
    return round(state.total_spent / state.order_count, 2) if state.order_count else 0.0


def rfm_scores(state: CustomerState, now: datetime, policy: Policy) -> tuple[int, int, int]:
    """(R, F, M), each 1-5; (0, 0, 0) without orders."""
    if state.order_count == 0 or state.last_order_at is None:
        return 0, 0, 0
    days = (now - state.last_order_at) / timedelta(days=1)
    recency = 5 - bisect_left(policy.rfm.recency_days, days)
    frequency = 1 + bisect_right(policy.rfm.frequency_orders, state.order_count)
    monetary = 1 + bisect_right(policy.rfm.monetary_spent, state.total_spent)
    return max(recency, 1), frequency, monetary


def purchasing_power(state: CustomerState, policy: ShopPolicy) -> Band:
    if state.order_count == 0:
        return "unknown"
    aov = average_order_value(state)
    if aov >= policy.high_power_factor * policy.average_order_value:
        return "high"
    return "low" if aov < policy.low_power_factor * policy.average_order_value else "medium"


def discount_profile(state: CustomerState) -> tuple[float, float]:
    """(share of remembered orders bought on discount, their average discount depth)."""
    orders = state.valid_orders
    if not orders:
        return 0.0, 0.0
    discounted = [o for o in orders if o.on_discount]
    depth = sum(o.discount_depth for o in discounted) / len(discounted) if discounted else 0.0
    return round(len(discounted) / len(orders), 4), round(depth, 4)


def price_sensitivity(state: CustomerState, policy: PriceSensitivityPolicy) -> Band:
    if not state.valid_orders:
        return "unknown"
    share, depth = discount_profile(state)
    if share >= policy.high_min_share or depth >= policy.high_min_depth:
        return "high"
    return "low" if share <= policy.low_max_share and depth < policy.low_max_depth else "medium"


def named_segments(state: CustomerState, now: datetime, policy: Policy) -> tuple[str, ...]:
    """Segments a marketer targets; a customer can be in several."""
    r, f, m = rfm_scores(state, now, policy)
    rules = policy.segments
    stage = lifecycle(state, now, policy.lifecycle)
    first = state.first_order_at
    years = max((now - first) / timedelta(days=365), 1.0) if first else 1.0
    found = {
        "high_value": min(r, f, m) >= rules.high_value_min_score,
        "potential": r >= rules.potential_min_recency and f <= rules.potential_max_frequency,
        "slipping": f >= rules.slipping_min_frequency and 0 < r <= rules.slipping_max_recency,
        "low_value": state.order_count > 0
        and average_order_value(state) <= rules.low_value_max_aov
        and state.order_count / years <= rules.low_value_max_orders_per_year,
        "price_sensitive": price_sensitivity(state, policy.price_sensitivity) == "high",
        stage: stage in ("new", "sleeping", "at_risk", "lost"),
    }
    return tuple(sorted(name for name, member in found.items() if member))
