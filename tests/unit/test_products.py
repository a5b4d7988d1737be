"""Catalog state per product: stock, price and catalog facts, last writer by event time."""

from __future__ import annotations

import pytest
from factories import T0, days, hours, price_changed, product_upserted, stock_changed

from streams.domain.product.state import REMEMBERED_CYCLE_CHANGES, ProductState, cycle_before, evolve_product


def _fresh() -> ProductState:
    return ProductState(product_id="p1")


def test_a_stock_change_sets_the_units_available() -> None:
    state = evolve_product(_fresh(), stock_changed(available=3, at=T0))
    assert (state.available, state.stock_at) == (3, T0)


def test_a_price_change_sets_the_price() -> None:
    state = evolve_product(_fresh(), price_changed(new_price=79.9, at=T0))
    assert state.price == 79.9


def test_an_upsert_sets_the_catalog_facts_and_keeps_the_stock() -> None:
    stocked = evolve_product(_fresh(), stock_changed(available=7, at=T0))
    upsert = product_upserted(
        category="ink",
        price=45.0,
        at=T0 + hours(1),
        brand="Acme",
        replenishment_days=30,
        related_categories=("printers",),
    )
    state = evolve_product(stocked, upsert)
    assert (state.category, state.brand, state.price) == ("ink", "Acme", 45.0)
    assert (state.replenishment_days, state.related_categories) == (30, ("printers",))
    assert state.available == 7


def test_an_upsert_replaces_facts_it_leaves_out() -> None:
    """An upsert is the whole catalog record: a field it omits is no longer known."""
    first = evolve_product(_fresh(), product_upserted(brand="Acme", replenishment_days=30, at=T0))
    state = evolve_product(first, product_upserted(at=T0 + hours(1)))
    assert (state.brand, state.replenishment_days) == (None, None)


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        (stock_changed(available=1, at=T0 + hours(1)), stock_changed(available=50, at=T0)),
        (price_changed(new_price=60.0, at=T0 + hours(1)), price_changed(new_price=99.0, at=T0)),
        (product_upserted(price=60.0, at=T0 + hours(1)), product_upserted(price=99.0, at=T0)),
    ],
    ids=["stock", "price", "upsert"],
)
def test_an_event_older_than_the_last_applied_one_is_ignored(newer, older) -> None:
    """Except in the cycle's history, which answers lookups as of a purchase."""
    state = evolve_product(_fresh(), newer)
    history = {"cycle_changes": ()}
    assert evolve_product(state, older).model_copy(update=history) == state.model_copy(update=history)


def test_the_cycle_before_a_moment_is_the_last_one_stated_strictly_before_it_even_when_stated_late() -> None:
    state = _fresh()
    for upsert in (
        product_upserted(replenishment_days=60, at=T0 + hours(4)),
        product_upserted(replenishment_days=30, at=T0),
        product_upserted(at=T0 + hours(2)),
    ):
        state = evolve_product(state, upsert)
    assert state.replenishment_days == 60
    assert [cycle_before(state, T0 + hours(h)) for h in (0, 1, 2, 3, 5)] == [None, 30, 30, None, 60]


def test_the_cycle_history_keeps_the_latest_changes_in_time_order_whatever_their_arrival() -> None:
    statements = [(T0 + hours(h), cycle) for h, cycle in enumerate(range(10, 200, 10))]
    in_order, shuffled = _fresh(), _fresh()
    for at, cycle in statements:
        in_order = evolve_product(in_order, product_upserted(replenishment_days=cycle, at=at))
    for at, cycle in [*statements[2::2], *statements[1::2], statements[0]]:
        shuffled = evolve_product(shuffled, product_upserted(replenishment_days=cycle, at=at))
    assert shuffled.cycle_changes == in_order.cycle_changes
    assert len(in_order.cycle_changes) == REMEMBERED_CYCLE_CHANGES
    assert cycle_before(in_order, statements[-1][0]) == statements[-2][1]
    assert cycle_before(in_order, T0 + hours(1)) is None  # older than anything remembered


def test_a_catalog_restating_an_unchanged_cycle_does_not_push_older_changes_out() -> None:
    state = evolve_product(_fresh(), product_upserted(replenishment_days=20, at=T0))
    for day in range(1, 3 * REMEMBERED_CYCLE_CHANGES):
        state = evolve_product(state, product_upserted(replenishment_days=30, at=T0 + days(day)))
    assert [(c.at, c.days) for c in state.cycle_changes] == [(T0, 20), (T0 + days(1), 30)]
    assert cycle_before(state, T0 + hours(1)) == 20
