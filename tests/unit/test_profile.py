"""``derive_profile``: the read model of one customer, from a small realistic history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import (
    T0,
    days,
    erasure,
    favorite,
    fold,
    follow,
    hours,
    order,
    policy,
    profile_changed,
    refund,
    unfollow,
    view,
)

from schemas.events import Channel
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import initial_state

NOW = T0 + days(60)
DEFAULT = policy()

# A shopper: two shampoo orders 30 days apart (200 then 400 yuan, 100 of it refunded), a view and a
# favorite, profile changes and follows that arrive out of event-time order.
FIRST = order(total=200.0, category="shampoo", product_id="sh-1", at=T0)
SECOND = order(total=400.0, category="shampoo", product_id="sh-1", at=T0 + days(30))
HISTORY = (
    view(product_id="cond-1", category="conditioner", at=T0 - hours(1)),
    FIRST,
    SECOND,
    refund(SECOND.order_id, 100.0, at=T0 + days(32)),
    favorite("mask-1", "masks", at=T0 + days(31)),
    profile_changed(
        at=T0 + days(20),
        timezone="Asia/Shanghai",
        birthday=date(1990, 5, 17),
        consents={Channel.SMS: True, Channel.PUSH: False},
    ),
    profile_changed(
        at=T0 + days(10),
        timezone="Europe/Paris",
        birthday=date(1985, 1, 1),
        consents={Channel.WECHAT: True, Channel.SMS: False},
    ),
    unfollow(at=T0 + days(40)),
    follow(at=T0 + days(5)),
)


def test_the_order_figures_are_net_of_refunds_but_the_largest_order_is_not() -> None:
    profile = derive_profile(fold(*HISTORY), NOW, DEFAULT)
    assert (profile.order_count, profile.total_spent, profile.average_order_value) == (2, 500.0, 250.0)
    assert profile.max_order_value == 400.0
    assert (profile.first_order_at, profile.last_order_at) == (T0, T0 + days(30))


def test_the_tier_lifecycle_and_scores_follow_the_history() -> None:
    """Largest order 400 >= 388: super VIP. Last order 30 days ago: active, R 5. Two orders: F 2.
    500 yuan net: M 3. A recent buyer with F <= 2 is potential."""
    profile = derive_profile(fold(*HISTORY), NOW, DEFAULT)
    assert (profile.tier, profile.lifecycle) == ("super_vip", "active")
    assert (profile.recency_score, profile.frequency_score, profile.monetary_score) == (5, 2, 3)
    assert profile.segments == ("potential",)


def test_the_habits_appear_in_the_profile() -> None:
    """Shampoo every 30 days: due 30 days after the last purchase; the favorited mask was never bought."""
    profile = derive_profile(fold(*HISTORY), NOW, DEFAULT)
    assert [(p.category, p.due_at) for p in profile.next_purchases] == [("shampoo", T0 + days(60))]
    assert profile.favorites_unbought == ("mask-1",)
    assert profile.top_categories == ("shampoo", "conditioner")


@pytest.mark.parametrize(
    ("since", "whole_days"),
    [(timedelta(0), 0), (days(1) - timedelta(seconds=1), 0), (days(1), 1), (days(3) - hours(1), 2)],
)
def test_days_since_the_last_order_counts_whole_days(since: timedelta, whole_days: int) -> None:
    """Floor of the elapsed time in days: 23 h 59 min 59 s is still day 0."""
    state = fold(order(at=T0))
    assert derive_profile(state, T0 + since, DEFAULT).days_since_last_order == whole_days


def test_without_orders_there_are_no_days_since_the_last_order() -> None:
    assert derive_profile(fold(view()), T0, DEFAULT).days_since_last_order is None


def test_consents_list_only_the_channels_mentioned_each_from_its_latest_event() -> None:
    """SMS: on (day 20) beats off (day 10); push off (day 20); WeChat on (day 10, never changed since)."""
    profile = derive_profile(fold(*HISTORY), NOW, DEFAULT)
    assert profile.consents == {Channel.SMS: True, Channel.PUSH: False, Channel.WECHAT: True}


def test_timezone_and_birthday_come_from_the_latest_profile_event_by_event_time() -> None:
    profile = derive_profile(fold(*HISTORY), NOW, DEFAULT)
    assert (profile.timezone, profile.birthday) == ("Asia/Shanghai", date(1990, 5, 17))


def test_a_profile_change_that_leaves_a_field_out_keeps_the_earlier_value() -> None:
    later = profile_changed(at=T0 + days(50), consents={Channel.PUSH: True})
    profile = derive_profile(fold(*HISTORY, later), NOW, DEFAULT)
    assert (profile.timezone, profile.consents[Channel.PUSH], profile.consents[Channel.SMS]) == (
        "Asia/Shanghai",
        True,
        True,
    )


def test_follows_shop_is_the_latest_follow_or_unfollow_by_event_time() -> None:
    """The unfollow (day 40) arrived before the follow (day 5): the customer does not follow the shop."""
    assert derive_profile(fold(*HISTORY), NOW, DEFAULT).follows_shop is False
    assert derive_profile(fold(unfollow(at=T0), follow(at=T0 + days(1))), NOW, DEFAULT).follows_shop is True


def test_facts_never_given_are_unknown() -> None:
    profile = derive_profile(fold(order()), NOW, DEFAULT)
    assert (profile.follows_shop, profile.consents, profile.timezone, profile.birthday) == (None, {}, None, None)


def test_erasure_clears_the_profile_to_a_prospect() -> None:
    """Everything is forgotten; only the revision keeps growing, so a projection never goes back."""
    before = fold(*HISTORY)
    erased = fold(*HISTORY, erasure(at=T0 + days(45)))
    profile = derive_profile(erased, NOW, DEFAULT)
    assert (profile.lifecycle, profile.tier, profile.order_count, profile.segments) == ("prospect", "none", 0, ())
    assert (profile.follows_shop, profile.consents, profile.timezone, profile.birthday) == (None, {}, None, None)
    assert profile.revision > before.revision
    blank = derive_profile(initial_state("c1"), NOW, DEFAULT)
    assert profile == blank.model_copy(update={"revision": profile.revision})
