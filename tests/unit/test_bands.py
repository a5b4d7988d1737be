"""Purchasing power (AOV relative to the shop's) and price sensitivity (discount share and depth)."""

from __future__ import annotations

import pytest
from factories import T0, cancel, days, fold, line, order, policy, refund

from streams.domain.customer.segments import average_order_value, discount_profile, price_sensitivity, purchasing_power
from streams.domain.customer.state import CustomerState
from streams.domain.policy import PriceSensitivityPolicy, ShopPolicy

SHOP = ShopPolicy()  # shop AOV 150 yuan: high from 1.5 x 150 = 225, low below 0.75 x 150 = 112.5
SENSITIVITY = PriceSensitivityPolicy()


@pytest.mark.parametrize(
    ("aov", "band"),
    [(225.0, "high"), (224.99, "medium"), (112.5, "medium"), (112.49, "low"), (0.01, "low")],
)
def test_purchasing_power_is_the_aov_relative_to_the_shops_average(aov: float, band: str) -> None:
    """High: AOV >= 1.5 x the shop's AOV; low: AOV < 0.75 x; medium in between (yuan)."""
    assert purchasing_power(fold(order(total=aov)), SHOP) == band


def test_the_shops_average_and_factors_come_from_the_policy() -> None:
    """Shop AOV 100, factors 2 and 0.5: high from 200, low below 50."""
    custom = policy(shop={"average_order_value": 100, "high_power_factor": 2, "low_power_factor": 0.5}).shop
    assert [purchasing_power(fold(order(total=t)), custom) for t in (200.0, 199.99, 50.0, 49.99)] == [
        "high",
        "medium",
        "medium",
        "low",
    ]


def test_purchasing_power_is_unknown_without_orders_that_count() -> None:
    placed = order(total=500.0)
    assert purchasing_power(CustomerState(customer_id="c1"), SHOP) == "unknown"
    assert purchasing_power(fold(placed, cancel(placed.order_id)), SHOP) == "unknown"


def test_the_aov_is_net_of_refunds() -> None:
    """Two orders of 250 (AOV 250, high); 100 refunded on one: 400 / 2 = 200, medium."""
    first, second = order(total=250.0), order(total=250.0, at=T0 + days(1))
    assert purchasing_power(fold(first, second), SHOP) == "high"
    refunded = fold(first, second, refund(first.order_id, 100.0))
    assert average_order_value(refunded) == 200.0
    assert purchasing_power(refunded, SHOP) == "medium"


def test_a_cancelled_order_leaves_the_aov() -> None:
    """300 and 10 yuan: AOV 155 (medium); the 10-yuan order cancelled: 300 / 1, high."""
    big, small = order(total=300.0), order(total=10.0, at=T0 + days(1))
    assert purchasing_power(fold(big, small), SHOP) == "medium"
    assert purchasing_power(fold(big, small, cancel(small.order_id)), SHOP) == "high"


@pytest.mark.parametrize(
    "placed",
    [
        order(total=100.0, coupon_code="WELCOME"),
        order(lines=[line(unit_price=100.0)], discount=10.0),
        order(lines=[line(unit_price=90.0, list_price=100.0)]),
    ],
    ids=["coupon", "order-level discount", "list price above unit price"],
)
def test_an_order_counts_as_discounted_by_coupon_order_discount_or_list_price(placed: object) -> None:
    assert discount_profile(fold(placed))[0] == 1.0  # type: ignore[arg-type]


def test_a_list_price_equal_to_the_unit_price_is_no_discount() -> None:
    assert discount_profile(fold(order(lines=[line(unit_price=100.0, list_price=100.0)]))) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("lines", "discount", "depth"),
    [
        ([line(unit_price=70.0, list_price=100.0)], 0.0, 0.3),  # 1 - 70 / 100
        ([line(unit_price=100.0)], 20.0, 0.2),  # 1 - 80 / 100
        ([line(unit_price=150.0, list_price=200.0, quantity=2)], 40.0, 0.35),  # 1 - (300 - 40) / 400
        ([line(unit_price=50.0, list_price=100.0), line("p2", unit_price=100.0)], 0.0, 0.25),  # 1 - 150 / 200
    ],
)
def test_the_discount_depth_is_one_minus_paid_over_undiscounted(lines: list, discount: float, depth: float) -> None:
    assert discount_profile(fold(order(lines=lines, discount=discount)))[1] == pytest.approx(depth)


def _history(discounted: int, of: int, depth: float) -> CustomerState:
    """``of`` orders, ``discounted`` of them at ``depth`` off a 100-yuan list price, the rest at full price."""
    return fold(
        *(
            order(
                lines=[line(unit_price=round(100 * (1 - depth), 2) if n < discounted else 100.0, list_price=100.0)],
                at=T0 + days(n),
            )
            for n in range(of)
        )
    )


@pytest.mark.parametrize(
    ("discounted", "of", "band"),
    [(3, 5, "high"), (2, 5, "medium"), (1, 4, "medium"), (1, 5, "low"), (0, 5, "low")],
)
def test_price_sensitivity_by_the_share_of_discounted_orders(discounted: int, of: int, band: str) -> None:
    """High from a 0.6 share; low at most a 0.2 share (with shallow 5% discounts, below the 0.1 depth)."""
    assert price_sensitivity(_history(discounted, of, depth=0.05), SENSITIVITY) == band


@pytest.mark.parametrize(("depth", "band"), [(0.3, "high"), (0.29, "medium"), (0.1, "medium"), (0.09, "low")])
def test_price_sensitivity_by_the_depth_of_the_discounts(depth: float, band: str) -> None:
    """One order in five discounted (share 0.2): high from an average depth of 0.3; low needs a depth below 0.1."""
    assert price_sensitivity(_history(1, 5, depth=depth), SENSITIVITY) == band


def test_cancelled_orders_do_not_count_towards_the_discount_share() -> None:
    deal, full = order(total=50.0, coupon_code="X"), order(total=100.0, at=T0 + days(1))
    assert discount_profile(fold(deal, full, cancel(deal.order_id))) == (0.0, 0.0)


def test_price_sensitivity_is_unknown_without_orders() -> None:
    assert price_sensitivity(CustomerState(customer_id="c1"), SENSITIVITY) == "unknown"


def test_the_sensitivity_thresholds_come_from_the_policy() -> None:
    strict = policy(price_sensitivity={"high_min_share": 0.5, "low_max_share": 0.0, "low_max_depth": 0.01})
    assert price_sensitivity(_history(1, 2, depth=0.05), strict.price_sensitivity) == "high"
    assert price_sensitivity(_history(1, 5, depth=0.05), strict.price_sensitivity) == "medium"
