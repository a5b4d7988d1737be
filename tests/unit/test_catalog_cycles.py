"""Catalog replenishment cycles: on every new order the customer asks each bought product for its catalog
``replenishment_days`` as stated just before the purchase (``ask``), keeps the answers on the order, the
shortest per category (``apply_cycle``), and the replenishment rule plans from them (learned beats catalog
beats policy). The product side answers at once in wall-clock mode, or holds a lookup until the catalog
watermark passes the purchase (``take_lookup`` / ``release_lookups``); in event time the customer applies
nothing newer and fires no timer while answers are awaited (``release``), and the offline reference run
answers lookups directly from the product state as of the purchase."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import T0, days, fold, hours, line, order, policy, product_upserted, run, view

from schemas.control import CycleLookup, ProductCycle
from streams.adapters.table_codec import decode, encode
from streams.domain.customer.state import CustomerState, HeldEvent, StateIndex, Timer, initial_state
from streams.domain.product.cycles import answer, apply_cycle, ask, release_lookups, take_lookup
from streams.domain.product.state import ProductState, evolve_product
from streams.engine.customer import handle_cycle, handle_event, hold, release
from streams.engine.reference import run_reference
from streams.rules.replenishment import NAME

LEAD = timedelta(days=policy().replenishment.lead_days)
HAIRCARE_POLICY_DAYS = policy().replenishment.category_cycles_days["haircare"]


def _lookups(messages) -> list[CycleLookup]:
    return [m for m in messages if isinstance(m, CycleLookup)]


def _reply(lookup: CycleLookup, days_: int | None) -> ProductCycle:
    return ProductCycle(
        customer_id=lookup.customer_id,
        product_id=lookup.product_id,
        order_id=lookup.order_id,
        category=lookup.category,
        at=lookup.at,
        days=days_,
    )


def _product(*changes: tuple[int | None, object]) -> ProductState:
    """A product folded from upserts of (replenishment_days, at)."""
    state = ProductState(product_id="vit")
    for replenishment_days, at in changes:
        state = evolve_product(
            state, product_upserted(product_id="vit", category="vitamins", at=at, replenishment_days=replenishment_days)
        )
    return state


def _lookup(at=T0 + days(1), order_id: str = "o1", customer_id: str = "c1") -> CycleLookup:
    return CycleLookup(product_id="vit", customer_id=customer_id, order_id=order_id, category="vitamins", at=at)


def _awaited(state: CustomerState) -> list[tuple[str, str]]:
    return sorted((a.order_id, a.product_id) for a in state.awaiting)


def _pending(state: CustomerState) -> list[tuple[str, object, object]]:
    return [(t.key, t.since, t.due_at) for t in state.timers if t.kind == NAME]


# 1. ask ------------------------------------------------------------------------------------------------------


def test_ask_sends_one_lookup_per_product_with_its_category_and_the_order_time() -> None:
    placed = order(lines=[line("shampoo", "haircare"), line("vit", "vitamins")], order_id="o1", at=T0 + hours(3))
    state, lookups = ask(fold(placed), placed, policy())
    assert sorted((lk.product_id, lk.category, lk.order_id, lk.customer_id, lk.at) for lk in lookups) == [
        ("shampoo", "haircare", "o1", "c1", placed.occurred_at),
        ("vit", "vitamins", "o1", "c1", placed.occurred_at),
    ]
    assert _awaited(state) == [("o1", "shampoo"), ("o1", "vit")]


def test_ask_sends_one_lookup_for_a_product_on_two_lines() -> None:
    placed = order(lines=[line("vit", "vitamins"), line("vit", "vitamins", quantity=2)], order_id="o1")
    state, lookups = ask(fold(placed), placed, policy())
    assert [lk.product_id for lk in lookups] == ["vit"]
    assert _awaited(state) == [("o1", "vit")]


def test_ask_asks_nothing_when_catalog_cycles_are_off() -> None:
    placed = order(product_id="vit", category="vitamins")
    folded = fold(placed)
    state, lookups = ask(folded, placed, policy(replenishment={"catalog_cycles": False}))
    assert (lookups, state.awaiting) == ((), ())


def test_ask_asks_nothing_when_replenishment_is_disabled() -> None:
    placed = order(product_id="vit", category="vitamins")
    state, lookups = ask(fold(placed), placed, policy(replenishment={"enabled": False}))
    assert (lookups, state.awaiting) == ((), ())


def test_handle_event_sends_the_lookups_of_a_new_order() -> None:
    placed = order(lines=[line("shampoo", "haircare"), line("vit", "vitamins")], order_id="o1")
    decision = handle_event(initial_state("c1"), placed, T0, policy())
    assert sorted(lk.product_id for lk in _lookups(decision.to_products)) == ["shampoo", "vit"]
    assert len(decision.state.awaiting) == 2


def test_a_redelivered_order_event_asks_nothing_the_second_time() -> None:
    placed = order(product_id="vit", category="vitamins", order_id="o1")
    first = handle_event(initial_state("c1"), placed, T0, policy())
    again = handle_event(first.state, placed, T0, policy())
    assert len(_lookups(first.to_products)) == 1
    assert _lookups(again.to_products) == []
    assert again.state.awaiting == first.state.awaiting


def test_an_answered_order_redelivered_with_a_new_event_id_asks_nothing_and_keeps_its_cycle() -> None:
    placed = order(product_id="vit", category="vitamins", order_id="o1")
    first = handle_event(initial_state("c1"), placed, T0, policy())
    [lookup] = _lookups(first.to_products)
    answered = handle_cycle(first.state, _reply(lookup, 12), T0, policy()).state
    redelivered = order(product_id="vit", category="vitamins", order_id="o1")
    assert redelivered.event_id != placed.event_id
    again = handle_event(answered, redelivered, T0 + hours(1), policy())
    assert (_lookups(again.to_products), again.state.awaiting) == ([], ())
    assert again.state.find_order("o1").catalog_cycles == {"vitamins": 12}


# 2. apply_cycle ----------------------------------------------------------------------------------------------


def _answered(products: dict[str, str], days: dict[str, int], *, reverse: bool = False) -> CustomerState:
    """An order of ``products`` (id: category) whose lookups get ``days`` (id: cycle), in order or reversed."""
    placed = order(lines=[line(p, c) for p, c in products.items()], order_id="o1")
    state, lookups = ask(fold(placed), placed, policy())
    for lookup in reversed(lookups) if reverse else lookups:
        state = apply_cycle(state, _reply(lookup, days[lookup.product_id]))
    return state


def test_apply_cycle_keeps_the_cycle_on_the_order_per_category_and_stops_awaiting() -> None:
    state = _answered({"shampoo": "haircare", "vit": "vitamins"}, {"shampoo": 20, "vit": 12})
    assert state.find_order("o1").catalog_cycles == {"haircare": 20, "vitamins": 12}
    assert state.awaiting == ()


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
def test_apply_cycle_keeps_the_shortest_cycle_of_two_products_in_one_category_whichever_comes_first(
    reverse: bool,
) -> None:
    state = _answered(
        {"shampoo": "haircare", "conditioner": "haircare"}, {"shampoo": 40, "conditioner": 25}, reverse=reverse
    )
    assert state.find_order("o1").catalog_cycles == {"haircare": 25}


def test_an_answer_without_days_stores_nothing_but_stops_awaiting() -> None:
    placed = order(product_id="vit", category="vitamins", order_id="o1")
    state, [lookup] = ask(fold(placed), placed, policy())
    state = apply_cycle(state, _reply(lookup, None))
    assert state.find_order("o1").catalog_cycles == {}
    assert state.awaiting == ()


def test_an_answer_for_an_unknown_order_only_stops_awaiting() -> None:
    known = fold(order(product_id="vit", category="vitamins", order_id="o1"))
    waiting = known.model_copy(update={"awaiting": (_lookup(order_id="ghost"),)})
    after = apply_cycle(waiting, _reply(_lookup(order_id="ghost"), 12))
    assert after.awaiting == ()
    assert after.orders == known.orders


def test_an_answer_stops_awaiting_only_its_own_lookup() -> None:
    placed = order(lines=[line("shampoo", "haircare"), line("vit", "vitamins")], order_id="o1")
    state, lookups = ask(fold(placed), placed, policy())
    vit = next(lk for lk in lookups if lk.product_id == "vit")
    state = apply_cycle(state, _reply(vit, 12))
    assert _awaited(state) == [("o1", "shampoo")]


# 3. product side ---------------------------------------------------------------------------------------------


def test_without_a_catalog_watermark_a_lookup_is_answered_at_once() -> None:
    product = _product((12, T0))
    lookup = _lookup(at=T0 + days(1))
    after, replies = take_lookup(product, lookup, None)
    assert [(r.order_id, r.product_id, r.category, r.at, r.days) for r in replies] == [
        ("o1", "vit", "vitamins", lookup.at, 12)
    ]
    assert after.held_lookups == ()


def test_the_answer_is_the_cycle_stated_strictly_before_the_purchase() -> None:
    product = _product((12, T0), (20, T0 + days(2)))
    assert [r.days for r in take_lookup(product, _lookup(at=T0), None)[1]] == [None]
    assert [r.days for r in take_lookup(product, _lookup(at=T0 + days(1)), None)[1]] == [12]
    assert [r.days for r in take_lookup(product, _lookup(at=T0 + days(2)), None)[1]] == [12]
    assert [r.days for r in take_lookup(product, _lookup(at=T0 + days(3)), None)[1]] == [20]


def test_a_catalog_watermark_at_the_purchase_answers_at_once() -> None:
    lookup = _lookup(at=T0 + days(1))
    after, replies = take_lookup(_product((12, T0)), lookup, lookup.at)
    assert [r.days for r in replies] == [12]
    assert after.held_lookups == ()


def test_a_catalog_watermark_before_the_purchase_holds_the_lookup() -> None:
    lookup = _lookup(at=T0 + days(1))
    after, replies = take_lookup(_product((12, T0)), lookup, T0)
    assert replies == ()
    assert after.held_lookups == (lookup,)


def test_holding_the_same_lookup_twice_keeps_one() -> None:
    lookup = _lookup(at=T0 + days(1))
    once, _ = take_lookup(_product((12, T0)), lookup, T0)
    twice, replies = take_lookup(once, lookup, T0)
    assert replies == ()
    assert twice.held_lookups == (lookup,)


def test_release_lookups_answers_only_those_the_watermark_passed() -> None:
    early, late = _lookup(at=T0 + days(1), order_id="o1"), _lookup(at=T0 + days(5), order_id="o2")
    product = _product((12, T0))
    for lookup in (late, early):
        product, _ = take_lookup(product, lookup, T0)
    after, replies = release_lookups(product, T0 + days(2))
    assert [(r.order_id, r.days) for r in replies] == [("o1", 12)]
    assert after.held_lookups == (late,)
    assert release_lookups(after, T0 + days(2)) == (after, ())


def test_a_held_lookup_is_answered_as_of_the_purchase_after_the_catalog_changed() -> None:
    purchase = T0 + days(1)
    product, _ = take_lookup(_product((12, T0)), _lookup(at=purchase), T0)
    product = evolve_product(
        product, product_upserted(product_id="vit", category="vitamins", at=purchase + days(1), replenishment_days=20)
    )
    assert product.replenishment_days == 20  # the catalog now says 20
    after, replies = release_lookups(product, purchase + days(2))
    assert [r.days for r in replies] == [12]
    assert after.held_lookups == ()


def test_a_product_the_catalog_never_described_answers_without_days() -> None:
    assert answer(ProductState(product_id="vit"), _lookup()).days is None


# 4. engine, event time ---------------------------------------------------------------------------------------


def _held_order_then_view() -> tuple[CustomerState, object, object]:
    placed = order(lines=[line("shampoo", "haircare"), line("vit", "vitamins")], order_id="o1", at=T0)
    later = view(product_id="boots", category="shoes", at=T0 + hours(2))
    return hold(hold(initial_state("c1"), placed), later), placed, later


def test_while_answers_are_awaited_a_later_held_event_is_not_applied() -> None:
    held, placed, later = _held_order_then_view()
    decision = release(held, T0 + days(1), policy())
    assert decision.state.find_order(placed.order_id) is not None
    assert _awaited(decision.state) == [("o1", "shampoo"), ("o1", "vit")]
    assert [h.event_id for h in decision.state.held] == [later.event_id]
    assert decision.state.views == ()
    assert len(_lookups(decision.to_products)) == 2


def test_while_answers_are_awaited_no_timer_fires_even_far_later() -> None:
    held, _, _ = _held_order_then_view()
    first = release(held, T0 + hours(1), policy())
    assert _pending(first.state), "the order should have set a replenishment timer"
    far = T0 + days(400)
    assert all(t.due_at < far for t in first.state.timers)
    again = release(first.state, far, policy())
    assert again.triggers == ()
    assert again.state.timers == first.state.timers
    assert again.state.held == first.state.held


def test_once_every_lookup_is_answered_the_release_goes_on() -> None:
    held, _, later = _held_order_then_view()
    first = release(held, T0 + hours(1), policy())
    state = first.state
    for lookup in _lookups(first.to_products):
        state = handle_cycle(state, _reply(lookup, None), lookup.at, policy()).state
    assert state.awaiting == ()
    after = release(state, T0 + hours(3), policy())
    assert after.state.held == ()
    assert [(v.product_id, v.at) for v in after.state.views] == [("boots", later.occurred_at)]


def test_once_answered_timers_fire_on_release_with_the_catalog_cycle() -> None:
    held, placed, _ = _held_order_then_view()
    first = release(held, T0 + hours(1), policy())
    state = first.state
    for lookup in _lookups(first.to_products):
        state = handle_cycle(
            state, _reply(lookup, 12 if lookup.product_id == "vit" else None), lookup.at, policy()
        ).state
    due = placed.occurred_at + days(12) - LEAD
    assert not [t for t in release(state, due, policy()).triggers if t.type == NAME]  # a record at `due` may come
    after = release(state, due + timedelta(microseconds=1), policy())
    fired = [t for t in after.triggers if t.type == NAME]
    assert [(t.facts["category"], t.due_at, t.facts["cycle_source"]) for t in fired] == [("vitamins", due, "catalog")]


def test_in_event_time_a_customer_awaiting_answers_is_not_woken_by_the_ticker() -> None:
    held_at, timer_at = T0 + hours(1), T0 + days(3)
    state = CustomerState(
        customer_id="c1",
        held=(HeldEvent(at=held_at, event_id="e-held", payload_json="{}"),),
        timers=(Timer(kind=NAME, key="haircare", due_at=timer_at, since=T0),),
    )
    assert state.wake_at(event_time=True) == state.wake_at(event_time=False) == state.next_due == held_at
    awaiting = state.model_copy(update={"awaiting": (_lookup(order_id="o1"),)})
    assert awaiting.wake_at(event_time=True) is None
    assert awaiting.wake_at(event_time=False) == held_at
    for stored in (state, awaiting, initial_state("c2")):  # the index a recovered worker reads agrees
        index = decode(StateIndex, encode(stored))
        assert index.customer_id == stored.customer_id and len(index.held) == len(stored.held)
        assert [index.wake_at(e) for e in (True, False)] == [stored.wake_at(e) for e in (True, False)]


# 5. replenishment with a catalog cycle -----------------------------------------------------------------------


def test_a_catalog_cycle_gives_a_reminder_in_a_category_without_a_policy_cycle() -> None:
    assert "vitamins" not in policy().replenishment.category_cycles_days
    placed = order(product_id="vit", category="vitamins", at=T0)
    due = T0 + days(12) - LEAD
    state, early = run([placed], until=due - timedelta(seconds=1), only=NAME, catalog_cycles={"vit": 12})
    assert (early, _pending(state)) == ([], [("vitamins", T0, due)])
    _, [trigger] = run([placed], until=due, only=NAME, catalog_cycles={"vit": 12})
    assert trigger.due_at == due
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("catalog", 12)
    assert "catalog" in trigger.reason


def test_without_a_catalog_cycle_a_category_without_a_policy_cycle_gets_no_reminder() -> None:
    state, triggers = run([order(product_id="vit", category="vitamins", at=T0)], until=T0 + days(400), only=NAME)
    assert (_pending(state), triggers) == ([], [])


def test_the_catalog_cycle_beats_the_policy_cycle() -> None:
    assert HAIRCARE_POLICY_DAYS != 20
    placed = order(product_id="shampoo", category="haircare", at=T0)
    state, [trigger] = run([placed], until=T0 + days(20), only=NAME, catalog_cycles={"shampoo": 20})
    assert trigger.due_at == T0 + days(20) - LEAD
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("catalog", 20)


def test_the_learned_cycle_beats_the_catalog_cycle() -> None:
    second = T0 + days(10)
    history = [
        order(product_id="shampoo", category="haircare", at=T0),
        order(product_id="shampoo", category="haircare", at=second),
    ]
    state, early = run(history, only=NAME, catalog_cycles={"shampoo": 40})
    assert (early, _pending(state)) == ([], [("haircare", second, second + days(10) - LEAD)])
    _, [trigger] = run(history, until=second + days(10) - LEAD, only=NAME, catalog_cycles={"shampoo": 40})
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("learned", 10)


def test_an_order_without_a_catalog_answer_falls_back_to_the_policy() -> None:
    placed = order(product_id="shampoo", category="haircare", at=T0)
    due = T0 + days(HAIRCARE_POLICY_DAYS) - LEAD
    _, [trigger] = run([placed], until=due, only=NAME, catalog_cycles={"other-product": 12})
    assert trigger.due_at == due
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("policy", HAIRCARE_POLICY_DAYS)


def test_a_catalog_cycle_no_longer_than_the_lead_gets_no_reminder() -> None:
    short = int(LEAD / timedelta(days=1))
    state, triggers = run(
        [order(product_id="vit", category="vitamins", at=T0)],
        until=T0 + days(400),
        only=NAME,
        catalog_cycles={"vit": short},
    )
    assert (_pending(state), triggers) == ([], [])


# 6. run_reference ----------------------------------------------------------------------------------------------


def test_run_offline_answers_the_lookup_from_the_catalog_before_the_purchase() -> None:
    bought = T0 + days(1)
    events = [
        product_upserted(product_id="vit", category="vitamins", replenishment_days=12, at=T0),
        order(product_id="vit", category="vitamins", at=bought),
    ]
    customers, triggers = run_reference(events, policy(), until=bought + days(30))
    [trigger] = [t for t in triggers if t.type == NAME]
    assert trigger.due_at == bought + days(12) - LEAD
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("catalog", 12)
    assert customers["c1"].awaiting == ()


def test_run_offline_ignores_a_catalog_cycle_stated_after_the_purchase() -> None:
    bought = T0 + days(1)
    events = [
        order(product_id="vit", category="vitamins", at=bought),
        product_upserted(product_id="vit", category="vitamins", replenishment_days=12, at=bought + days(1)),
    ]
    customers, triggers = run_reference(events, policy(), until=bought + days(60))
    assert [t for t in triggers if t.type == NAME] == []
    assert _pending(customers["c1"]) == []


def test_run_offline_falls_back_to_the_policy_when_the_catalog_cycle_comes_after_the_purchase() -> None:
    bought = T0 + days(1)
    events = [
        order(product_id="shampoo", category="haircare", at=bought),
        product_upserted(product_id="shampoo", category="haircare", replenishment_days=12, at=bought + days(1)),
    ]
    _, triggers = run_reference(events, policy(), until=bought + days(60))
    [trigger] = [t for t in triggers if t.type == NAME]
    assert trigger.due_at == bought + days(HAIRCARE_POLICY_DAYS) - LEAD
    assert (trigger.facts["cycle_source"], trigger.facts["cycle_days"]) == ("policy", HAIRCARE_POLICY_DAYS)


def test_an_answer_that_comes_again_changes_nothing() -> None:
    """A lookup asked again (its answer was slow) can be answered twice: the second answer is not awaited."""
    held, _, _ = _held_order_then_view()
    first = release(held, T0 + hours(1), policy())
    state = first.state
    for lookup in _lookups(first.to_products):
        state = handle_cycle(state, _reply(lookup, 12), lookup.at, policy()).state
    assert state.awaiting == ()
    again = [
        handle_cycle(state, _reply(lookup, 12), lookup.at + hours(5), policy())
        for lookup in _lookups(first.to_products)
    ]
    assert [(d.state, d.triggers, d.to_products) for d in again] == [(state, (), ())] * len(again)


def test_an_order_of_many_lines_asks_for_a_bounded_number_of_cycles_every_category_first() -> None:
    """500 lines must not send 500 lookups: at most ``limits.cycle_lookups_per_order``, one per category first."""
    lines = [line(f"p{n:03}", "tea" if n < 490 else f"cat{n}", unit_price=1.0) for n in range(500)]
    _, lookups = ask(initial_state("c1"), order("c1", lines=lines), policy(limits={"cycle_lookups_per_order": 12}))
    assert len(lookups) == 12
    assert {lookup.category for lookup in lookups} == {"tea", *(f"cat{n}" for n in range(490, 500))}
