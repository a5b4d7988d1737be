"""Attribution and uplift: the statistics on known small examples, attribution on a hand-built history, and the
estimator recovering an effect planted in a simulated shop run in a closed loop with the engine.

The planted effect: a sent ``welcome`` makes its customer place one extra order inside the welcome's
attribution window with probability ``EFFECT``. A customer gets one welcome, the extra orders draw from their
own random stream and change nothing else the customers do (test_simulator checks the rest of the log is
``simulate_shop``'s), and only closed windows are measured, so the expected uplift in welcome orders per
customer is exactly ``EFFECT``. What the extra orders set off in the engine (later triggers of other types)
brings no orders, as only welcome is planted. ``browse_followup`` has no effect: sending one or holding it out
changes nothing (held-out triggers count for the caps as sent ones do), so its treated and control groups
differ only by the draw, and its true uplift is 0. Both types hold out half their customers here, for power.

``COMEBACK_UPLIFT_SEEDS=N`` also runs the bigger version: N simulated shops of ``COMEBACK_UPLIFT_CUSTOMERS``
(2000) customers, the 95% intervals covering the truth in most of them.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta

import pytest

from schemas.decisions import ContactDecision, Outcome
from schemas.triggers import TriggerType
from streams.domain.contact.policy import ContactPolicy
from streams.domain.policy import Policy
from streams.engine.uplift import (
    Interval,
    Purchase,
    TypeUplift,
    customers_needed,
    mean_difference,
    newcombe_difference,
    purchases,
    uplift_by_type,
    wilson,
)
from streams.tools.report.figures import Report, compute_report
from streams.tools.simulator import SHOP_ZONE, ResponseTruth, simulate_with_response
from tests.factories import T0, cancel, days, order, refund

Z = 1.959963984540054  # the normal 97.5% quantile
EFFECT = 0.25
START = datetime(2026, 3, 2, tzinfo=SHOP_ZONE)
HALF_HELD_OUT = Policy(
    contact=ContactPolicy(types={"welcome": {"holdout_percent": 50}, "browse_followup": {"holdout_percent": 50}})
)


def _close(interval: Interval | None, low: float, high: float, places: int = 4) -> bool:
    assert interval is not None
    return (round(interval.low, places), round(interval.high, places)) == (low, high)


# --- the statistics ---------------------------------------------------------------------------------------


def test_wilson_by_hand_and_newcombes_example() -> None:
    """0 of 10: the interval is [0, z^2 / (n + z^2)]; 81 of 263: Newcombe (1998a), 0.2553 to 0.3662."""
    low, high = wilson(0, 10) or (None, None)
    assert low == 0 and high == pytest.approx(Z**2 / (10 + Z**2))
    assert tuple(round(v, 4) for v in wilson(81, 263) or ()) == (0.2553, 0.3662)
    assert wilson(0, 0) is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [  # Newcombe (1998b), Table II, method 10 (the hybrid score interval)
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
    ],
)
def test_newcombe_interval_of_a_difference_of_proportions(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    interval = newcombe_difference(x1, n1, x2, n2)
    assert interval is not None and interval.estimate == pytest.approx(x1 / n1 - x2 / n2)
    assert _close(interval, low, high)


def test_newcombe_of_two_empty_shares_by_hand() -> None:
    """0/10 - 0/20: the estimate is 0 and the bounds are the Wilson upper bounds, -u2 and u1."""
    interval = newcombe_difference(0, 10, 0, 20)
    assert interval is not None and interval.estimate == 0
    assert interval.low == pytest.approx(-(Z**2) / (20 + Z**2)) and interval.high == pytest.approx(Z**2 / (10 + Z**2))


def test_a_difference_with_an_empty_group_has_no_interval() -> None:
    assert newcombe_difference(3, 10, 0, 0) is None and newcombe_difference(0, 0, 0, 0) is None
    assert mean_difference([], [1.0, 2.0]) is None and mean_difference([1.0], [1.0, 2.0]) is None


def test_mean_difference_by_hand() -> None:
    """[1, 2, 3] against [0, 0, 1, 1]: means 2 and 0.5, variances 1 and 1/3, SE sqrt(1/3 + 1/12)."""
    interval = mean_difference([1.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0])
    assert interval is not None and interval.estimate == pytest.approx(1.5)
    half = Z * math.sqrt(1 / 3 + 1 / 12)
    assert (interval.low, interval.high) == (pytest.approx(1.5 - half), pytest.approx(1.5 + half))
    flat = mean_difference([0.0, 0.0], [0.0, 0.0])
    assert flat is not None and (flat.low, flat.estimate, flat.high) == (0, 0, 0)


def test_customers_needed_by_the_two_proportion_formula() -> None:
    """20% against 10%: (1.96 sqrt(2 x 0.15 x 0.85) + 0.8416 sqrt(0.16 + 0.09))^2 / 0.1^2 = 198.96, so 199;
    50% against 40%: (1.96 sqrt(2 x 0.45 x 0.55) + 0.8416 sqrt(0.25 + 0.24))^2 / 0.1^2 = 387.3, so 388."""
    assert customers_needed(0.2, 0.1) == customers_needed(0.1, 0.2) == 199
    assert customers_needed(0.5, 0.4) == 388
    assert customers_needed(0.3, 0.3) is None and customers_needed(0.0, 0.0) is None
    assert customers_needed(1.0, 0.0) == 2


# --- attribution ------------------------------------------------------------------------------------------


def _decision(customer_id: str, outcome: Outcome, at: datetime, kind: TriggerType = "welcome") -> ContactDecision:
    return ContactDecision(
        decision_id=f"d-{customer_id}-{outcome}-{at.isoformat()}",
        trigger_id=f"t-{customer_id}-{kind}",
        type=kind,
        customer_id=customer_id,
        outcome=outcome,
        reason="test",
        detail="test",
        decided_at=at,
        due_at=at,
        expires_at=at + days(3),
        timezone="UTC",
        priority=50,
        policy_version="test",
    )


def _buy(customer_id: str, at: datetime, revenue: float = 100.0) -> Purchase:
    return Purchase(customer_id, f"o-{customer_id}-{at.isoformat()}", at, revenue)


WEEK = {"welcome": 7.0}


def test_orders_count_after_a_decision_within_the_window_and_once() -> None:
    """c1 sent: an order at the decision itself (not counted), after a day (counted), after 8 days (not).
    c2 sent twice, windows overlapping: one order in both, counted once. c3 held out: an order on the window's
    last instant. c4 held out, nothing. Deferred records and other types are not groups."""
    decisions = [
        _decision("c1", "deferred", T0 - days(1)),
        _decision("c1", "sent", T0),
        _decision("c2", "sent", T0),
        _decision("c2", "sent", T0 + days(2)),
        _decision("c3", "held_out", T0),
        _decision("c4", "held_out", T0),
        _decision("c5", "deferred", T0),
        _decision("c6", "sent", T0, "browse_followup"),
    ]
    orders = [
        _buy("c1", T0),
        _buy("c1", T0 + days(1), 80),
        _buy("c1", T0 + days(8)),
        _buy("c2", T0 + days(3), 40),
        _buy("c3", T0 + days(7), 60),
        _buy("c5", T0 + days(1)),
    ]
    (welcome,) = uplift_by_type(decisions, orders, WEEK, min_customers=2)
    treated, control = welcome.treated, welcome.control
    assert (treated.customers, treated.converted, treated.orders, treated.revenue) == (2, 2, 2, 120.0)
    assert (control.customers, control.converted, control.orders, control.revenue) == (2, 1, 1, 60.0)
    assert (treated.conversion_rate, control.conversion_rate) == (1.0, 0.5)
    assert (treated.orders_per_customer, treated.revenue_per_customer, control.revenue_per_customer) == (1, 60, 30)
    assert welcome.conversion_uplift == newcombe_difference(2, 2, 1, 2)
    assert welcome.orders_uplift == mean_difference([1.0, 1.0], [1.0, 0.0])
    assert welcome.revenue_uplift == mean_difference([80.0, 40.0], [60.0, 0.0])
    assert welcome.customers_needed == customers_needed(1.0, 0.5)


def test_a_customer_ever_sent_one_is_treated_and_windows_still_open_are_left_out() -> None:
    decisions = [
        _decision("c1", "held_out", T0),
        _decision("c1", "sent", T0 + days(1)),
        _decision("c2", "held_out", T0),
        _decision("c3", "held_out", T0 + days(5)),  # closes at T0 + 12 days
    ]
    (welcome,) = uplift_by_type(decisions, [], WEEK, until=T0 + days(10))
    assert (welcome.treated.customers, welcome.control.customers) == (1, 1)
    assert uplift_by_type(decisions, [], WEEK, until=T0 + days(6)) == ()


def test_an_empty_group_gives_figures_without_intervals() -> None:
    (welcome,) = uplift_by_type([_decision("c1", "sent", T0)], [_buy("c1", T0 + days(1))], WEEK)
    assert welcome.control.customers == 0 and welcome.control.conversion_rate is None
    assert welcome.control.orders_per_customer is None and welcome.control.revenue_per_customer is None
    assert welcome.treated.conversion_rate == 1.0
    assert (welcome.conversion_uplift, welcome.orders_uplift, welcome.revenue_uplift) == (None, None, None)
    assert welcome.customers_needed is None
    assert uplift_by_type([], [], WEEK) == ()


def test_the_wald_intervals_wait_for_enough_customers() -> None:
    decisions = [_decision(f"s{i}", "sent", T0) for i in range(10)] + [
        _decision(f"h{i}", "held_out", T0) for i in range(9)
    ]
    (few,) = uplift_by_type(decisions, [], WEEK)
    assert few.orders_uplift is None and few.conversion_uplift is not None
    (enough,) = uplift_by_type([*decisions, _decision("h9", "held_out", T0)], [], WEEK)
    assert enough.orders_uplift == Interval(estimate=0, low=0, high=0)


def test_orders_of_the_log_net_of_refunds_and_without_the_cancelled() -> None:
    placed = order("c1", order_id="o1", total=100, at=T0)
    log = [
        placed,
        placed.model_copy(update={"event_id": "again"}),
        order("c1", order_id="o2", total=50, at=T0 + days(1)),
        refund("o1", customer_id="c1", amount=30, at=T0 + days(2)),
        order("c2", order_id="o3", total=70, at=T0),
        cancel("o3", customer_id="c2", at=T0 + days(0.1)),
    ]
    assert purchases(log) == [Purchase("c1", "o1", T0, 70.0), Purchase("c1", "o2", T0 + days(1), 50.0)]


# --- the estimator on a simulated shop --------------------------------------------------------------------


def _planted(seed: int, customers: int) -> tuple[Report, ResponseTruth]:
    events, truth = simulate_with_response(seed, customers, 42, START, {"welcome": EFFECT}, HALF_HELD_OUT)
    return compute_report(events, HALF_HELD_OUT), truth


def _by_type(report: Report) -> dict[str, TypeUplift]:
    return {u.type: u for u in report.contact.uplift}


@pytest.fixture(scope="module")
def planted() -> tuple[Report, ResponseTruth]:
    return _planted(seed=1, customers=800)


def test_the_report_recovers_the_planted_welcome_effect(planted: tuple[Report, ResponseTruth]) -> None:
    report, truth = planted
    welcome = _by_type(report)["welcome"]
    assert min(welcome.treated.customers, welcome.control.customers) >= 250
    uplift = welcome.orders_uplift
    assert uplift is not None and EFFECT in uplift and uplift.low > 0
    assert welcome.conversion_uplift is not None and welcome.conversion_uplift.low > 0
    responses = sum(r.type == "welcome" for r in truth.responses)
    assert responses == pytest.approx(EFFECT * truth.sent["welcome"], rel=0.25)


def test_a_type_without_an_effect_shows_none(planted: tuple[Report, ResponseTruth]) -> None:
    report, truth = planted
    browse = _by_type(report)["browse_followup"]
    assert min(browse.treated.customers, browse.control.customers) >= 100
    assert browse.orders_uplift is not None and 0 in browse.orders_uplift
    assert browse.conversion_uplift is not None and 0 in browse.conversion_uplift
    assert all(r.type == "welcome" for r in truth.responses)


SEEDS = int(os.environ.get("COMEBACK_UPLIFT_SEEDS", "0"))
BIG = int(os.environ.get("COMEBACK_UPLIFT_CUSTOMERS", "2000"))


@pytest.mark.skipif(not SEEDS, reason="the bigger version: set COMEBACK_UPLIFT_SEEDS (e.g. 20)")
def test_the_intervals_cover_the_truth_across_shops() -> None:
    """Over many shops a 95% interval misses now and then: here at most a fifth of the time (and the welcome
    uplift is always told apart from 0)."""
    welcome_hits, browse_hits = 0, 0
    for seed in range(100, 100 + SEEDS):
        report, _ = _planted(seed, BIG)
        uplifts = _by_type(report)
        welcome, browse = uplifts["welcome"].orders_uplift, uplifts["browse_followup"].orders_uplift
        assert welcome is not None and browse is not None and welcome.low > 0
        welcome_hits += EFFECT in welcome
        browse_hits += 0 in browse
    assert min(welcome_hits, browse_hits) >= 0.8 * SEEDS


def test_a_window_is_a_span_after_the_decision() -> None:
    """Guards the boundary the docs promise: ``decided_at < order <= decided_at + days``."""
    decisions = [_decision("c1", "sent", T0), _decision("c2", "held_out", T0)]
    edge = [_buy("c1", T0 + timedelta(days=7, microseconds=1)), _buy("c2", T0 + timedelta(microseconds=1))]
    (welcome,) = uplift_by_type(decisions, edge, WEEK)
    assert (welcome.treated.orders, welcome.control.orders) == (0, 1)
