"""The fold: how orders, refunds, cancellations, views and erasure change a customer's state."""

from __future__ import annotations

from datetime import date

from factories import T0, cancel, days, erasure, fold, hours, order, policy, profile_changed, refund, view

from schemas.events import Channel
from streams.domain.customer.fold import evolve
from streams.domain.customer.state import initial_state
from streams.domain.policy import LimitsPolicy


def test_each_order_adds_one_to_the_count_and_its_total_to_the_spend() -> None:
    state = fold(order(total=120.5), order(total=79.5, at=T0 + days(1)))
    assert state.order_count == 2
    assert state.total_spent == 120.5 + 79.5
    assert state.max_order_value == 120.5


def test_a_partial_refund_reduces_the_net_spend_but_not_the_order_count() -> None:
    placed = order(total=200.0)
    state = fold(placed, refund(placed.order_id, 50.0))
    assert state.order_count == 1
    assert state.total_spent == 200.0 - 50.0


def test_refunds_add_up_and_are_capped_at_the_order_total() -> None:
    """Refunding more than was paid (in one go or in several) can never make the spend negative."""
    kept, refunded = order(total=30.0), order(total=100.0)
    state = fold(kept, refunded, refund(refunded.order_id, 60.0), refund(refunded.order_id, 60.0))
    assert state.total_spent == 30.0
    [record] = [o for o in state.orders if o.order_id == refunded.order_id]
    assert record.refunded == 100.0


def test_a_refund_of_an_unknown_order_is_ignored() -> None:
    before = fold(order(total=80.0))
    after = evolve(before, refund("never-placed", 80.0), LimitsPolicy())
    assert after.total_spent == before.total_spent
    assert after.orders == before.orders


def test_a_cancelled_order_no_longer_counts_at_all() -> None:
    kept, cancelled = order(total=40.0), order(total=300.0)
    state = fold(kept, cancelled, cancel(cancelled.order_id))
    assert state.order_count == 1
    assert state.total_spent == 40.0


def test_cancelling_a_refunded_order_removes_only_what_was_left_of_it() -> None:
    placed = order(total=100.0)
    state = fold(placed, refund(placed.order_id, 30.0), cancel(placed.order_id))
    assert (state.order_count, state.total_spent) == (0, 0.0)


def test_cancelling_an_order_twice_changes_nothing_the_second_time() -> None:
    kept, cancelled = order(total=40.0), order(total=300.0)
    once = fold(kept, cancelled, cancel(cancelled.order_id))
    twice = evolve(once, cancel(cancelled.order_id), LimitsPolicy())
    assert (twice.order_count, twice.total_spent, twice.orders) == (once.order_count, once.total_spent, once.orders)


def test_an_event_id_seen_before_changes_nothing() -> None:
    """Producers reuse the event id when they retry: the retry must not count the order again."""
    placed = order(total=99.0)
    once = fold(placed)
    assert evolve(once, placed, LimitsPolicy()) == once
    assert evolve(once, order(total=5.0, event_id=placed.event_id), LimitsPolicy()) == once


def test_a_second_event_for_an_order_id_already_counted_is_ignored() -> None:
    first = order(total=99.0, order_id="o-42")
    state = fold(first, order(total=99.0, order_id="o-42", at=T0 + hours(1)))
    assert state.order_count == 1
    assert state.total_spent == 99.0


def test_first_and_last_order_times_do_not_depend_on_arrival_order() -> None:
    early, middle, late = (order(at=T0 + days(n)) for n in (0, 5, 10))
    state = fold(middle, late, early)
    assert (state.first_order_at, state.last_order_at) == (T0, T0 + days(10))
    assert [o.at for o in state.orders] == sorted(o.at for o in state.orders)


def test_views_are_bounded_keeping_the_latest() -> None:
    limited = policy(limits={"remembered_views": 3})
    views = [view(product_id=f"p{n}", at=T0 + hours(n)) for n in range(5)]
    state = fold(*reversed(views), using=limited)
    assert [v.product_id for v in state.views] == ["p2", "p3", "p4"]


def test_orders_are_bounded_but_the_all_time_figures_are_not() -> None:
    limited = policy(limits={"remembered_orders": 2})
    orders = [order(total=10.0 * (n + 1), at=T0 + days(n)) for n in range(4)]
    state = fold(*orders, using=limited)
    assert [o.order_id for o in state.orders] == [o.order_id for o in orders[-2:]]
    assert state.order_count == len(orders)
    assert state.total_spent == sum(o.total for o in orders)


def test_remembered_event_ids_are_bounded_keeping_the_latest() -> None:
    limit = 16
    limited = policy(limits={"remembered_event_ids": limit})
    views = [view(at=T0 + hours(n)) for n in range(limit + 4)]
    state = fold(*views, using=limited)
    assert state.seen_event_ids == tuple(v.event_id for v in views[-limit:])


def test_erasure_forgets_everything_about_the_customer() -> None:
    """No order, view, fact or timer survives; only event ids stay, so a redelivered old event cannot
    bring the data back."""
    placed = order(total=500.0)
    before = fold(view(), placed, refund(placed.order_id, 10.0))
    request = erasure(at=T0 + days(1))
    after = evolve(before, request, LimitsPolicy())
    assert after.seen_event_ids == (*before.seen_event_ids, request.event_id)
    assert evolve(after, placed, LimitsPolicy()) == after
    assert after.erased_at == request.occurred_at
    forgotten = after.model_copy(update={"seen_event_ids": (), "last_event_at": None, "revision": 0, "erased_at": None})
    assert forgotten == initial_state("c1")


def test_a_returning_customer_is_no_longer_marked_erased() -> None:
    after = fold(order(total=50.0), erasure(at=T0 + days(1)), view(at=T0 + days(2)))
    assert after.erased_at is None and after.order_count == 0 and len(after.views) == 1


def test_the_last_event_time_is_the_latest_seen_not_the_last_arrived() -> None:
    state = fold(view(at=T0 + hours(3)), view(at=T0))
    assert state.last_event_at == T0 + hours(3)


def test_a_consent_keeps_its_latest_value_and_a_bounded_number_of_earlier_ones_whatever_the_arrival_order() -> None:
    changes = [
        profile_changed(at=T0 + days(n), consents={Channel.SMS: n % 2 == 0}, birthday=date(1990, 1, 1 + n))
        for n in range(6)
    ]
    bounded = policy(limits={"remembered_fact_changes": 3})
    for arrival in (changes, changes[::-1], changes[3:] + changes[:3]):
        state = fold(*arrival, using=bounded)
        assert state.fact("consent.sms") is False  # day 5
        assert [(e.value, e.at) for e in state.earlier_facts["consent.sms"]] == [
            (n % 2 == 0, T0 + days(n)) for n in (2, 3, 4)
        ]
        then = [state.fact_at("consent.sms", T0 + days(n) + hours(1), kept=3) for n in range(6)]
        assert then == [False, False, True, False, True, False]  # days 0 and 1 were cut: the latest stands in
        assert "birthday" not in state.earlier_facts  # only the facts the contact stage reads as of a moment


def test_a_consent_set_after_the_moment_only_was_not_given_then() -> None:
    state = fold(profile_changed(at=T0 + days(1), consents={Channel.SMS: True}))
    assert (state.fact_at("consent.sms", T0, kept=8), state.fact_at("consent.sms", T0 + days(1), kept=8)) == (
        None,
        True,
    )
