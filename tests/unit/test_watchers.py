"""The product side of the product alerts, as pure functions: ``watch`` keeps each customer's interest
changes in event-time order and hands back the recent alerts a late change should have had; ``product_moved``
applies a catalog event, folds each customer's history to the change in force then, and fans the alerts out to
whoever watched at the event's time (low stock: favoriters only; a view lapses after ``until``). And the
customer side's ``watch_changes``: each change stamped at the causing event's time."""

from __future__ import annotations

from datetime import datetime

from factories import T0, days, favorite, fold, hours, order, policy, price_changed, stock_changed, unfavorite, view

from schemas.control import ProductAlert, WatchChanged
from streams.domain.customer.interest import interests, watch_changes
from streams.domain.customer.state import initial_state
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watch, Watchers, alert_kinds, fan_out, product_moved, watch
from streams.engine.customer import handle_event
from streams.tools.simulator import simulate_shop

LIMIT = 100
P = policy()
STOCKED = ProductState(product_id="p1", category="shoes", price=100.0, available=50)


def change(
    customer_id: str, interest: str, at: datetime, until: datetime | None = None, since: datetime | None = None
) -> WatchChanged:
    return WatchChanged(product_id="p1", customer_id=customer_id, interest=interest, until=until, at=at, since=since)


def watched(*changes: WatchChanged, limit: int = LIMIT) -> Watchers:
    """The watchers of p1 after ``changes`` arrive in the given order."""
    watchers = Watchers(product_id="p1")
    for item in changes:
        watchers, _ = watch(watchers, item, limit)
    return watchers


def addressed(alerts: tuple[ProductAlert, ...]) -> list[tuple[str, str, str | None, datetime | None, datetime]]:
    return [(a.kind, a.customer_id, a.interest, a.watched_since, a.at) for a in alerts]


def moved(watchers: Watchers, event, product: ProductState = STOCKED):
    return product_moved(product, watchers, event, P)


# fan-out by the watch in force at the catalog event's time


def test_an_alert_goes_to_whoever_watched_at_the_events_time_even_if_a_later_stop_is_already_in() -> None:
    watchers = watched(change("c1", "none", T0 + days(2)), change("c1", "favorite", T0))  # the stop arrived first
    assert watchers.by_customer["c1"] == (Watch(interest="favorite", at=T0), Watch(interest="none", at=T0 + days(2)))
    _, _, alerts = moved(watchers, stock_changed(available=5, at=T0 + days(1)))
    assert addressed(alerts) == [("low_stock", "c1", "favorite", T0, T0 + days(1))]
    assert (alerts[0].product_id, alerts[0].category, alerts[0].available, alerts[0].cycle) == ("p1", "shoes", 5, 0)


def test_a_watch_that_begins_after_the_event_gets_nothing_from_it() -> None:
    watchers = watched(change("c1", "favorite", T0 + days(2)))
    assert moved(watchers, stock_changed(available=5, at=T0 + days(1)))[2] == ()


def test_low_stock_goes_only_to_favoriters() -> None:
    watchers = watched(change("c1", "favorite", T0), change("c2", "viewed", T0, until=T0 + days(30)))
    _, _, alerts = moved(watchers, stock_changed(available=5, at=T0 + days(1)))
    assert addressed(alerts) == [("low_stock", "c1", "favorite", T0, T0 + days(1))]


def test_back_in_stock_and_price_drop_go_to_favoriters_and_viewers() -> None:
    watchers = watched(change("c1", "favorite", T0), change("c2", "viewed", T0, until=T0 + days(30)))
    sold_out = STOCKED.model_copy(update={"available": 0})
    _, _, back = moved(watchers, stock_changed(available=40, at=T0 + days(1)), sold_out)
    assert addressed(back) == [
        ("back_in_stock", "c1", "favorite", T0, T0 + days(1)),
        ("back_in_stock", "c2", "viewed", T0, T0 + days(1)),
    ]
    _, _, cheaper = moved(watchers, price_changed(new_price=90.0, at=T0 + days(1)))
    assert addressed(cheaper) == [
        ("price_drop", "c1", "favorite", T0, T0 + days(1)),
        ("price_drop", "c2", "viewed", T0, T0 + days(1)),
    ]
    assert {(a.old_price, a.new_price) for a in cheaper} == {(100.0, 90.0)}


def test_a_viewed_watch_lapses_after_its_until() -> None:
    watchers = watched(change("c2", "viewed", T0, until=T0 + days(30)))
    assert addressed(moved(watchers, price_changed(new_price=90.0, at=T0 + days(30)))[2]) == [
        ("price_drop", "c2", "viewed", T0, T0 + days(30))
    ]
    assert moved(watchers, price_changed(new_price=90.0, at=T0 + days(30) + hours(1)))[2] == ()


def test_a_stopped_watch_gets_nothing() -> None:
    watchers = watched(change("c1", "favorite", T0), change("c1", "none", T0 + hours(1)))
    assert moved(watchers, price_changed(new_price=50.0, at=T0 + days(1)))[2] == ()


def test_no_alerts_while_product_alerts_are_off() -> None:
    watchers = watched(change("c1", "favorite", T0))
    product, _, alerts = product_moved(
        STOCKED, watchers, stock_changed(available=5, at=T0 + days(1)), policy(product_alerts={"enabled": False})
    )
    assert (product.available, alerts) == (5, ())


def test_the_alert_kinds_follow_the_threshold_and_the_drop_percent() -> None:
    settings = P.product_alerts
    low, empty = STOCKED.model_copy(update={"available": 10}), STOCKED.model_copy(update={"available": 0})
    assert alert_kinds(STOCKED, low, stock_changed(available=10), settings) == ("low_stock",)
    assert (
        alert_kinds(STOCKED, STOCKED.model_copy(update={"available": 11}), stock_changed(available=11), settings) == ()
    )
    assert alert_kinds(low, STOCKED.model_copy(update={"available": 4}), stock_changed(available=4), settings) == ()
    assert alert_kinds(empty, low, stock_changed(available=10), settings) == ("low_stock", "back_in_stock")
    assert alert_kinds(
        STOCKED, STOCKED.model_copy(update={"price": 90.0}), price_changed(new_price=90.0), settings
    ) == ("price_drop",)
    assert (
        alert_kinds(STOCKED, STOCKED.model_copy(update={"price": 95.0}), price_changed(new_price=95.0), settings) == ()
    )


def test_fan_out_remembers_only_the_last_few_alerts() -> None:
    watchers = Watchers(product_id="p1")
    for day in range(1, 4):
        watchers, _ = fan_out(watchers, STOCKED, ("price_drop",), T0 + days(day), 100.0, remembered=2)
    assert [(a.at, a.customer_id) for a in watchers.recent_alerts] == [(T0 + days(2), "p1"), (T0 + days(3), "p1")]


# watch(): changes in time order, missed alerts, duplicates, the limit


def test_a_watch_change_arriving_after_an_alert_it_should_have_had_returns_that_alert() -> None:
    _, watchers, sent = moved(Watchers(product_id="p1"), stock_changed(available=5, at=T0 + days(1)))
    assert sent == () and len(watchers.recent_alerts) == 1
    watchers, missed = watch(watchers, change("c1", "favorite", T0), LIMIT)
    assert addressed(missed) == [("low_stock", "c1", "favorite", T0, T0 + days(1))]
    assert watchers.by_customer["c1"] == (Watch(interest="favorite", at=T0),)


def test_a_late_change_gets_only_the_alerts_of_its_own_time_span() -> None:
    """Alerts on days 1 and 3; c1 stopped on day 2 (already in), then its day-0 favorite arrives: only day 1."""
    watchers = watched(change("c1", "none", T0 + days(2)))
    product, watchers, _ = moved(watchers, price_changed(new_price=90.0, at=T0 + days(1)))
    _, watchers, _ = moved(watchers, price_changed(new_price=80.0, at=T0 + days(3)), product)
    assert [a.at for a in watchers.recent_alerts] == [T0 + days(1), T0 + days(3)]
    _, missed = watch(watchers, change("c1", "favorite", T0), LIMIT)
    assert addressed(missed) == [("price_drop", "c1", "favorite", T0, T0 + days(1))]


def test_a_change_after_an_alert_does_not_get_it() -> None:
    _, watchers, _ = moved(Watchers(product_id="p1"), price_changed(new_price=90.0, at=T0 + days(1)))
    watchers, missed = watch(watchers, change("c1", "favorite", T0 + days(2)), LIMIT)
    assert missed == ()
    assert watchers.by_customer["c1"] == (Watch(interest="favorite", at=T0 + days(2)),)


def test_a_late_viewed_change_gets_no_low_stock_and_nothing_past_its_until() -> None:
    product, watchers, _ = moved(Watchers(product_id="p1"), stock_changed(available=5, at=T0 + days(1)))
    product, watchers, _ = moved(watchers, price_changed(new_price=90.0, at=T0 + days(10)), product)
    _, watchers, _ = moved(watchers, price_changed(new_price=80.0, at=T0 + days(40)), product)
    assert [a.kind for a in watchers.recent_alerts] == ["low_stock", "price_drop", "price_drop"]
    _, missed = watch(watchers, change("c2", "viewed", T0, until=T0 + days(30)), LIMIT)
    assert addressed(missed) == [("price_drop", "c2", "viewed", T0, T0 + days(10))]


def test_a_duplicate_change_is_ignored() -> None:
    _, watchers, _ = moved(Watchers(product_id="p1"), price_changed(new_price=90.0, at=T0 + days(1)))
    watchers, first = watch(watchers, change("c1", "favorite", T0), LIMIT)
    again, missed = watch(watchers, change("c1", "favorite", T0), LIMIT)
    assert len(first) == 1
    assert (again, missed) == (watchers, ())


def test_a_new_change_at_the_same_instant_replaces_the_old_one() -> None:
    watchers = watched(change("c1", "favorite", T0), change("c1", "none", T0))
    assert watchers.by_customer["c1"] == (Watch(interest="none", at=T0),)


def test_the_watcher_limit_refuses_a_new_watcher_but_not_a_change_of_an_existing_one() -> None:
    watchers = watched(change("c1", "favorite", T0), limit=1)
    full, _ = watch(watchers, change("c2", "favorite", T0 + hours(1)), 1)
    assert full == watchers and "c2" not in full.by_customer
    changed, _ = watch(watchers, change("c1", "viewed", T0 + hours(2), until=T0 + days(30)), 1)
    assert changed.by_customer["c1"][-1] == Watch(interest="viewed", until=T0 + days(30), at=T0 + hours(2))
    stopped, _ = watch(changed, change("c1", "none", T0 + hours(3)), 1)
    assert stopped.watching() == 0
    taken, _ = watch(stopped, change("c2", "favorite", T0 + hours(4)), 1)
    assert taken.by_customer["c2"] == (Watch(interest="favorite", at=T0 + hours(4)),)


# product_moved folds what can no longer matter


def test_product_moved_keeps_only_the_change_in_force_at_the_event_and_later_ones() -> None:
    watchers = watched(
        change("c1", "viewed", T0, until=T0 + days(30)),
        change("c1", "favorite", T0 + days(1)),
        change("c1", "none", T0 + days(3)),
        change("c2", "favorite", T0 + days(4)),
        change("c3", "favorite", T0),
        change("c3", "none", T0 + days(1)),
    )
    _, folded, alerts = moved(watchers, price_changed(new_price=120.0, at=T0 + days(2)))  # a rise: no alert
    assert alerts == ()
    assert folded.by_customer == {
        "c1": (Watch(interest="favorite", at=T0 + days(1)), Watch(interest="none", at=T0 + days(3))),
        "c2": (Watch(interest="favorite", at=T0 + days(4)),),
        "c3": (Watch(interest="none", at=T0 + days(1)),),
    }


def test_a_change_at_the_events_own_time_is_the_one_in_force() -> None:
    watchers = watched(change("c1", "viewed", T0, until=T0 + days(30)), change("c1", "favorite", T0 + days(1)))
    _, folded, alerts = moved(watchers, stock_changed(available=5, at=T0 + days(1)))
    assert folded.by_customer["c1"] == (Watch(interest="favorite", at=T0 + days(1)),)
    assert addressed(alerts) == [("low_stock", "c1", "favorite", T0 + days(1), T0 + days(1))]


# watch_changes: the customer side's messages


def test_an_unfavorite_that_leaves_an_earlier_view_is_a_viewed_change_at_the_unfavorites_time() -> None:
    before = fold(view(at=T0), favorite(at=T0 + hours(1)))
    after = fold(view(at=T0), favorite(at=T0 + hours(1)), unfavorite(at=T0 + hours(2)))
    assert watch_changes(before, after, P.product_alerts, T0 + hours(2)) == (
        WatchChanged(
            product_id="p1", customer_id="c1", interest="viewed", until=T0 + days(30), at=T0 + hours(2), since=T0
        ),
    )


def test_a_purchase_is_a_none_change_at_the_purchase_time() -> None:
    before = fold(favorite(at=T0))
    after = fold(favorite(at=T0), order(product_id="p1", at=T0 + days(1)))
    assert watch_changes(before, after, P.product_alerts, T0 + days(1)) == (change("c1", "none", T0 + days(1)),)


def test_the_engine_sends_the_watch_changes_stamped_at_the_events_time() -> None:
    state = fold(view(at=T0))
    decision = handle_event(state, favorite(at=T0 + hours(1)), T0 + days(3), P)  # handled days later
    assert decision.to_products == (change("c1", "favorite", T0 + hours(1), since=T0 + hours(1)),)
    bought = handle_event(decision.state, order(product_id="p1", at=T0 + hours(2)), T0 + days(3), P)
    assert [m for m in bought.to_products if isinstance(m, WatchChanged)] == [change("c1", "none", T0 + hours(2))]


def test_events_that_do_not_change_what_is_watched_send_no_change() -> None:
    state = fold(favorite(at=T0))
    assert watch_changes(state, fold(favorite(at=T0), view(at=T0 + hours(1))), P.product_alerts, T0 + hours(1)) == ()
    assert watch_changes(state, state, P.product_alerts, T0 + hours(1)) == ()


def test_watch_changes_over_a_simulated_history_are_exactly_the_differences_of_all_interests() -> None:
    """Looking only at the products an event touched misses nothing (bounded records dropping old views
    included), and finds nothing that did not change."""
    using = policy(limits={"remembered_views": 8, "remembered_favorites": 4})
    settings = using.product_alerts
    shop = [e for e in simulate_shop(seed=7, customers=8, days=120, start=T0) if hasattr(e, "customer_id")]
    compared = 0
    for customer_id in sorted({e.customer_id for e in shop}):  # type: ignore[attr-defined]
        state = initial_state(customer_id)
        for event in (e for e in shop if e.customer_id == customer_id):  # type: ignore[attr-defined]
            after = handle_event(state, event, event.occurred_at, using).state
            old, new = interests(state, settings), interests(after, settings)
            expected = {p: new.get(p) for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
            changes = watch_changes(state, after, settings, event.occurred_at)
            assert {c.product_id: c.interest for c in changes} == {
                p: (i.kind if i else "none") for p, i in expected.items()
            }
            compared, state = compared + len(changes), after
    assert compared > 50
