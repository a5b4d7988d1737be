"""cross_sell, through the engine: 24 hours after a purchase in a category with related categories (yoga ->
sportswear, printers -> ink and paper), an offer for the related categories not bought in between (domain:
"related purchase")."""

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
from streams.rules.cross_sell import NAME

DELAY = hours(24)
SECOND = timedelta(seconds=1)


run = partial(run_all, only=NAME)  # this rule's triggers only


def offers(triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in triggers if t.type == NAME]


def yoga_mat(order_id: str = "o-mat", at: datetime = T0, **kwargs) -> ev.OrderPlaced:
    return order(order_id=order_id, product_id="mat", category="yoga", at=at, **kwargs)


def sportswear(at: datetime, order_id: str | None = None) -> ev.OrderPlaced:
    return order(order_id=order_id, product_id="leggings", category="sportswear", at=at)


def test_the_offer_comes_exactly_24_hours_after_the_purchase() -> None:
    state, _ = run([yoga_mat(at=T0)])
    assert offers(advance(state, T0 + DELAY - SECOND, policy()).triggers) == []
    [trigger] = offers(advance(state, T0 + DELAY, policy()).triggers)
    assert (trigger.customer_id, trigger.due_at) == ("c1", T0 + DELAY)


def test_the_offer_names_the_related_categories_and_explains_itself() -> None:
    _, [trigger] = run([yoga_mat(at=T0)], until=T0 + DELAY)
    assert trigger.offer == policy().cross_sell.offer
    assert trigger.channel == "wechat"  # the contact stage's first preference (every channel is open in rule tests)
    assert (trigger.facts["bought_categories"], trigger.facts["offer_categories"]) == ("yoga", "sportswear")
    assert trigger.facts["order_id"] == "o-mat"
    assert "yoga" in trigger.reason and "sportswear" in trigger.reason and "24 h" in trigger.reason


def test_a_purchase_in_a_category_without_related_categories_schedules_nothing() -> None:
    state, triggers = run([order(category="shoes", at=T0)], until=T0 + days(3))
    assert (pending(state, NAME), triggers) == ([], [])


def test_buying_the_related_category_in_time_cancels_the_offer() -> None:
    state, triggers = run([yoga_mat(at=T0), sportswear(T0 + hours(5))], until=T0 + days(3))
    assert (pending(state, NAME), triggers) == ([], [])


def test_buying_the_related_category_exactly_at_the_due_time_still_counts() -> None:
    _, triggers = run([yoga_mat(at=T0), sportswear(T0 + DELAY)], until=T0 + days(3))
    assert triggers == []


def test_a_related_purchase_made_in_time_cancels_even_if_it_arrives_after() -> None:
    """Purchases are judged by event time: a late record does not cause a wrong offer."""
    state, _ = run([yoga_mat(at=T0)])
    late = handle_event(state, sportswear(T0 + hours(5)), T0 + days(2), policy())
    assert offers(late.triggers) == []
    assert offers(advance(late.state, T0 + days(3), policy()).triggers) == []


def test_a_related_purchase_after_the_due_time_still_lets_the_overdue_offer_fire() -> None:
    state, _ = run([yoga_mat(at=T0)])
    [trigger] = offers(handle_event(state, sportswear(T0 + days(2)), T0 + days(2), policy()).triggers)
    assert trigger.due_at == T0 + DELAY


def test_a_related_purchase_before_the_order_does_not_count() -> None:
    """Only purchases between the order and the due time close the offer."""
    _, [trigger] = run([sportswear(T0 - days(1)), yoga_mat(at=T0)], until=T0 + DELAY)
    assert trigger.facts["offer_categories"] == "sportswear"


def test_the_offer_lists_only_the_related_categories_not_bought() -> None:
    printer = order(order_id="o-pr", product_id="printer", category="printers", at=T0)
    ink = order(product_id="cartridge", category="ink", at=T0 + hours(2))
    _, [trigger] = run([printer, ink], until=T0 + days(3))
    assert trigger.facts["offer_categories"] == "paper"


def test_an_order_that_already_holds_every_related_category_gets_no_offer() -> None:
    kit = order(lines=[line("printer", "printers"), line("cartridge", "ink"), line("a4", "paper")], at=T0)
    state, triggers = run([kit], until=T0 + days(3))
    assert (pending(state, NAME), triggers) == ([], [])


def test_a_cancelled_related_purchase_does_not_count_as_bought() -> None:
    events = [yoga_mat(at=T0), sportswear(T0 + hours(2), order_id="o-sw"), cancel("o-sw", at=T0 + hours(3))]
    _, [trigger] = run(events, until=T0 + days(3))
    assert trigger.facts["offer_categories"] == "sportswear"


def test_a_cancelled_order_gets_no_offer() -> None:
    state, triggers = run([yoga_mat("o1", at=T0), cancel("o1", at=T0 + hours(1))], until=T0 + days(3))
    assert (pending(state, NAME), triggers) == ([], [])


def test_a_fully_refunded_order_gets_no_offer() -> None:
    state, triggers = run(
        [yoga_mat("o1", at=T0, total=120.0), refund("o1", 120.0, at=T0 + hours(1))], until=T0 + days(3)
    )
    assert (pending(state, NAME), triggers) == ([], [])


def test_the_order_is_checked_again_when_the_offer_is_due() -> None:
    state, _ = run([yoga_mat("o1", at=T0)])
    late = handle_event(state, cancel("o1", at=T0 + hours(20)), T0 + days(2), policy())
    assert offers(late.triggers) == []


def test_each_order_gets_its_own_offer() -> None:
    _, triggers = run([yoga_mat("o1", at=T0), yoga_mat("o2", at=T0 + days(5))], until=T0 + days(10))
    assert [t.facts["order_id"] for t in triggers] == ["o1", "o2"]
    assert triggers[0].trigger_id != triggers[1].trigger_id


def test_the_delay_and_the_relations_come_from_the_policy() -> None:
    custom = policy(cross_sell={"delay_hours": 2, "related": {"shoes": ["socks", "insoles"]}})
    state, _ = run([order(category="shoes", at=T0)], using=custom)
    assert offers(advance(state, T0 + hours(2) - SECOND, custom).triggers) == []
    [trigger] = offers(advance(state, T0 + hours(2), custom).triggers)
    assert trigger.facts["offer_categories"] == "socks, insoles"


def test_no_delay_sends_the_offer_with_the_order() -> None:
    now = policy(cross_sell={"delay_hours": 0})
    [trigger] = offers(handle_event(initial_state("c1"), yoga_mat(at=T0), T0, now).triggers)
    assert trigger.due_at == T0


def test_replaying_the_same_history_gives_the_same_trigger_id() -> None:
    history = [yoga_mat("o1", at=T0)]
    _, [first] = run(history, until=T0 + days(3))
    _, [again] = run(history, until=T0 + days(9))
    assert again.trigger_id == first.trigger_id


def test_the_offer_is_never_sent_twice() -> None:
    placed = yoga_mat("o1", at=T0)
    state, [_] = run([placed], until=T0 + DELAY)
    assert offers(advance(state, T0 + days(9), policy()).triggers) == []
    assert run([placed], until=T0 + days(9), state=state)[1] == []
    assert run([yoga_mat("o1", at=T0)], until=T0 + days(9), state=state)[1] == []  # redelivered, new event id


def test_a_disabled_offer_schedules_nothing() -> None:
    off = policy(cross_sell={"enabled": False})
    state, triggers = run([yoga_mat(at=T0)], until=T0 + days(3), using=off)
    assert (pending(state, NAME), triggers) == ([], [])


def test_the_offline_run_offers_each_customer_what_they_did_not_buy() -> None:
    events = [
        yoga_mat("o1", at=T0),
        order("c2", order_id="o2", category="yoga", at=T0),
        order("c2", category="sportswear", at=T0 + hours(3)),
    ]
    _, triggers = run_reference(events, policy(), until=T0 + days(3))
    assert [(t.customer_id, t.facts["offer_categories"]) for t in triggers if t.type == NAME] == [("c1", "sportswear")]


def test_the_state_after_the_engine_matches_the_fold() -> None:
    events = [yoga_mat("o1", at=T0), sportswear(T0 + hours(1))]
    state, _ = run(events, until=T0 + days(3))
    bookkeeping = {"timers": (), "revision": 0, "fired": (), "contact": ContactLog()}
    assert state.model_copy(update=bookkeeping) == fold(*events).model_copy(update=bookkeeping)
