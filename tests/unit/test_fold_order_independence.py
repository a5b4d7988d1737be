"""Within the bounds, a customer's state is a function of the set of events, not of their arrival order.

Histories mix every customer event but erasure, with distinct event ids and distinct event times (equal
times are ties the fold may break by arrival). Only ``seen_event_ids`` keeps the arrival order, so it
is compared as a set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from factories import (
    T0,
    cancel,
    days,
    favorite,
    fold,
    follow,
    line,
    order,
    profile_changed,
    refund,
    unfavorite,
    unfollow,
    view,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import events as ev
from schemas.events import Channel
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import CustomerState, read_as_of
from streams.domain.policy import Policy

Maker = Callable[[datetime, str], ev.CustomerEvent]
PRODUCTS = {"p1": "shoes", "p2": "socks", "p3": "hats"}  # one category per product, as in a catalog
_products = st.sampled_from(sorted(PRODUCTS))
_refund_cents = st.integers(min_value=1, max_value=5_000)  # 0.01 .. 50 yuan: several refunds before the cap
_minutes = st.integers(min_value=0, max_value=60 * 24 * 400)
_AS_OF = T0 + days(401)


@st.composite
def _order_lines(draw: st.DrawFn) -> ev.OrderLine:
    product = draw(_products)
    unit = draw(st.integers(min_value=1_000, max_value=50_000)) / 100
    listed = draw(st.sampled_from([None, unit, round(unit * 1.25, 2)]))
    brand = draw(st.sampled_from([None, "Acme", "Bolt"]))
    return line(
        product, PRODUCTS[product], unit_price=unit, list_price=listed, brand=brand, quantity=draw(st.integers(1, 3))
    )


@st.composite
def _order(draw: st.DrawFn, order_id: str) -> Maker:
    lines = draw(st.lists(_order_lines(), min_size=1, max_size=2))
    coupon = draw(st.sampled_from([None, "SAVE10"]))
    discount = draw(st.sampled_from([0.0, 5.0]))
    return lambda at, eid: order(
        lines=lines, order_id=order_id, at=at, event_id=eid, coupon_code=coupon, discount=discount
    )


@st.composite
def _other(draw: st.DrawFn, order_ids: list[str]) -> Maker:
    kinds = ["view", "favorite", "unfavorite", "follow", "unfollow", "profile"]
    kinds += ["refund", "cancel"] if order_ids else []
    kind = draw(st.sampled_from(kinds))
    product = draw(_products)
    if kind == "refund":
        oid, amount = draw(st.sampled_from(order_ids)), draw(_refund_cents) / 100
        return lambda at, eid: refund(oid, amount, at=at, event_id=eid)
    if kind == "cancel":
        oid = draw(st.sampled_from(order_ids))
        return lambda at, eid: cancel(oid, at=at, event_id=eid)
    if kind == "view":
        session = draw(st.sampled_from([None, "s1", "s2"]))
        return lambda at, eid: view(
            product_id=product, category=PRODUCTS[product], at=at, event_id=eid, session_id=session
        )
    if kind == "favorite":
        category = draw(st.sampled_from([PRODUCTS[product], None]))
        return lambda at, eid: favorite(product, category, at=at, event_id=eid)
    if kind == "unfavorite":
        return lambda at, eid: unfavorite(product, at=at, event_id=eid)
    if kind in ("follow", "unfollow"):
        build = follow if kind == "follow" else unfollow
        return lambda at, eid: build(at=at, event_id=eid)
    fields = {
        "timezone": draw(st.sampled_from([None, "Asia/Shanghai", "Europe/Paris"])),
        "birthday": draw(st.sampled_from([None, date(1990, 5, 17), date(2001, 12, 3)])),
        "consents": draw(st.dictionaries(st.sampled_from(list(Channel)), st.booleans(), max_size=3)),
    }
    return lambda at, eid: profile_changed(at=at, event_id=eid, **fields)


@st.composite
def histories(draw: st.DrawFn) -> list[ev.CustomerEvent]:
    """Up to 5 orders and 20 other events (well within the default limits), at distinct minutes."""
    order_ids = [f"o{n}" for n in range(draw(st.integers(0, 5)))]
    makers = [draw(_order(oid)) for oid in order_ids]
    makers += draw(st.lists(_other(order_ids), max_size=20))
    times = draw(st.lists(_minutes, min_size=len(makers), max_size=len(makers), unique=True))
    return [make(T0 + timedelta(minutes=m), f"e{n}") for n, (make, m) in enumerate(zip(makers, times, strict=True))]


def _canonical(state: CustomerState) -> CustomerState:
    return state.model_copy(update={"seen_event_ids": tuple(sorted(state.seen_event_ids))})


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_arrival_order_gives_the_same_state(data: st.DataObject) -> None:
    events = data.draw(histories())
    shuffled = data.draw(st.permutations(events))
    assert _canonical(fold(*shuffled)) == _canonical(fold(*events))


@settings(max_examples=200, deadline=None)
@given(histories())
def test_refunds_and_cancellations_arriving_before_their_orders_give_the_same_state(
    events: list[ev.CustomerEvent],
) -> None:
    adjustments = [e for e in events if isinstance(e, ev.OrderRefunded | ev.OrderCancelled)]
    early = [*adjustments, *(e for e in events if e not in adjustments)]
    late = [*(e for e in events if e not in adjustments), *adjustments]
    assert _canonical(fold(*early)) == _canonical(fold(*late))


def test_a_refund_and_a_cancellation_before_their_orders_are_applied_when_the_orders_arrive() -> None:
    """150 refunded of 200, and a cancelled 80: one order counts, 50 yuan net; nothing stays pending."""
    kept, dropped = order(total=200.0, at=T0), order(total=80.0, at=T0 + days(1))
    adjustments = [refund(kept.order_id, 150.0, at=T0 + days(2)), cancel(dropped.order_id, at=T0 + days(3))]
    early, late = fold(*adjustments, kept, dropped), fold(kept, dropped, *adjustments)
    assert (early.order_count, early.total_spent, early.pending_adjustments) == (1, 50.0, ())
    assert _canonical(early) == _canonical(late)


def test_refunds_add_up_to_the_same_cents_in_any_order() -> None:
    """0.1 + 0.2 + 0.3 yuan refunded is 0.6 yuan whichever refund arrives first (and before the order)."""
    placed = order(total=100.0)
    refunds = [refund(placed.order_id, amount, at=T0 + days(n + 1)) for n, amount in enumerate((0.1, 0.2, 0.3))]
    folds = [fold(placed, *refunds), fold(placed, *reversed(refunds)), fold(*refunds, placed)]
    assert {state.orders[0].refunded for state in folds} == {0.6}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_many_refunds_of_one_order_give_the_same_state_in_any_order(data: st.DataObject) -> None:
    """Up to eight refunds of 0.01-50 yuan on a 1000-yuan order: the refunded sum is exact to the fen."""
    placed = order(total=1000.0, order_id="o1", event_id="e0")
    amounts = data.draw(st.lists(_refund_cents, min_size=2, max_size=8))
    refunds = [
        refund("o1", cents / 100, at=T0 + timedelta(minutes=n + 1), event_id=f"e{n + 1}")
        for n, cents in enumerate(amounts)
    ]
    shuffled = data.draw(st.permutations([placed, *refunds]))
    assert _canonical(fold(*shuffled)) == _canonical(fold(placed, *refunds))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_redelivering_every_event_in_any_order_changes_nothing(data: st.DataObject) -> None:
    """At-least-once delivery: each event a second time, anywhere in the stream, is a no-op."""
    events = data.draw(histories())
    with_duplicates = data.draw(st.permutations(events + events))
    assert _canonical(fold(*with_duplicates)) == _canonical(fold(*events))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_derived_profile_does_not_depend_on_the_arrival_order(data: st.DataObject) -> None:
    events = data.draw(histories())
    shuffled = data.draw(st.permutations(events))
    now = _AS_OF - timedelta(minutes=data.draw(_minutes))
    assert derive_profile(fold(*shuffled), now, Policy()) == derive_profile(fold(*events), now, Policy())


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_facts_as_of_a_moment_are_those_of_the_events_up_to_it_in_any_arrival_order(data: st.DataObject) -> None:
    """What the contact stage reads at a late stimulus's moment: the consents and time zone the customer had then,
    although later profile events were folded first."""
    events = data.draw(histories())
    kept = len(events) + 1  # every earlier value kept
    roomy = Policy(limits={"remembered_fact_changes": kept})
    state = fold(*data.draw(st.permutations(events)), using=roomy)
    moment = T0 + timedelta(minutes=data.draw(_minutes))
    then = fold(*(e for e in events if e.occurred_at <= moment), using=roomy)
    names = [name for name in state.facts if read_as_of(name)]
    assert {name: state.fact_at(name, moment, kept) for name in names} == {name: then.fact(name) for name in names}
