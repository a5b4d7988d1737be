"""Properties of the fold that must hold for any history, checked with generated histories."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, cancel, fold, order, refund, view
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import events as ev

_minutes = st.integers(min_value=0, max_value=60 * 24 * 400)
_cents = st.integers(min_value=1, max_value=1_000_000)  # money in fen: 0.01 .. 10,000.00 yuan


@st.composite
def placed_orders(draw: st.DrawFn, max_size: int = 12) -> list[ev.OrderPlaced]:
    """Orders with distinct event and order ids, at any times (ties included), for amounts in cents."""
    times = draw(st.lists(_minutes, min_size=1, max_size=max_size))
    return [
        order(total=draw(_cents) / 100, order_id=f"o{n}", event_id=f"e{n}", at=T0 + timedelta(minutes=m))
        for n, m in enumerate(times)
    ]


@st.composite
def histories(draw: st.DrawFn) -> list[ev.CustomerEvent]:
    """Orders with refunds, cancellations (some repeated, some of unknown orders) and views, mixed."""
    orders = draw(placed_orders(max_size=6))
    order_ids = st.sampled_from([o.order_id for o in orders] + ["unknown"])
    others = draw(
        st.lists(
            st.one_of(
                st.builds(lambda oid, c: refund(oid, c / 100), order_ids, _cents),
                st.builds(cancel, order_ids),
                st.builds(lambda m: view(product_id="p1", at=T0 + timedelta(minutes=m)), _minutes),
            ),
            max_size=12,
        )
    )
    return draw(st.permutations(orders + others))


def _figures(events: list[ev.CustomerEvent]) -> tuple:
    state = fold(*events)
    return state.order_count, state.total_spent, state.max_order_value, state.first_order_at, state.last_order_at


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_arrival_order_of_placed_orders_does_not_change_the_customer_figures(data: st.DataObject) -> None:
    """Count, net spend, largest order and first/last order times are facts about the set of orders."""
    orders = data.draw(placed_orders())
    shuffled = data.draw(st.permutations(orders))
    assert _figures(shuffled) == _figures(orders)


@settings(max_examples=200, deadline=None)
@given(placed_orders())
def test_the_figures_are_what_the_orders_say(orders: list[ev.OrderPlaced]) -> None:
    count, spent, largest, first, last = _figures(orders)
    assert count == len(orders)
    assert spent == round(sum(round(o.total * 100) for o in orders) / 100, 2)
    assert largest == max(o.total for o in orders)
    assert (first, last) == (min(o.occurred_at for o in orders), max(o.occurred_at for o in orders))


@settings(max_examples=200, deadline=None)
@given(histories())
def test_delivering_a_whole_history_twice_gives_the_state_of_delivering_it_once(events: list[ev.CustomerEvent]) -> None:
    """At-least-once delivery: a redelivered batch (same event ids) is a no-op."""
    assert fold(*events, *events) == fold(*events)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_delivering_every_event_twice_in_a_row_gives_the_state_of_delivering_it_once(
    events: list[ev.CustomerEvent],
) -> None:
    assert fold(*(e for event in events for e in (event, event))) == fold(*events)
