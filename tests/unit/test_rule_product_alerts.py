"""product_alerts, through the engine: a favorited, unbought product falling to the low-stock threshold (10) or
below gives favorite_low_stock once per restock cycle; a favorited or recently viewed (30 days) product coming
back from 0 gives back_in_stock; a price drop of at least 10% gives price_drop to its favoriters and viewers.
The product side fans the alert out to whoever watched at the catalog event's time, and the customer side
judges it again as of that time (``alerted_interest``), trusting the alert's own interest only where the
customer's records no longer show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from factories import (
    T0,
    days,
    favorite,
    fold,
    hours,
    order,
    policy,
    price_changed,
    product_upserted,
    stock_changed,
    unfavorite,
    view,
)

from schemas.base import Envelope
from schemas.control import ProductAlert, WatchChanged
from schemas.triggers import Trigger
from streams.domain.customer.state import initial_state
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers, fan_out, watch
from streams.engine.customer import handle_alert
from streams.engine.reference import run_reference

ALERT_TYPES = ("favorite_low_stock", "back_in_stock", "price_drop")

# Distinct offers per kind, so a test can tell which one a trigger carries.
OFFERS = policy(
    product_alerts={
        "low_stock_offer": {
            "kind": "coupon",
            "level": 1,
            "value": 5,
            "valid_days": 3,
            "description": "only a few left",
        },
        "back_in_stock_offer": {
            "kind": "points",
            "level": 2,
            "value": 2,
            "valid_days": 3,
            "description": "back in stock",
        },
        "price_drop_offer": {
            "kind": "percent_off",
            "level": 3,
            "value": 10,
            "valid_days": 3,
            "description": "cheaper now",
        },
    }
)


def _shelf(available: int = 50, price: float = 100.0) -> list[Envelope]:
    """p1 (shoes, 100.0) in the catalog two days before T0, with ``available`` units."""
    return [product_upserted(price=price, at=T0 - days(2)), stock_changed(available=available, at=T0 - days(2))]


def alerts(events: Sequence[Envelope], using: Policy = OFFERS, until: datetime = T0 + days(60)) -> list[Trigger]:
    """The product-alert triggers of the offline run, in emission order."""
    _, triggers = run_reference(events, using, until)
    return [t for t in triggers if t.type in ALERT_TYPES]


def summary(triggers: Sequence[Trigger]) -> list[tuple[str, str, str, datetime]]:
    return [(t.type, t.customer_id, str(t.facts["interest"]), t.due_at) for t in triggers]


def low_stock_alert(
    at: datetime,
    *,
    cycle: int = 0,
    available: int = 5,
    interest: str | None = "favorite",
    watched_since: datetime | None = T0,
    customer_id: str = "c1",
) -> ProductAlert:
    """A low-stock alert as the product side addresses it to ``customer_id``."""
    return ProductAlert(
        customer_id=customer_id,
        product_id="p1",
        category="shoes",
        kind="low_stock",
        at=at,
        available=available,
        old_price=100.0,
        new_price=100.0,
        cycle=cycle,
        interest=interest,
        watched_since=watched_since,
    )


# favorite_low_stock


def test_a_favorited_unbought_product_falling_to_the_threshold_sends_a_low_stock_alert() -> None:
    [trigger] = alerts([*_shelf(), favorite(at=T0), stock_changed(available=10, at=T0 + days(1))])
    assert (trigger.type, trigger.customer_id, trigger.due_at) == ("favorite_low_stock", "c1", T0 + days(1))
    assert [(p.product_id, p.category) for p in trigger.products] == [("p1", "shoes")]
    assert trigger.offer == OFFERS.product_alerts.low_stock_offer
    assert trigger.channel == "push"
    assert trigger.facts.items() >= {"interest": "favorite", "available": 10, "restock_cycle": 0}.items()
    assert "favorited p1" in trigger.reason and "only 10 left" in trigger.reason


def test_falling_below_the_threshold_also_alerts_the_favoriter() -> None:
    [trigger] = alerts([*_shelf(), favorite(at=T0), stock_changed(available=3, at=T0 + days(1))])
    assert (trigger.type, trigger.facts["available"]) == ("favorite_low_stock", 3)


def test_stock_falling_but_staying_above_the_threshold_sends_nothing() -> None:
    assert alerts([*_shelf(), favorite(at=T0), stock_changed(available=11, at=T0 + days(1))]) == []


def test_a_product_only_viewed_gets_no_low_stock_alert() -> None:
    assert alerts([*_shelf(), view(at=T0), stock_changed(available=5, at=T0 + days(1))]) == []


def test_a_favorite_bought_after_favoriting_gets_no_low_stock_alert() -> None:
    events = [
        *_shelf(),
        favorite(at=T0),
        order(product_id="p1", at=T0 + hours(1)),
        stock_changed(available=5, at=T0 + days(1)),
    ]
    assert alerts(events) == []


def test_a_favorite_removed_before_the_drop_gets_no_low_stock_alert() -> None:
    events = [*_shelf(), favorite(at=T0), unfavorite(at=T0 + hours(1)), stock_changed(available=5, at=T0 + days(1))]
    assert alerts(events) == []


def test_only_favoriters_get_the_low_stock_alert_of_a_product_others_viewed() -> None:
    events = [*_shelf(), favorite(at=T0), view(customer_id="c2", at=T0), stock_changed(available=5, at=T0 + days(1))]
    assert summary(alerts(events)) == [("favorite_low_stock", "c1", "favorite", T0 + days(1))]


def test_a_second_drop_in_the_same_restock_cycle_sends_nothing_more() -> None:
    events = [
        *_shelf(),
        favorite(at=T0),
        stock_changed(available=8, at=T0 + days(1)),
        stock_changed(available=2, at=T0 + days(2)),
    ]
    [trigger] = alerts(events)
    assert (trigger.facts["available"], trigger.facts["restock_cycle"]) == (8, 0)


def test_after_a_restock_a_new_drop_sends_a_second_low_stock_alert() -> None:
    events = [
        *_shelf(),
        favorite(at=T0),
        stock_changed(available=8, at=T0 + days(1)),
        stock_changed(available=2, at=T0 + days(2)),
        stock_changed(available=40, at=T0 + days(3)),
        stock_changed(available=4, at=T0 + days(4)),
    ]
    triggers = alerts(events)
    assert [(t.due_at, t.facts["available"], t.facts["restock_cycle"]) for t in triggers] == [
        (T0 + days(1), 8, 0),
        (T0 + days(4), 4, 1),
    ]
    assert triggers[0].trigger_id != triggers[1].trigger_id


def test_a_second_low_stock_alert_of_the_same_cycle_is_not_sent_again() -> None:
    """The rule's own guard: two alerts of one cycle (a redelivery, or a later drop) give one trigger."""
    state, using = fold(favorite(at=T0)), OFFERS
    first = handle_alert(state, low_stock_alert(T0 + days(1)), T0 + days(1), using)
    again = handle_alert(first.state, low_stock_alert(T0 + days(2), available=2), T0 + days(2), using)
    assert [t.type for t in first.triggers] == ["favorite_low_stock"]
    assert again.triggers == ()
    next_cycle = handle_alert(again.state, low_stock_alert(T0 + days(5), cycle=1), T0 + days(5), using)
    assert [t.facts["restock_cycle"] for t in next_cycle.triggers] == [1]


# back_in_stock


def test_a_favorited_product_coming_back_from_zero_sends_back_in_stock() -> None:
    events = [*_shelf(available=0), favorite(at=T0), stock_changed(available=25, at=T0 + days(1))]
    [trigger] = alerts(events)
    assert (trigger.type, trigger.customer_id, trigger.due_at) == ("back_in_stock", "c1", T0 + days(1))
    assert [(p.product_id, p.category) for p in trigger.products] == [("p1", "shoes")]
    assert trigger.offer == OFFERS.product_alerts.back_in_stock_offer
    assert trigger.facts.items() >= {"interest": "favorite", "available": 25, "restock_cycle": 1}.items()
    assert "favorited p1" in trigger.reason and "back (25 available)" in trigger.reason


def test_a_recently_viewed_product_coming_back_from_zero_sends_back_in_stock() -> None:
    events = [*_shelf(available=0), view(at=T0), stock_changed(available=25, at=T0 + days(29))]
    [trigger] = alerts(events)
    assert (trigger.type, trigger.facts["interest"]) == ("back_in_stock", "viewed")
    assert trigger.offer == OFFERS.product_alerts.back_in_stock_offer
    assert "viewed p1" in trigger.reason and "sold out" in trigger.reason


def test_a_view_older_than_viewed_within_days_gets_no_back_in_stock() -> None:
    assert OFFERS.product_alerts.viewed_within_days == 30
    assert alerts([*_shelf(available=0), view(at=T0), stock_changed(available=25, at=T0 + days(31))]) == []


def test_a_favorite_coming_back_in_small_numbers_gets_both_alerts() -> None:
    """From 0 to 5: back in stock, and at once low (the new cycle's one low-stock alert)."""
    events = [*_shelf(available=0), favorite(at=T0), stock_changed(available=5, at=T0 + days(1))]
    assert sorted((t.type, t.facts["restock_cycle"]) for t in alerts(events)) == [
        ("back_in_stock", 1),
        ("favorite_low_stock", 1),
    ]


def test_stock_that_was_never_zero_going_up_sends_no_back_in_stock() -> None:
    assert alerts([*_shelf(available=20), favorite(at=T0), stock_changed(available=40, at=T0 + days(1))]) == []


# price_drop


def test_a_ten_percent_drop_sends_price_drop_to_viewers_and_favoriters() -> None:
    events = [*_shelf(), favorite(at=T0), view(customer_id="c2", at=T0), price_changed(new_price=90.0, at=T0 + days(1))]
    triggers = alerts(events)
    assert sorted(summary(triggers)) == [
        ("price_drop", "c1", "favorite", T0 + days(1)),
        ("price_drop", "c2", "viewed", T0 + days(1)),
    ]
    for trigger in triggers:
        assert [(p.product_id, p.category) for p in trigger.products] == [("p1", "shoes")]
        assert trigger.offer == OFFERS.product_alerts.price_drop_offer
        assert (trigger.facts["old_price"], trigger.facts["new_price"]) == (100.0, 90.0)
        assert "from 100 to 90" in trigger.reason
    assert {t.customer_id: t.reason.split()[1] for t in triggers} == {"c1": "favorited", "c2": "viewed"}


def test_a_five_percent_drop_sends_nothing() -> None:
    assert (
        alerts(
            [*_shelf(), favorite(at=T0), view(customer_id="c2", at=T0), price_changed(new_price=95.0, at=T0 + days(1))]
        )
        == []
    )


def test_each_price_drop_sends_its_own_alert() -> None:
    events = [
        *_shelf(),
        favorite(at=T0),
        price_changed(new_price=90.0, at=T0 + days(1)),
        price_changed(new_price=80.0, at=T0 + days(2)),
    ]
    assert [(t.facts["old_price"], t.facts["new_price"]) for t in alerts(events)] == [(100.0, 90.0), (90.0, 80.0)]


def test_a_price_drop_after_buying_the_viewed_product_sends_nothing() -> None:
    events = [
        *_shelf(),
        view(at=T0),
        order(product_id="p1", at=T0 + hours(1)),
        price_changed(new_price=50.0, at=T0 + days(1)),
    ]
    assert alerts(events) == []


def test_disabled_product_alerts_send_nothing() -> None:
    off = policy(product_alerts={"enabled": False})
    events = [
        *_shelf(available=0),
        favorite(at=T0),
        view(customer_id="c2", at=T0),
        stock_changed(available=5, at=T0 + days(1)),
        price_changed(new_price=50.0, at=T0 + days(2)),
    ]
    assert alerts(events, using=off) == []
    assert alerts(events) != []  # the same history with alerts on does alert


def test_disabled_product_alerts_ignore_an_alert_already_on_its_way() -> None:
    off = policy(product_alerts={"enabled": False})
    assert handle_alert(fold(favorite(at=T0)), low_stock_alert(T0 + days(1)), T0 + days(1), off).triggers == ()


# alerts judged late (handle_alert on a later state)


def test_an_alert_judged_after_a_later_unfavorite_still_fires() -> None:
    """Favorited at T0, low stock on day 1, unfavorited on day 2; the alert is handled only after the unfavorite.
    The favorite record now shows the day-2 removal, so the product side's word (favorite since T0) is trusted."""
    later = fold(favorite(at=T0), unfavorite(at=T0 + days(2)))
    decision = handle_alert(later, low_stock_alert(T0 + days(1)), T0 + days(2) + hours(1), OFFERS)
    [trigger] = decision.triggers
    assert (trigger.type, trigger.due_at, trigger.emitted_at) == (
        "favorite_low_stock",
        T0 + days(1),
        T0 + days(2) + hours(1),
    )
    assert trigger.facts["interest"] == "favorite"
    assert [(p.product_id, p.category) for p in trigger.products] == [("p1", "shoes")]
    assert trigger.offer == OFFERS.product_alerts.low_stock_offer


def test_an_alert_after_a_purchase_since_the_watch_began_does_not_fire() -> None:
    """Favorited at T0, bought at 12:00 on day 0, low stock on day 1, favorite touched again on day 2: the
    alert's watch is trusted only up to the purchase, which ends it."""
    later = fold(favorite(at=T0), order(product_id="p1", at=T0 + hours(12)), unfavorite(at=T0 + days(2)))
    assert handle_alert(later, low_stock_alert(T0 + days(1)), T0 + days(2) + hours(1), OFFERS).triggers == ()


def test_a_purchase_after_the_alert_does_not_take_it_back() -> None:
    """Judged as of the alert's time: a purchase on day 2 of a product low on day 1 still leaves the alert."""
    later = fold(favorite(at=T0), order(product_id="p1", at=T0 + days(2)))
    [trigger] = handle_alert(later, low_stock_alert(T0 + days(1)), T0 + days(3), OFFERS).triggers
    assert (trigger.type, trigger.facts["interest"]) == ("favorite_low_stock", "favorite")


def test_an_alert_to_a_customer_who_unfavorited_before_it_does_not_fire() -> None:
    """The customer's records still show the removal at 12:00 on day 0, before the alert: not trusted."""
    later = fold(favorite(at=T0), unfavorite(at=T0 + hours(12)))
    assert handle_alert(later, low_stock_alert(T0 + days(1)), T0 + days(1), OFFERS).triggers == ()


def test_an_alert_to_a_customer_with_no_interest_and_no_word_from_the_product_side_does_not_fire() -> None:
    alert = low_stock_alert(T0 + days(1), interest=None, watched_since=None)
    assert handle_alert(initial_state("c1"), alert, T0 + days(1), OFFERS).triggers == ()


def test_a_late_alert_on_a_view_whose_record_is_gone_trusts_the_product_side_from_the_view() -> None:
    """Viewed at T0, favorited and unfavorited by 2 h (the watch change "viewed" is stamped at the unfavorite),
    back in stock on day 1, judged after a later view pushed the T0 view out of two remembered views. The records
    reach back past the watch change but not to the view it rests on, so the alert's word is trusted, and the
    unfavorite (not the interest judged) does not take it back."""
    few_views = policy(limits={"remembered_views": 2}, product_alerts=dict(OFFERS.product_alerts))
    later = fold(
        view(at=T0),
        view(product_id="p9", at=T0 + hours(1)),
        favorite(at=T0 + hours(1.5)),
        unfavorite(at=T0 + hours(2)),
        view(product_id="p8", at=T0 + days(2)),
        using=few_views,
    )
    alert = low_stock_alert(T0 + days(1), interest="viewed", watched_since=T0 + hours(2)).model_copy(
        update={"kind": "back_in_stock", "interest_since": T0}
    )
    [trigger] = handle_alert(later, alert, T0 + days(2), few_views).triggers
    assert (trigger.type, trigger.facts["interest"], trigger.due_at) == ("back_in_stock", "viewed", T0 + days(1))
    without_origin = alert.model_copy(update={"interest_since": None})  # judged from the change time: lost
    assert handle_alert(later, without_origin, T0 + days(2), few_views).triggers == ()


def test_an_alert_carries_when_the_watched_interest_began() -> None:
    """A "viewed" watch stamped at an unfavorite (2 h) that rests on the T0 view: the alert says both times."""
    change = WatchChanged(product_id="p1", customer_id="c1", interest="viewed", at=T0 + hours(2), since=T0)
    watchers, _ = watch(Watchers(product_id="p1"), change, limit=10)
    product = ProductState(product_id="p1", category="shoes", available=30, price=100.0)
    _, [alert] = fan_out(watchers, product, ("back_in_stock",), T0 + days(1), 100.0, remembered=4)
    assert (alert.interest, alert.watched_since, alert.interest_since) == ("viewed", T0 + hours(2), T0)
