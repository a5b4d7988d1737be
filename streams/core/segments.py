"""Derived customer fields: lifecycle stage, membership tier and the snapshot sent with triggers."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.triggers import CustomerSnapshot
from streams.core.state import CustomerState
from streams.policy import LifecyclePolicy, Policy, TierPolicy

__all__ = ["lifecycle", "snapshot", "tier"]


def lifecycle(state: CustomerState, now: datetime, policy: LifecyclePolicy) -> str:
    """prospect (no order that counts), new, active, silent, sleeping, at_risk or lost; day N starts after N*24 h."""
    if state.order_count == 0 or state.first_order_at is None or state.last_order_at is None:
        return "prospect"
    if now - state.first_order_at <= timedelta(days=policy.new_within_days) and state.order_count <= 1:
        return "new"
    quiet = now - state.last_order_at
    for stage, after_days in (
        ("lost", policy.lost_after_days), ("at_risk", policy.at_risk_after_days),
        ("sleeping", policy.sleeping_after_days), ("silent", policy.silent_after_days),
    ):
        if quiet > timedelta(days=after_days):
            return stage
    return "active"


def tier(state: CustomerState, policy: TierPolicy) -> str:
    """none, member, vip or super_vip by the largest single order."""
    if state.order_count == 0 and state.max_order_value == 0:
        return "none"
    if state.max_order_value >= policy.super_vip_single_order:
        return "super_vip"
    if state.max_order_value >= policy.vip_single_order:
        return "vip"
    return "member"


def snapshot(state: CustomerState, now: datetime, policy: Policy) -> CustomerSnapshot:
    aov = round(state.total_spent / state.order_count, 2) if state.order_count else 0.0
    return CustomerSnapshot(
        lifecycle=lifecycle(state, now, policy.lifecycle), tier=tier(state, policy.tiers),
        order_count=state.order_count, total_spent=max(state.total_spent, 0.0), average_order_value=max(aov, 0.0),
    )
