"""Lifecycle stages (days since the last order) and membership tiers (largest single order)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from factories import T0, cancel, days, fold, order, policy

from streams.domain.customer.profile import derive_profile, snapshot
from streams.domain.customer.segments import lifecycle, tier
from streams.domain.customer.state import CustomerState
from streams.domain.policy import LifecyclePolicy, TierPolicy

SECOND = timedelta(seconds=1)
LIFECYCLE = LifecyclePolicy()
TIERS = TierPolicy()


def _customer(
    *, orders: int = 2, first: datetime = T0 - days(400), last: datetime = T0, largest: float = 100.0
) -> CustomerState:
    """A customer folded from ``orders`` orders of ``largest`` yuan, the first at ``first``, the rest at ``last``."""
    times = [first] + [last] * (orders - 1) if orders > 1 else [last]
    return fold(*(order(total=largest, at=at) for at in times))


def test_a_customer_without_orders_is_a_prospect() -> None:
    assert lifecycle(CustomerState(customer_id="c1"), T0, LIFECYCLE) == "prospect"


@pytest.mark.parametrize(
    ("after_days", "until", "then"),
    [(90, "active", "silent"), (180, "silent", "sleeping"), (270, "sleeping", "at_risk"), (360, "at_risk", "lost")],
)
def test_a_stage_lasts_exactly_its_number_of_days_after_the_last_order(after_days: int, until: str, then: str) -> None:
    """Domain: active within 90 days of the last order, silent 90-180, sleeping 180-270, at risk 270-360,
    lost after 360. Day N ends exactly N x 24 h after the order; one second later the next stage begins."""
    customer = _customer(last=T0)
    assert lifecycle(customer, T0 + days(after_days), LIFECYCLE) == until
    assert lifecycle(customer, T0 + days(after_days) + SECOND, LIFECYCLE) == then


def test_right_after_a_repeat_order_the_customer_is_active() -> None:
    assert lifecycle(_customer(orders=5, last=T0), T0, LIFECYCLE) == "active"


def test_a_single_order_makes_a_new_customer_for_three_days() -> None:
    """Domain: a new customer is within 3 days of the first order."""
    first_timer = _customer(orders=1, first=T0, last=T0)
    assert lifecycle(first_timer, T0, LIFECYCLE) == "new"
    assert lifecycle(first_timer, T0 + days(3), LIFECYCLE) == "new"
    assert lifecycle(first_timer, T0 + days(3) + SECOND, LIFECYCLE) == "active"


def test_a_second_order_within_the_first_three_days_ends_being_new() -> None:
    repeat = _customer(orders=2, first=T0, last=T0 + days(1))
    assert lifecycle(repeat, T0 + days(2), LIFECYCLE) == "active"


def test_the_lifecycle_days_come_from_the_policy() -> None:
    custom = policy(lifecycle={"new_within_days": 1, "silent_after_days": 30}).lifecycle
    assert lifecycle(_customer(orders=1, first=T0, last=T0), T0 + days(1) + SECOND, custom) == "active"
    assert lifecycle(_customer(last=T0), T0 + days(30), custom) == "active"
    assert lifecycle(_customer(last=T0), T0 + days(30) + SECOND, custom) == "silent"


def test_a_customer_whose_only_order_was_cancelled_is_a_prospect_again() -> None:
    """A cancelled order "no longer counts at all" (schemas.events.OrderCancelled)."""
    placed = order(at=T0)
    assert lifecycle(fold(placed, cancel(placed.order_id)), T0 + days(1), LIFECYCLE) == "prospect"


def test_a_cancelled_latest_order_does_not_make_the_customer_recent() -> None:
    kept, cancelled = order(at=T0 - days(200)), order(at=T0 - days(10))
    state = fold(kept, cancelled, cancel(cancelled.order_id))
    assert lifecycle(state, T0, LIFECYCLE) == "sleeping"


def test_a_cancelled_order_does_not_raise_the_tier() -> None:
    kept = order(total=TIERS.vip_single_order - 1, at=T0)
    cancelled = order(total=TIERS.super_vip_single_order + 1, at=T0 + days(1))
    assert tier(fold(kept, cancelled, cancel(cancelled.order_id)), TIERS) == "member"


def test_a_customer_without_orders_has_no_tier() -> None:
    assert tier(CustomerState(customer_id="c1"), TIERS) == "none"


@pytest.mark.parametrize(
    ("largest", "expected"),
    [(0.01, "member"), (187.99, "member"), (188, "vip"), (387.99, "vip"), (388, "super_vip"), (10_000, "super_vip")],
)
def test_the_tier_follows_the_largest_single_order(largest: float, expected: str) -> None:
    """Domain: VIP from a single order of 188 yuan, super VIP from 388 yuan; any order makes a member."""
    assert tier(_customer(largest=largest), TIERS) == expected


@pytest.mark.parametrize(
    ("largest", "expected"),
    [(99.99, "member"), (100, "vip"), (299.99, "vip"), (300, "super_vip")],
)
def test_the_tier_thresholds_come_from_the_policy(largest: float, expected: str) -> None:
    custom = policy(tiers={"vip_single_order": 100, "super_vip_single_order": 300}).tiers
    assert tier(_customer(largest=largest), custom) == expected


def test_many_small_orders_do_not_add_up_to_a_tier() -> None:
    """The tier is about one order's size, not the lifetime spend."""
    small = TIERS.vip_single_order / 2
    state = fold(*(order(total=small, at=T0 + days(n)) for n in range(5)))
    assert state.total_spent >= TIERS.super_vip_single_order
    assert tier(state, TIERS) == "member"


def test_the_snapshot_reports_the_average_order_value_net_of_refunds() -> None:
    state = fold(order(total=120.0), order(total=30.0, at=T0 + days(1)))
    shot = snapshot(state, T0 + days(2), policy())
    assert dict(shot).items() <= derive_profile(state, T0 + days(2), policy()).model_dump().items()
    assert shot.order_count == 2
    assert shot.total_spent == 150.0
    assert shot.average_order_value == 150.0 / 2
    assert (shot.lifecycle, shot.tier) == ("active", "member")
