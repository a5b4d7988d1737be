"""How a customer shops: decayed affinities, own repurchase cycles, browse streaks, unbought favorites."""

from __future__ import annotations

from datetime import timedelta

from factories import T0, cancel, days, favorite, fold, line, order, policy, unfavorite, view

from streams.domain.customer.habits import affinities, browse_streak, favorites_unbought, next_purchases
from streams.domain.policy import AffinityPolicy, BrowsingPolicy, RepurchasePolicy

AFFINITY = AffinityPolicy()  # half-life 90 days, a view weighs 0.2 of a purchase
REPURCHASE = RepurchasePolicy()
BROWSING = BrowsingPolicy()
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def _bought(category: str, ago_days: float, brand: str | None = None):
    return order(lines=[line(f"p-{category}", category, brand=brand)], at=T0 - days(ago_days))


def test_two_purchases_one_half_life_old_weigh_as_much_as_one_today() -> None:
    """Weight 0.5 ** (age / 90 days): 0.5 + 0.5 == 1. Equal scores rank by name whichever category is older."""
    for old, new in (("a-old", "b-new"), ("z-old", "b-new")):
        state = fold(_bought(old, 90), _bought(old, 90), _bought(new, 0))
        assert affinities(state, T0, AFFINITY)[0] == tuple(sorted((old, new)))


def test_a_purchase_a_little_more_than_a_half_life_old_weighs_less_than_half() -> None:
    state = fold(_bought("a-old", 90), _bought("a-old", 90 + 1 / 24), _bought("b-new", 0))
    assert affinities(state, T0, AFFINITY)[0] == ("b-new", "a-old")


def test_views_weigh_a_fifth_of_a_purchase_and_decay_the_same_way() -> None:
    """A purchase 90 days old (0.5) beats two fresh views (0.4) and loses to three (0.6); a purchase
    180 days old (0.25) beats one fresh view (0.2) but not three views 90 days old (3 x 0.1 = 0.3)."""
    half = _bought("bought", 90)
    two = fold(half, *(view(category="viewed", at=T0 - MINUTE * n) for n in range(2)))
    three = fold(half, *(view(category="viewed", at=T0 - MINUTE * n) for n in range(3)))
    assert affinities(two, T0, AFFINITY)[0] == ("bought", "viewed")
    assert affinities(three, T0, AFFINITY)[0] == ("viewed", "bought")
    quarter = _bought("bought", 180)
    assert affinities(fold(quarter, view(category="viewed", at=T0)), T0, AFFINITY)[0] == ("bought", "viewed")
    old_views = (view(category="viewed", at=T0 - days(90) - MINUTE * n) for n in range(3))
    assert affinities(fold(quarter, *old_views), T0, AFFINITY)[0] == ("viewed", "bought")


def test_ties_are_broken_by_name() -> None:
    state = fold(_bought("pears", 10), _bought("apples", 10), _bought("figs", 10))
    assert affinities(state, T0, AFFINITY)[0] == ("apples", "figs", "pears")


def test_brands_rank_by_decayed_purchases_and_the_top_n_comes_from_the_policy() -> None:
    state = fold(
        _bought("c1", 0, brand="Acme"), _bought("c2", 5, brand="Bolt"), _bought("c3", 0, brand="Acme"), _bought("c4", 1)
    )
    top2 = policy(affinity={"top": 2}).affinity
    categories, brands = affinities(state, T0, top2)
    assert categories == ("c1", "c3")
    assert brands == ("Acme", "Bolt")


def test_cancelled_orders_give_no_affinity() -> None:
    dropped = _bought("dropped", 0)
    assert affinities(fold(dropped, cancel(dropped.order_id)), T0, AFFINITY) == ((), ())


def test_the_repurchase_cycle_is_the_median_gap_and_falls_due_one_gap_after_the_last_purchase() -> None:
    """Purchases on days 0, 10, 30 and 70: gaps 10, 20, 40, median 20 -> due on day 90."""
    state = fold(*(_bought("shampoo", 70 - d) for d in (0, 10, 30, 70)))
    [due] = next_purchases(state, REPURCHASE)
    assert (due.category, due.interval_days) == ("shampoo", 20)
    assert (due.last_purchase_at, due.due_at) == (T0, T0 + days(20))


def test_an_even_number_of_gaps_takes_the_middle_two_on_average() -> None:
    """Days 0, 10, 40: gaps 10 and 30, median 20."""
    [due] = next_purchases(fold(*(_bought("towels", 40 - d) for d in (0, 10, 40))), REPURCHASE)
    assert due.interval_days == 20


def test_a_cycle_needs_two_purchases() -> None:
    assert next_purchases(fold(_bought("ink", 0)), REPURCHASE) == ()


def test_purchases_closer_than_the_minimum_interval_count_once() -> None:
    """Minimum interval 1 day: 1 day minus a second apart is one purchase; exactly 1 day apart is two."""
    close = fold(_bought("soap", 0), order(lines=[line("p-soap", "soap")], at=T0 + days(1) - SECOND))
    assert next_purchases(close, REPURCHASE) == ()
    apart = fold(_bought("soap", 0), order(lines=[line("p-soap", "soap")], at=T0 + days(1)))
    [due] = next_purchases(apart, REPURCHASE)
    assert due.interval_days == 1


def test_a_repeat_within_the_minimum_interval_does_not_shorten_the_cycle() -> None:
    """Days 0, 0.5 (counts once with day 0) and 30: one gap of 30 days."""
    state = fold(*(_bought("tea", 30 - d) for d in (0, 0.5, 30)))
    [due] = next_purchases(state, REPURCHASE)
    assert (due.interval_days, due.due_at) == (30, T0 + days(30))


def test_cancelled_purchases_do_not_count_in_the_cycle() -> None:
    """Days 0, 10 (cancelled), 30: one gap of 30 days."""
    first, dropped, last = (_bought("rice", 30 - d) for d in (0, 10, 30))
    [due] = next_purchases(fold(first, dropped, last, cancel(dropped.order_id)), REPURCHASE)
    assert due.interval_days == 30


def test_the_minimum_purchases_come_from_the_policy() -> None:
    state = fold(*(_bought("oil", d) for d in (0, 10)))
    assert len(next_purchases(state, REPURCHASE)) == 1
    assert next_purchases(state, policy(repurchase={"min_purchases": 3}).repurchase) == ()


def test_views_within_thirty_minutes_of_each_other_are_one_session() -> None:
    """Gaps of exactly 30 minutes stay in the session; 30 minutes and a second start a new one."""
    one = fold(*(view(at=T0 + 30 * MINUTE * n) for n in range(3)))
    two = fold(view(at=T0), view(at=T0 + 30 * MINUTE + SECOND))
    assert (browse_streak(one, BROWSING), browse_streak(two, BROWSING)) == (1, 2)


def test_views_with_the_same_session_id_are_one_session_whatever_the_gap() -> None:
    state = fold(view(at=T0, session_id="s1"), view(at=T0 + days(1) / 4, session_id="s1"))
    assert browse_streak(state, BROWSING) == 1


def test_the_browse_streak_counts_only_sessions_that_started_after_the_last_order() -> None:
    """A session at the order time or before it does not count; sessions one second after it do."""
    placed = order(at=T0)
    before = [view(at=T0 - 2 * 60 * MINUTE), view(at=T0)]
    after = [view(at=T0 + 60 * MINUTE + SECOND), view(at=T0 + 3 * 60 * MINUTE)]
    assert browse_streak(fold(placed, *before), BROWSING) == 0
    assert browse_streak(fold(placed, *before, *after), BROWSING) == 2


def test_favorites_not_bought_since_they_were_favorited_are_listed_newest_first() -> None:
    bought_before = order(product_id="p1", at=T0 - days(1))
    state = fold(bought_before, favorite("p1", at=T0), favorite("p2", at=T0 + days(1)))
    assert favorites_unbought(state) == ("p2", "p1")
    assert favorites_unbought(fold(favorite("p1", at=T0), order(product_id="p1", at=T0 + days(1)))) == ()


def test_a_cancelled_order_does_not_count_as_buying_a_favorite() -> None:
    placed = order(product_id="p1", at=T0 + days(1))
    assert favorites_unbought(fold(favorite("p1", at=T0), placed, cancel(placed.order_id))) == ("p1",)


def test_the_later_favorite_action_by_event_time_wins_whatever_the_arrival_order() -> None:
    """A removal after the add removes it; a removal older than the add loses."""
    add, later_removal = favorite("p1", at=T0), unfavorite("p1", at=T0 + days(1))
    assert favorites_unbought(fold(add, later_removal)) == favorites_unbought(fold(later_removal, add)) == ()
    older_removal = unfavorite("p1", at=T0 - days(1))
    assert favorites_unbought(fold(add, older_removal)) == favorites_unbought(fold(older_removal, add)) == ("p1",)
