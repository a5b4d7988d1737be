"""An order is void from the first moment (event time) it was cancelled or refunded in full, however late
the records arrive; rules that look back at a due time judge by that moment."""

from __future__ import annotations

from factories import T0, cancel, days, fold, hours, line, order, policy, refund

from streams.domain.customer.state import initial_state
from streams.engine.customer import advance, handle_event


def test_an_order_is_void_from_its_cancellation_time() -> None:
    placed = order(order_id="o1", at=T0)
    state = fold(placed, cancel("o1", at=T0 + days(5)))
    record = state.find_order("o1")
    assert record is not None and record.voided_at == T0 + days(5)
    assert not record.voided_by(T0 + days(4)) and record.voided_by(T0 + days(5))


def test_refunds_void_an_order_when_they_reach_its_total_whatever_their_arrival_order() -> None:
    placed = order(order_id="o1", total=100.0, at=T0)
    first, second = refund("o1", 40.0, at=T0 + days(1)), refund("o1", 60.0, at=T0 + days(2))
    in_order = fold(placed, first, second).find_order("o1")
    reversed_ = fold(second, first, placed).find_order("o1")
    assert in_order == reversed_ and in_order is not None and in_order.voided_at == T0 + days(2)


def test_a_cancellation_after_the_guide_was_due_does_not_stop_it_even_if_it_arrives_first() -> None:
    """usage_guide is due 3 days after the purchase; a cancellation on day 5 comes too late to stop it."""
    placed = order(order_id="o1", lines=[line("kettle", "appliances", 199.0)], at=T0)
    rules = policy()
    state = handle_event(initial_state("c1"), placed, T0, rules).state
    state = handle_event(state, cancel("o1", at=T0 + days(5)), T0 + hours(1), rules).state
    fired = advance(state, T0 + days(6), rules).triggers
    assert [t.type for t in fired if t.type == "usage_guide"] == ["usage_guide"]
