"""usage_guide, through the engine: 3 days after a purchase in a category with a guide (appliances, makeup), the
guide, unless the order was cancelled or refunded in full (domain: "post-purchase care")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from factories import T0, cancel, days, fold, hours, line, order, pending, policy, refund
from factories import run as run_all

from schemas import events as ev
from schemas.triggers import Trigger
from streams.domain.contact.state import ContactLog
from streams.domain.customer.state import initial_state
from streams.engine.customer import advance, handle_event
from streams.engine.reference import run_reference
from streams.rules.usage_guide import NAME

DELAY = days(3)
SECOND = timedelta(seconds=1)


run = partial(run_all, only=NAME)  # this rule's triggers only


def guides(decision_triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in decision_triggers if t.type == NAME]


def appliance(order_id: str = "o-app", at: datetime = T0, **kwargs) -> ev.OrderPlaced:
    return order(order_id=order_id, product_id="kettle", category="appliances", at=at, **kwargs)


def test_the_guide_is_sent_exactly_three_days_after_the_purchase() -> None:
    state, _ = run([appliance(at=T0)])
    assert guides(advance(state, T0 + DELAY - SECOND, policy()).triggers) == []
    [trigger] = guides(advance(state, T0 + DELAY, policy()).triggers)
    assert (trigger.customer_id, trigger.due_at, trigger.emitted_at) == ("c1", T0 + DELAY, T0 + DELAY)


def test_the_guide_is_content_named_by_the_policy_and_explains_itself() -> None:
    _, [trigger] = run([appliance(at=T0)], until=T0 + DELAY)
    assert (trigger.offer.kind, trigger.offer.description) == ("content", "energy-saving tips")
    assert trigger.channel == "wechat"
    assert [(p.product_id, p.category) for p in trigger.products] == [("kettle", "appliances")]
    assert trigger.facts["order_id"] == "o-app" and trigger.facts["category"] == "appliances"
    assert "appliances" in trigger.reason and "o-app" in trigger.reason and "energy-saving tips" in trigger.reason


def test_a_purchase_in_a_category_without_a_guide_schedules_nothing() -> None:
    state, triggers = run([order(category="shoes", at=T0)], until=T0 + days(30))
    assert (pending(state, NAME), triggers) == ([], [])


def test_each_order_gets_its_own_guide() -> None:
    _, triggers = run([appliance("o1", at=T0), appliance("o2", at=T0 + days(1))], until=T0 + days(10))
    assert [(t.facts["order_id"], t.due_at) for t in triggers] == [("o1", T0 + DELAY), ("o2", T0 + days(1) + DELAY)]
    assert triggers[0].trigger_id != triggers[1].trigger_id


def test_an_order_with_two_guided_categories_gets_both_guides_at_once() -> None:
    both = order(order_id="o-mix", lines=[line("kettle", "appliances"), line("lipstick", "makeup")], at=T0)
    _, triggers = run([both], until=T0 + days(10))
    assert sorted(t.offer.description for t in triggers) == ["energy-saving tips", "make-up tutorial"]
    assert len({t.trigger_id for t in triggers}) == 2
    assert all(t.products == () for t in triggers)  # which line is which category is not kept


def test_a_cancelled_order_gets_no_guide() -> None:
    state, triggers = run([appliance("o1", at=T0), cancel("o1", at=T0 + days(1))], until=T0 + days(10))
    assert (pending(state, NAME), triggers) == ([], [])


def test_a_cancellation_that_arrives_before_its_order_still_stops_the_guide() -> None:
    state, triggers = run([cancel("o1", at=T0 + days(1)), appliance("o1", at=T0)], until=T0 + days(10))
    assert (pending(state, NAME), triggers) == ([], [])


def test_a_fully_refunded_order_gets_no_guide() -> None:
    state, triggers = run(
        [appliance("o1", at=T0, total=300.0), refund("o1", 300.0, at=T0 + days(2))], until=T0 + days(10)
    )
    assert (pending(state, NAME), triggers) == ([], [])


def test_a_partly_refunded_order_still_gets_its_guide() -> None:
    _, [trigger] = run([appliance("o1", at=T0, total=300.0), refund("o1", 100.0, at=T0 + days(1))], until=T0 + days(10))
    assert trigger.facts["order_id"] == "o1"


def test_the_order_is_checked_again_when_the_guide_is_due() -> None:
    """A cancellation handled in the same call as the overdue timer: the fold applies it first, then the check."""
    state, _ = run([appliance("o1", at=T0)])
    late = handle_event(state, cancel("o1", at=T0 + days(2)), T0 + days(4), policy())
    assert guides(late.triggers) == []


def test_an_order_that_arrives_after_the_delay_gets_its_guide_at_once_with_its_due_time() -> None:
    decision = handle_event(initial_state("c1"), appliance(at=T0), T0 + days(5), policy())
    [trigger] = guides(decision.triggers)
    assert (trigger.due_at, trigger.emitted_at) == (T0 + DELAY, T0 + days(5))


def test_replaying_the_same_history_gives_the_same_trigger_id() -> None:
    history = [appliance("o1", at=T0)]
    _, [first] = run(history, until=T0 + days(10))
    _, [again] = run(history, until=T0 + days(20))
    assert again.trigger_id == first.trigger_id


def test_the_guide_is_never_sent_twice() -> None:
    placed = appliance("o1", at=T0)
    state, [_] = run([placed], until=T0 + DELAY)
    assert guides(advance(state, T0 + days(10), policy()).triggers) == []
    assert run([placed], until=T0 + days(10), state=state)[1] == []
    redelivered = appliance("o1", at=T0)  # same order, a new event id: the fold keeps one order
    assert run([redelivered], until=T0 + days(10), state=state)[1] == []


def test_the_delay_and_the_guides_come_from_the_policy() -> None:
    custom = policy(usage_guide={"delay_days": 1, "categories": {"shoes": "how to break in leather shoes"}})
    state, _ = run([order(category="shoes", at=T0)], using=custom)
    assert guides(advance(state, T0 + days(1) - SECOND, custom).triggers) == []
    [trigger] = guides(advance(state, T0 + days(1), custom).triggers)
    assert trigger.offer.description == "how to break in leather shoes"


def test_a_disabled_guide_schedules_nothing() -> None:
    off = policy(usage_guide={"enabled": False})
    state, triggers = run([appliance(at=T0)], until=T0 + days(10), using=off)
    assert (pending(state, NAME), triggers) == ([], [])


def test_the_offline_run_sends_each_customer_their_guide() -> None:
    events = [
        appliance("o1", at=T0),
        order("c2", order_id="o2", category="makeup", at=T0 + hours(1)),
        order("c3", order_id="o3", category="books", at=T0),
    ]
    _, triggers = run_reference(events, policy(), until=T0 + days(10))
    assert sorted((t.customer_id, t.offer.description) for t in triggers if t.type == NAME) == [
        ("c1", "energy-saving tips"),
        ("c2", "make-up tutorial"),
    ]


def test_the_state_after_the_engine_matches_the_fold() -> None:
    events = [appliance("o1", at=T0), cancel("o1", at=T0 + hours(1))]
    state, _ = run(events, until=T0 + days(10))
    bookkeeping = {"timers": (), "revision": 0, "fired": (), "contact": ContactLog()}
    assert state.model_copy(update=bookkeeping) == fold(*events).model_copy(update=bookkeeping)
