"""browse_followup, through the engine: 2 hours after a view with no purchase of the product or its
category, one same-category offer listing what was viewed (domain: "browse without purchase")."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from factories import T0, days, fold, hours, order, pending, policy, view
from factories import run as run_all

from streams.domain.contact.state import ContactLog
from streams.engine.customer import advance, handle_event
from streams.rules.browse_followup import NAME

DELAY = hours(2)
SECOND = timedelta(seconds=1)


run = partial(run_all, only=NAME)  # this rule's triggers only


def test_the_followup_fires_exactly_two_hours_after_the_view() -> None:
    state, _ = run([view(at=T0)])
    assert advance(state, T0 + DELAY - SECOND, policy()).triggers == ()
    [trigger] = advance(state, T0 + DELAY, policy()).triggers
    assert (trigger.type, trigger.customer_id, trigger.due_at) == (NAME, "c1", T0 + DELAY)


def test_a_late_timer_keeps_its_due_time_and_says_when_it_was_decided() -> None:
    _, [trigger] = run([view(at=T0)], until=T0 + hours(5))
    assert (trigger.due_at, trigger.emitted_at) == (T0 + DELAY, T0 + hours(5))


def test_the_followup_lists_each_viewed_product_once() -> None:
    views = [
        view(product_id="p1", at=T0),
        view(product_id="p2", at=T0 + hours(0.5)),
        view(product_id="p3", category="bags", at=T0 + hours(1)),
        view(product_id="p1", at=T0 + hours(1)),
    ]
    _, [trigger] = run(views, until=T0 + days(1))
    assert sorted((p.product_id, p.category) for p in trigger.products) == [
        ("p1", "shoes"),
        ("p2", "shoes"),
        ("p3", "bags"),
    ]


def test_several_views_collapse_into_one_followup_due_two_hours_after_the_last() -> None:
    state, _ = run([view(at=T0), view(product_id="p2", at=T0 + hours(1))])
    assert [t.due_at for t in pending(state, NAME)] == [T0 + hours(1) + DELAY]
    assert advance(state, T0 + DELAY, policy()).triggers == ()
    [trigger] = advance(state, T0 + hours(1) + DELAY, policy()).triggers
    assert {p.product_id for p in trigger.products} == {"p1", "p2"}


@pytest.mark.parametrize(
    ("product_id", "category"),
    [("p1", "shoes"), ("p2", "shoes")],
    ids=["the viewed product", "another product of the category"],
)
def test_an_order_in_the_viewed_category_before_the_due_time_cancels_the_followup(
    product_id: str,
    category: str,
) -> None:
    bought = order(product_id=product_id, category=category, at=T0 + hours(1))
    state, triggers = run([view(at=T0), bought], until=T0 + days(1))
    assert (triggers, pending(state, NAME)) == ([], [])


def test_an_order_placed_before_the_due_time_cancels_even_if_it_arrives_after() -> None:
    """Purchases are judged by event time: a late record does not cause a wrong offer."""
    state, _ = run([view(at=T0)])
    late = handle_event(state, order(at=T0 + hours(1)), T0 + hours(5), policy())
    assert [t for t in late.triggers if t.type == "browse_followup"] == []
    assert advance(late.state, T0 + days(1), policy()).triggers == ()


def test_an_order_of_an_unrelated_category_does_not_cancel_the_followup() -> None:
    _, [trigger] = run([view(at=T0), order(product_id="b1", category="books", at=T0 + hours(1))], until=T0 + DELAY)
    assert [p.product_id for p in trigger.products] == ["p1"]


def test_an_order_after_the_due_time_does_not_undo_a_fired_followup() -> None:
    state, fired = run([view(at=T0)], until=T0 + DELAY)
    _, more = run([order(at=T0 + hours(3))], until=T0 + days(1), state=state)
    assert (len(fired), more) == (1, [])


def test_an_order_after_the_due_time_still_lets_the_overdue_followup_fire() -> None:
    """View at T, order at T+3h handled in one call with no tick in between: the T+2h offer was due."""
    state, _ = run([view(at=T0)])
    decision = handle_event(state, order(at=T0 + hours(3)), T0 + hours(3), policy())
    [trigger] = [t for t in decision.triggers if t.type == "browse_followup"]
    assert trigger.due_at == T0 + DELAY


def test_replaying_the_same_history_gives_the_same_trigger_id() -> None:
    history = [view(at=T0), view(product_id="p2", at=T0 + hours(1))]
    _, [first] = run(history, until=T0 + days(1))
    _, [again] = run(history, until=T0 + days(2))
    assert again.trigger_id == first.trigger_id


def test_a_different_browsing_window_gets_a_different_trigger_id() -> None:
    _, triggers = run([view(at=T0), view(at=T0 + hours(5))], until=T0 + days(1))
    assert [t.due_at for t in triggers] == [T0 + DELAY, T0 + hours(5) + DELAY]
    assert triggers[0].trigger_id != triggers[1].trigger_id


def test_a_disabled_followup_schedules_nothing() -> None:
    off = policy(browse_followup={"enabled": False})
    state, triggers = run([view(at=T0)], until=T0 + days(1), using=off)
    assert (pending(state, NAME), triggers) == ([], [])


def test_the_delay_comes_from_the_policy() -> None:
    half_hour = policy(browse_followup={"delay_hours": 0.5})
    state, _ = run([view(at=T0)], using=half_hour)
    assert advance(state, T0 + hours(0.5) - SECOND, half_hour).triggers == ()
    [trigger] = advance(state, T0 + hours(0.5), half_hour).triggers
    assert trigger.due_at == T0 + hours(0.5)


def test_the_trigger_names_the_policy_and_describes_the_customer() -> None:
    """A 200-yuan order 10 days ago: active (within 90 days) and VIP (single order of 188 or more)."""
    spring = policy(version="spring")
    earlier = order(product_id="b1", category="books", total=200.0, at=T0 - days(10))
    _, [trigger] = run([earlier, view(at=T0)], until=T0 + DELAY, using=spring)
    assert trigger.policy_version == spring.fingerprint
    assert trigger.policy_version.startswith("spring+")
    customer = trigger.customer
    assert (customer.lifecycle, customer.tier) == ("active", "vip")
    assert (customer.order_count, customer.total_spent) == (1, 200.0)


def test_the_followup_never_fires_twice() -> None:
    seen = view(at=T0)
    state, [_] = run([seen], until=T0 + DELAY)
    assert advance(state, T0 + DELAY, policy()).triggers == ()
    assert run([seen], until=T0 + days(1), state=state)[1] == []


def test_the_state_after_the_engine_matches_the_fold() -> None:
    """The rules add timers, never facts: apart from timers, the revision that counts their firing, the ids
    of the triggers sent and the contact stage's log, the engine's state is the plain fold."""
    events = [view(at=T0), order(product_id="b1", category="books", at=T0 + hours(1))]
    state, _ = run(events, until=T0 + days(1))
    bookkeeping = {"timers": (), "revision": 0, "fired": (), "contact": ContactLog()}
    assert state.model_copy(update=bookkeeping) == fold(*events).model_copy(update=bookkeeping)
