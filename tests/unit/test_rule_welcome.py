"""welcome, through the engine: the customer's first order brings the new-customer pack, once per customer
(domain: "New customer ... a new-customer pack such as 'second item half price', valid 7 days")."""

from __future__ import annotations

from collections.abc import Sequence

from factories import T0, cancel, days, hours, order, policy, run

from schemas.events import Channel
from schemas.triggers import Trigger
from streams.engine.reference import run_reference
from streams.rules.welcome import NAME


def welcomes(triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in triggers if t.type == NAME]


def test_the_first_order_brings_the_new_customer_pack_at_the_order_time() -> None:
    first = order(order_id="w1", total=99.0, at=T0)
    _, triggers = run([first])
    [trigger] = welcomes(triggers)
    assert (trigger.customer_id, trigger.due_at, trigger.emitted_at) == ("c1", T0, T0)
    assert trigger.offer == policy().welcome.offer
    assert (trigger.offer.kind, trigger.offer.valid_days) == ("pack", 7)
    assert (
        trigger.channel == Channel.WECHAT
    )  # the contact stage's first preference (every channel is open in rule tests)
    assert trigger.facts["order_id"] == "w1" and trigger.facts["order_total"] == 99.0
    assert "w1" in trigger.reason and "First order" in trigger.reason
    assert [p.product_id for p in trigger.products] == ["p1"]
    assert (trigger.customer.lifecycle, trigger.customer.order_count) == ("new", 1)


def test_a_second_order_brings_no_welcome() -> None:
    _, triggers = run([order(at=T0), order(at=T0 + days(1))])
    assert len(welcomes(triggers)) == 1


def test_an_order_that_arrives_already_cancelled_brings_no_welcome() -> None:
    """The cancellation came first (another topic): the order never counted."""
    state, triggers = run([cancel("w1", at=T0 + hours(1)), order(order_id="w1", at=T0)])
    assert welcomes(triggers) == []
    assert state.order_count == 0


def test_after_a_cancelled_order_the_first_order_that_counts_is_welcomed() -> None:
    _, triggers = run([cancel("w1", at=T0 + hours(1)), order(order_id="w1", at=T0), order(at=T0 + days(1))])
    [trigger] = welcomes(triggers)
    assert trigger.due_at == T0 + days(1)


def test_a_welcomed_customer_is_not_welcomed_again_after_cancelling_and_reordering() -> None:
    _, triggers = run([order(order_id="w1", at=T0), cancel("w1", at=T0 + hours(1)), order(at=T0 + days(1))])
    assert len(welcomes(triggers)) == 1


def test_a_redelivered_first_order_brings_nothing_more() -> None:
    first = order(order_id="w1", at=T0)
    state, [_] = run([first])
    assert run([first], state=state)[1] == []
    resent = order(order_id="w1", at=T0)  # the platform sent the same order again under a new event id
    assert run([resent], state=state)[1] == []


def test_the_welcome_fires_once_and_with_the_same_id_whatever_order_the_first_two_orders_arrive_in() -> None:
    early, late = order(order_id="a", at=T0), order(order_id="b", at=T0 + days(1))
    _, in_order = run([early, late])
    _, reversed_ = run([late, early])
    assert len(welcomes(in_order)) == len(welcomes(reversed_)) == 1
    assert welcomes(in_order)[0].trigger_id == welcomes(reversed_)[0].trigger_id


def test_replaying_the_same_history_gives_the_same_trigger_id() -> None:
    history = [order(at=T0), order(at=T0 + days(2))]
    _, first = run_reference(history, policy(), T0 + days(3))
    _, again = run_reference(history, policy(), T0 + days(30))
    assert [t.trigger_id for t in welcomes(first)] == [t.trigger_id for t in welcomes(again)]
    assert len(welcomes(first)) == 1


def test_each_customer_gets_their_own_welcome() -> None:
    _, triggers = run_reference([order(customer_id="c1", at=T0), order(customer_id="c2", at=T0)], policy(), T0)
    ids = {t.customer_id: t.trigger_id for t in welcomes(triggers)}
    assert set(ids) == {"c1", "c2"} and ids["c1"] != ids["c2"]


def test_a_disabled_welcome_sends_nothing() -> None:
    _, triggers = run([order(at=T0)], using=policy(welcome={"enabled": False}))
    assert welcomes(triggers) == []


def test_the_pack_comes_from_the_policy() -> None:
    pack = {"kind": "coupon", "level": 2, "value": 15, "valid_days": 3, "description": "15 yuan off"}
    _, triggers = run([order(at=T0)], using=policy(welcome={"offer": pack}))
    [trigger] = welcomes(triggers)
    assert (trigger.offer.kind, trigger.offer.value, trigger.offer.valid_days) == ("coupon", 15, 3)
