"""Event time across the two sides: the customers announce how far they have got, the product side holds
catalog events until every customer partition has passed them, then applies them in event-time order.

Covers CustomerProgress (what a worker announces), CatalogGates (per watchers partition, when a held catalog
event may go), the event clock's frontier after a rebalance, the timer index's earliest entry, and
hold_catalog / release_catalog.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import T0, hours, order, price_changed, product_upserted, stock_changed, view

import streams.runtime.progress
from schemas import events as ev
from schemas.control import CustomersProgress, ProductAlert, ProductTick, WatchChanged
from streams.domain.customer.state import CustomerState, HeldEvent, initial_state
from streams.domain.policy import Policy
from streams.domain.product.holds import hold_catalog, release_catalog
from streams.domain.product.state import ProductState, cycle_before
from streams.domain.product.watchers import Watchers, product_moved, watch
from streams.engine.customer import hold, release
from streams.engine.product import CatalogTime, step_product
from streams.engine.reference import run_reference
from streams.runtime.clock import EventClock
from streams.runtime.progress import REPEAT_SECONDS, TICK, CatalogGates, CustomerProgress
from streams.runtime.timer_index import TimerIndex

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POLICY = Policy()


class _Monotonic:
    """A stand-in for ``time.monotonic`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> _Monotonic:
    fake = _Monotonic()
    monkeypatch.setattr(streams.runtime.progress.time, "monotonic", fake)
    return fake


def _holding(customer_id: str, *times: datetime) -> CustomerState:
    """A customer holding one view per time (oldest first, as the engine keeps them)."""
    held = tuple(
        HeldEvent(at=at, event_id=f"{customer_id}-{i}", payload_json=view(customer_id, at=at).model_dump_json())
        for i, at in enumerate(sorted(times))
    )
    return CustomerState(customer_id=customer_id, held=held)


def _ready(partitions: tuple[int, ...] = (0, 1), *states: CustomerState) -> CustomerProgress:
    progress = CustomerProgress()
    progress.assign(partitions)
    for state in states:
        progress.note(state)
    progress.ready()
    return progress


def _progress(before: datetime, *partitions: int) -> CustomersProgress:
    return CustomersProgress(partitions=partitions, before=before)


# CustomerProgress: what a worker announces for its customer partitions


def test_nothing_is_announced_after_assign_until_the_state_is_rebuilt(monotonic: _Monotonic) -> None:
    progress = CustomerProgress()
    progress.assign([0, 1])
    assert progress.announcement(T0) is None
    progress.ready()
    assert progress.announcement(T0) == _progress(T0, 0, 1)


def test_nothing_is_announced_without_partitions(monotonic: _Monotonic) -> None:
    assert CustomerProgress().announcement(T0) is None
    assert _ready(()).announcement(T0) is None


def test_the_partitions_are_announced_once_each_in_order(monotonic: _Monotonic) -> None:
    announced = _ready((2, 0, 2)).announcement(T0)
    assert announced is not None
    assert announced.partitions == (0, 2)


def test_with_nothing_held_the_announcement_is_the_frontier(monotonic: _Monotonic) -> None:
    announced = _ready((0,), CustomerState(customer_id="c1")).announcement(T0 + hours(3))
    assert announced == _progress(T0 + hours(3), 0)


def test_an_event_held_before_the_frontier_holds_the_announcement_at_its_time(monotonic: _Monotonic) -> None:
    progress = _ready((0,))
    progress.note(_holding("c1", T0 - hours(1), T0 + hours(1)))
    progress.note(_holding("c2", T0 - hours(2)))
    announced = progress.announcement(T0)
    assert announced is not None
    assert announced.before == T0 - hours(2)


def test_rebuild_notes_what_the_recovered_customers_hold(monotonic: _Monotonic) -> None:
    progress = _ready((0,), _holding("c1", T0 - hours(1)), CustomerState(customer_id="c2"))
    announced = progress.announcement(T0)
    assert announced is not None
    assert announced.before == T0 - hours(1)


def test_an_event_held_after_the_frontier_does_not_push_the_announcement_past_it(monotonic: _Monotonic) -> None:
    progress = _ready((0,), _holding("c1", T0 + hours(5)))
    announced = progress.announcement(T0)
    assert announced is not None
    assert announced.before == T0


def test_when_the_held_events_are_applied_the_announcement_moves_forward(monotonic: _Monotonic) -> None:
    holding = _holding("c1", T0 - hours(2))
    progress = _ready((0,), holding, _holding("c2", T0 - hours(1)))
    assert progress.announcement(T0) == _progress(T0 - hours(2), 0)
    progress.note(holding.model_copy(update={"held": ()}))
    assert progress.announcement(T0) == _progress(T0 - hours(1), 0)
    progress.note(CustomerState(customer_id="c2"))
    assert progress.announcement(T0) == _progress(T0, 0)


def test_the_same_announcement_is_repeated_only_after_repeat_seconds(monotonic: _Monotonic) -> None:
    progress = _ready((0, 1))
    first = progress.announcement(T0)
    assert first == _progress(T0, 0, 1)
    assert progress.announcement(T0) is None
    monotonic.now += REPEAT_SECONDS - 0.01
    assert progress.announcement(T0) is None
    monotonic.now += 0.01
    assert progress.announcement(T0) == first
    assert progress.announcement(T0) is None  # the repeat restarts the wait


def test_a_new_before_is_announced_at_once(monotonic: _Monotonic) -> None:
    progress = _ready((0,))
    assert progress.announcement(T0) is not None
    assert progress.announcement(T0 + hours(1)) == _progress(T0 + hours(1), 0)


def test_a_changed_partition_set_is_announced_again_at_once(monotonic: _Monotonic) -> None:
    progress = _ready((0, 1))
    assert progress.announcement(T0) == _progress(T0, 0, 1)
    progress.assign([0])
    progress.ready()
    assert progress.announcement(T0) == _progress(T0, 0)


def test_assign_forgets_what_the_customers_held(monotonic: _Monotonic) -> None:
    progress = _ready((0, 1), _holding("c1", T0 - hours(1)))
    assert progress.announcement(T0) == _progress(T0 - hours(1), 0, 1)
    progress.assign([1])
    progress.ready()
    assert progress.announcement(T0) == _progress(T0, 1)


# CatalogGates: per watchers partition, how far every customer partition has got


def test_a_gate_is_the_slowest_of_all_customer_partitions() -> None:
    gates = CatalogGates(3)
    gates.observe(0, _progress(T0 + hours(2), 0, 1))
    assert gates.before(0) == EPOCH  # customer partition 2 was never heard from
    gates.observe(0, _progress(T0 + hours(1), 2))
    assert gates.before(0) == T0 + hours(1)


def test_progress_on_one_watchers_partition_does_not_move_another() -> None:
    gates = CatalogGates(2)
    gates.observe(0, _progress(T0, 0, 1))
    assert gates.before(0) == T0
    assert gates.before(1) == EPOCH


def test_an_older_announcement_does_not_move_a_gate_back() -> None:
    gates = CatalogGates(1)
    gates.observe(0, _progress(T0 + hours(2), 0))
    gates.observe(0, _progress(T0 + hours(1), 0))
    assert gates.before(0) == T0 + hours(2)


LATER = T0 + hours(10_000)  # a catalog watermark past everything held


def test_a_product_is_due_only_once_the_catalog_watermark_has_passed_its_event_too() -> None:
    """A stray older catalog event of the product may still be on its way from another partition."""
    gates = CatalogGates(1)
    gates.wait(0, "p1", T0 + hours(1))
    gates.observe(0, _progress(T0 + hours(5), 0))
    assert gates.due(T0 + hours(1)) == []
    assert gates.due(T0 + hours(1) + TICK) == ["p1"]


def test_a_late_forwarded_catalog_event_is_applied_before_a_later_one_already_held() -> None:
    """Stock 0, then 50: a back-in-stock alert, as in the reference run, though the 0 arrived second."""
    watchers = _favorited()
    empty, refill = (
        stock_changed("p1", available=0, at=T0 + hours(1)),
        stock_changed("p1", available=50, at=T0 + hours(2)),
    )
    product = ProductState(product_id="p1")
    behind = CatalogTime(catalog=T0, customers=T0 + hours(5))  # the stray's partition is not through yet
    first = step_product(product, watchers, refill, Policy(), behind)
    second = step_product(first.product, first.watchers, empty, Policy(), behind)
    assert first.to_customers == second.to_customers == ()
    passed = CatalogTime(catalog=T0 + hours(5), customers=T0 + hours(5))
    released = step_product(
        second.product, second.watchers, ProductTick(product_id="p1", at=T0 + hours(5)), Policy(), passed
    )
    *_, reference = product_moved(*product_moved(product, watchers, empty, Policy())[:2], refill, Policy())
    assert [a.kind for a in released.to_customers] == [a.kind for a in reference] == ["back_in_stock"]


def test_a_product_is_due_only_once_every_customer_partition_has_passed_its_event() -> None:
    gates = CatalogGates(2)
    gates.wait(0, "p1", T0 + hours(1))
    gates.observe(0, _progress(T0 + hours(1), 0, 1))
    assert gates.due(LATER) == []  # an event exactly at ``before`` may still see customer events at its instant
    gates.observe(0, _progress(T0 + hours(1) + TICK, 0))
    assert gates.due(LATER) == []  # customer partition 1 has not passed it yet
    gates.observe(0, _progress(T0 + hours(1) + TICK, 1))
    assert gates.due(LATER) == ["p1"]


def test_a_due_product_leaves_the_index() -> None:
    gates = CatalogGates(1)
    gates.wait(0, "p1", T0)
    gates.observe(0, _progress(T0 + hours(1), 0))
    assert gates.due(LATER) == ["p1"]
    gates.observe(0, _progress(T0 + hours(2), 0))
    assert gates.due(LATER) == []


def test_progress_on_one_partition_does_not_release_a_product_waiting_on_another() -> None:
    gates = CatalogGates(1)
    gates.wait(0, "p0", T0)
    gates.wait(1, "p1", T0)
    gates.observe(0, _progress(T0 + hours(1), 0))
    assert gates.due(LATER) == ["p0"]
    gates.observe(1, _progress(T0 + hours(1), 0))
    assert gates.due(LATER) == ["p1"]


def test_a_product_with_nothing_held_is_not_waiting() -> None:
    gates = CatalogGates(1)
    gates.wait(0, "p1", T0)
    gates.wait(0, "p1", None)
    gates.observe(0, _progress(T0 + hours(1), 0))
    assert gates.due(LATER) == []


# EventClock: the frontier may go back after a rebalance, now never does


def test_a_lagging_source_pulls_the_frontier_back_but_not_now() -> None:
    clock = EventClock()
    clock.assign(["customers-0"])
    clock.observe(T0 + hours(5), "customers-0")
    assert clock.now() == clock.frontier() == T0 + hours(5)
    clock.assign(["customers-0", "customers-1"])
    clock.observe(T0 + hours(1), "customers-1")
    assert clock.frontier() == T0 + hours(1)
    assert clock.now() == T0 + hours(5)


def test_a_new_source_not_heard_from_holds_the_frontier_at_the_floor() -> None:
    clock = EventClock()
    clock.assign(["customers-0"])
    clock.observe(T0, "customers-0")
    clock.assign(["customers-0", "customers-1"])
    assert clock.frontier() == EPOCH
    assert clock.now() == T0


# TimerIndex.earliest and clear


def test_earliest_skips_a_replaced_later_time() -> None:
    index = TimerIndex()
    index.set("p1", T0 + hours(1))
    index.set("p1", T0 + hours(4))
    assert index.earliest() == T0 + hours(4)


def test_earliest_follows_a_time_moved_earlier() -> None:
    index = TimerIndex()
    index.set("p1", T0 + hours(4))
    index.set("p2", T0 + hours(3))
    index.set("p1", T0 + hours(1))
    assert index.earliest() == T0 + hours(1)


def test_earliest_is_none_once_the_key_is_removed() -> None:
    index = TimerIndex()
    index.set("p1", T0)
    index.set("p1", None)
    assert index.earliest() is None


def test_earliest_does_not_remove_the_entry() -> None:
    index = TimerIndex()
    index.set("p1", T0)
    assert index.earliest() == T0
    assert index.earliest() == T0
    assert index.pop_due(T0) == ["p1"]


def test_clear_empties_the_index() -> None:
    index = TimerIndex()
    index.set("p1", T0)
    index.set("p2", T0 + hours(1))
    index.clear()
    assert len(index) == 0
    assert index.earliest() is None
    assert index.pop_due(T0 + hours(9)) == []
    index.set("p1", T0 + hours(2))
    assert index.earliest() == T0 + hours(2)


# hold_catalog / release_catalog


def _favorited(customer_id: str = "c1", at: datetime = T0 - hours(1)) -> Watchers:
    change = WatchChanged(product_id="p1", customer_id=customer_id, interest="favorite", at=at)
    watchers, missed = watch(Watchers(product_id="p1"), change, POLICY.limits.watchers_per_product)
    assert missed == ()
    return watchers


def _in_time_order(
    events: list[ev.CatalogEvent],
    watchers: Watchers,
) -> tuple[ProductState, Watchers, tuple[ProductAlert, ...]]:
    product, alerts = ProductState(product_id="p1"), ()
    for event in sorted(events, key=lambda e: e.occurred_at):
        product, watchers, more = product_moved(product, watchers, event, POLICY)
        alerts = (*alerts, *more)
    return product, watchers, alerts


def _held(*events: ev.CatalogEvent) -> ProductState:
    product = ProductState(product_id="p1")
    for event in events:
        product = hold_catalog(product, event)
    return product


def test_held_stock_events_arriving_reversed_alert_as_in_time_order() -> None:
    high, low = stock_changed(available=50, at=T0), stock_changed(available=5, at=T0 + hours(1))
    product, watchers, alerts = release_catalog(_held(low, high), _favorited(), T0 + hours(2), POLICY)
    expected = _in_time_order([high, low], _favorited())
    assert (product, watchers, alerts) == expected
    assert [(a.customer_id, a.kind, a.available, a.at) for a in alerts] == [("c1", "low_stock", 5, T0 + hours(1))]
    assert product.held_events == ()


def test_held_events_are_applied_in_time_order_not_arrival_order() -> None:
    """Applied as they arrive, the newest would make the older two stale and only one alert would go out."""
    low, sold_out, back = (
        stock_changed(available=5, at=T0),
        stock_changed(available=0, at=T0 + hours(1)),
        stock_changed(available=8, at=T0 + hours(2)),
    )
    product, _, alerts = release_catalog(_held(back, sold_out, low), _favorited(), T0 + hours(3), POLICY)
    assert [(a.kind, a.at) for a in alerts] == [
        ("low_stock", T0),
        ("low_stock", T0 + hours(2)),
        ("back_in_stock", T0 + hours(2)),
    ]
    assert (product.available, product.restock_cycle) == (8, 1)
    assert alerts == _in_time_order([low, sold_out, back], _favorited())[2]


def test_held_events_are_kept_sorted_by_event_time() -> None:
    events = [price_changed(at=T0 + hours(2)), stock_changed(at=T0), product_upserted(at=T0 + hours(1))]
    assert [h.at for h in _held(*events).held_events] == [T0, T0 + hours(1), T0 + hours(2)]


def test_only_events_strictly_before_customers_before_are_released() -> None:
    first, at_gate, later = (
        stock_changed(available=50, at=T0),
        stock_changed(available=5, at=T0 + hours(1)),
        stock_changed(available=3, at=T0 + hours(2)),
    )
    product, _, alerts = release_catalog(_held(later, first, at_gate), _favorited(), T0 + hours(1), POLICY)
    assert alerts == ()
    assert product.available == 50
    assert [h.event_id for h in product.held_events] == [at_gate.event_id, later.event_id]


def test_releasing_before_anything_is_due_changes_nothing() -> None:
    held, watchers = _held(stock_changed(available=5, at=T0)), _favorited()
    assert release_catalog(held, watchers, T0, POLICY) == (held, watchers, ())


def test_releasing_the_rest_later_continues_in_time_order() -> None:
    first, second = stock_changed(available=50, at=T0), stock_changed(available=5, at=T0 + hours(1))
    product, watchers, early = release_catalog(_held(second, first), _favorited(), T0 + TICK, POLICY)
    product, watchers, late = release_catalog(product, watchers, T0 + hours(1) + TICK, POLICY)
    assert early == ()
    assert [(a.kind, a.available) for a in late] == [("low_stock", 5)]
    assert product.held_events == ()


def test_holding_the_same_event_twice_keeps_it_once() -> None:
    event = stock_changed(available=5, at=T0)
    once = _held(event)
    assert hold_catalog(once, event) == once
    assert len(once.held_events) == 1
    product, _, alerts = release_catalog(hold_catalog(once, event), _favorited(), T0 + hours(1), POLICY)
    assert len(alerts) == 1
    assert product.held_events == ()


def test_a_held_upsert_states_its_cycle_at_once() -> None:
    """Lookups only need the catalog to have passed the purchase, not the customers."""
    held = _held(product_upserted(at=T0, replenishment_days=30))
    assert cycle_before(held, T0 + hours(1)) == 30
    assert cycle_before(held, T0) is None  # strictly before the purchase
    assert held.replenishment_days is None  # the upsert itself is not applied yet
    assert len(held.held_events) == 1


def test_a_released_upsert_keeps_one_cycle_statement() -> None:
    held = _held(product_upserted(at=T0, replenishment_days=30))
    product, _, _ = release_catalog(held, Watchers(product_id="p1"), T0 + hours(1), POLICY)
    assert product.replenishment_days == 30
    assert [(c.at, c.days) for c in product.cycle_changes] == [(T0, 30)]


def test_a_timer_due_exactly_at_the_watermark_waits_for_a_record_of_that_instant() -> None:
    """The watermark is the slowest partition's latest time, so a record at that very time may still come:
    a browse follow-up due at the watermark must not fire before the purchase made at that instant (the
    reference run applies the purchase first, and then the follow-up finds it)."""
    seen, bought = view(customer_id="c1", product_id="p1", at=T0), order("c1", product_id="p1", at=T0 + hours(2))
    viewed = release(hold(initial_state("c1"), seen), T0 + timedelta(microseconds=1), Policy())
    assert [t.due_at for t in viewed.state.timers if t.kind == "browse_followup"] == [T0 + hours(2)]
    at_the_watermark = release(viewed.state, T0 + hours(2), Policy())
    assert at_the_watermark.triggers == ()
    after = release(hold(at_the_watermark.state, bought), T0 + hours(2) + timedelta(microseconds=1), Policy())
    _, expected = run_reference([seen, bought], Policy(), T0 + hours(2) + timedelta(microseconds=1))
    assert {t.trigger_id for t in after.triggers} == {t.trigger_id for t in expected}
    assert "browse_followup" not in {t.type for t in expected}
