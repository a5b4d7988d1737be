"""RFM scores (recency in days, frequency in orders, monetary in net yuan) and the named segments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from factories import T0, days, fold, line, order, policy, refund

from streams.domain.customer.segments import named_segments, rfm_scores
from streams.domain.customer.state import CustomerState, initial_state
from streams.engine.customer import advance, handle_event

SECOND = timedelta(seconds=1)
DEFAULT = policy()


def _orders(count: int, *, last: datetime = T0, each: float = 100.0, gap_days: float = 1) -> CustomerState:
    """``count`` orders of ``each`` yuan, ``gap_days`` apart, the latest at ``last``."""
    return fold(*(order(total=each, at=last - days(gap_days * n)) for n in range(count)))


def _segments(state: CustomerState, now: datetime) -> set[str]:
    return set(named_segments(state, now, DEFAULT))


@pytest.mark.parametrize("cut", [30, 60, 90, 180])
def test_recency_drops_one_point_a_second_after_each_cut_point(cut: int) -> None:
    """R is 5 within 30 days of the last order, 4 within 60, 3 within 90, 2 within 180, else 1;
    "within" includes the day itself, so exactly ``cut`` days keeps the higher score."""
    expected_at_cut = 5 - (30, 60, 90, 180).index(cut)
    state = _orders(1)
    assert rfm_scores(state, T0 + days(cut), DEFAULT)[0] == expected_at_cut
    assert rfm_scores(state, T0 + days(cut) + SECOND, DEFAULT)[0] == expected_at_cut - 1


def test_recency_never_drops_below_one() -> None:
    assert rfm_scores(_orders(1), T0 + days(5000), DEFAULT)[0] == 1


@pytest.mark.parametrize(("count", "score"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (7, 4), (8, 5), (20, 5)])
def test_frequency_scores_from_the_order_count(count: int, score: int) -> None:
    """F is 2 from 2 orders, 3 from 3, 4 from 5, 5 from 8; a single order scores 1."""
    assert rfm_scores(_orders(count), T0, DEFAULT)[1] == score


@pytest.mark.parametrize(
    ("spent", "score"),
    [(199.99, 1), (200, 2), (499.99, 2), (500, 3), (999.99, 3), (1000, 4), (1999.99, 4), (2000, 5)],
)
def test_monetary_scores_from_the_net_spend(spent: float, score: int) -> None:
    """M is 2 from 200 yuan, 3 from 500, 4 from 1000, 5 from 2000 (net); below 200 it is 1."""
    assert rfm_scores(_orders(1, each=spent), T0, DEFAULT)[2] == score


def test_monetary_counts_the_spend_net_of_refunds() -> None:
    """250 yuan paid, 50.01 refunded: 199.99 net is below the 200-yuan cut point."""
    placed = order(total=250.0, at=T0)
    assert rfm_scores(fold(placed, refund(placed.order_id, 50.01)), T0, DEFAULT)[2] == 1


def test_a_customer_without_orders_has_no_scores() -> None:
    assert rfm_scores(CustomerState(customer_id="c1"), T0, DEFAULT) == (0, 0, 0)


def test_the_cut_points_come_from_the_policy() -> None:
    custom = policy(
        rfm={"recency_days": [7, 14, 21, 28], "frequency_orders": [3, 4, 6, 10], "monetary_spent": [100, 300, 600, 900]}
    )
    state = _orders(3, each=100.0, gap_days=0.01)  # 3 orders, 300 yuan
    assert rfm_scores(state, T0 + days(7), custom) == (5, 2, 3)
    assert rfm_scores(state, T0 + days(7) + SECOND, custom) == (4, 2, 3)
    assert rfm_scores(state, T0 + days(28) + SECOND, custom)[0] == 1


def test_high_value_needs_every_score_at_least_four() -> None:
    """High value: R, F and M all >= 4, i.e. an order within 60 days, 5+ orders and 1000+ yuan."""
    assert "high_value" in _segments(_orders(5, each=200.0), T0 + days(60))
    assert "high_value" not in _segments(_orders(5, each=200.0), T0 + days(60) + SECOND)
    assert "high_value" not in _segments(_orders(4, each=250.0), T0)
    assert "high_value" not in _segments(_orders(5, each=199.99), T0)


def test_potential_is_a_recent_buyer_who_has_not_bought_often_yet() -> None:
    """Potential: R >= 4 (within 60 days) and F <= 2 (at most 2 orders)."""
    assert "potential" in _segments(_orders(2), T0 + days(60))
    assert "potential" not in _segments(_orders(2), T0 + days(60) + SECOND)
    assert "potential" not in _segments(_orders(3), T0)


def test_slipping_is_a_frequent_buyer_who_has_not_bought_lately() -> None:
    """Slipping: F >= 3 (3+ orders) and R <= 2 (more than 90 days since the last order)."""
    assert "slipping" in _segments(_orders(3), T0 + days(90) + SECOND)
    assert "slipping" not in _segments(_orders(3), T0 + days(90))
    assert "slipping" not in _segments(_orders(2), T0 + days(200))


def test_low_value_is_a_small_average_order_at_most_once_a_year() -> None:
    """Not worth chasing: AOV <= 30 yuan and <= 1 order a year (a customer younger than a year counts as one)."""
    assert "low_value" in _segments(_orders(1, each=30.0), T0 + days(10))
    assert "low_value" not in _segments(_orders(1, each=30.01), T0 + days(10))
    assert "low_value" not in _segments(_orders(2, each=20.0, gap_days=100), T0 + days(10))
    # two orders, the first exactly two years (730 days) ago: one a year
    assert "low_value" in _segments(_orders(2, each=20.0, gap_days=730), T0)
    assert "low_value" not in _segments(_orders(2, each=20.0, gap_days=729), T0)


def test_price_sensitive_customers_are_those_with_a_high_price_sensitivity() -> None:
    """Every order on a coupon (discount share 1 >= 0.6) makes the band high."""
    state = fold(*(order(total=100.0, coupon_code="SAVE", at=T0 - days(n)) for n in range(2)))
    assert "price_sensitive" in _segments(state, T0)
    assert "price_sensitive" not in _segments(_orders(2), T0)


@pytest.mark.parametrize(
    ("since_last", "stage"),
    [(days(181), "sleeping"), (days(271), "at_risk"), (days(361), "lost")],
)
def test_the_late_lifecycle_stages_are_segments(since_last: timedelta, stage: str) -> None:
    assert stage in _segments(_orders(2), T0 + since_last)


def test_a_first_time_buyer_is_in_the_new_segment_for_three_days() -> None:
    assert "new" in _segments(_orders(1), T0 + days(3))
    assert "new" not in _segments(_orders(1), T0 + days(3) + SECOND)


def test_active_and_silent_are_not_segments() -> None:
    """Only new, sleeping, at_risk and lost name a segment; active and silent need no campaign of their own."""
    for since_last in (days(10), days(100)):
        assert not _segments(_orders(2), T0 + since_last) & {"active", "silent"}


def test_a_customer_can_be_in_several_segments() -> None:
    """Three discounted orders of 100 yuan, the last 200 days ago: F = 3 and R = 1 (slipping), sleeping
    (180-270 days) and every order on a discount (price sensitive)."""
    discounted = [line(unit_price=100.0, list_price=200.0)]
    state = fold(*(order(lines=discounted, at=T0 - days(200 + n)) for n in range(3)))
    assert named_segments(state, T0, DEFAULT) == ("price_sensitive", "sleeping", "slipping")


def test_a_customer_without_orders_is_in_no_segment() -> None:
    assert named_segments(CustomerState(customer_id="c1"), T0, DEFAULT) == ()


def test_the_lifecycle_timer_also_wakes_the_customer_where_the_recency_score_drops() -> None:
    """One order at T0: the timer wakes at 3 days (new -> active), at each recency cut (30, 60, 90, 180 days)
    and at each quiet stage (90, 180, 270, 360 days), a second after; only entering a dormant stage sends a
    lifecycle_wakeup: the recency-only wakes at 30 and 60 days send nothing (they refresh the profile); the 90
    and 180 day cuts are stage boundaries too."""
    using = policy()
    state = handle_event(initial_state("c1"), order(at=T0), T0, using).state
    woken, sent = [], []
    while (timer := next((t for t in state.timers if t.kind == "lifecycle"), None)) is not None:
        quiet = (timer.due_at - T0) / timedelta(days=1)
        woken.append(round(quiet, 3))
        decision = advance(state, timer.due_at, using)
        state, sent = decision.state, [*sent, *((t.type, t.facts.get("stage")) for t in decision.triggers)]
        assert rfm_scores(state, timer.due_at, using)[0] == max(1, 5 - sum(c < quiet for c in using.rfm.recency_days))
    assert woken == [3.0, 30.0, 60.0, 90.0, 180.0, 270.0, 360.0]
    assert [s for s in sent if s[0] == "lifecycle_wakeup"] == [
        ("lifecycle_wakeup", stage) for stage in ("silent", "sleeping", "at_risk", "lost")
    ]
