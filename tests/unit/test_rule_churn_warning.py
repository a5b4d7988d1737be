"""churn_warning, through the engine: two browsing sessions in a row without buying since the last order, or
unfollowing the shop, bring a retention coupon (domain: "not happy with something? here are 10 yuan")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from factories import T0, days, follow, hours, order, policy, run, unfollow, view

from schemas import events as ev
from schemas.events import Channel
from schemas.triggers import Trigger
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.engine.reference import run_reference
from streams.rules.churn_warning import NAME

GAP = timedelta(minutes=30)
SECOND = timedelta(seconds=1)
BOUGHT = T0 - days(20)


def warnings(triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in triggers if t.type == NAME]


def customer(*events: ev.CustomerEvent) -> list[ev.CustomerEvent]:
    """A customer who last bought 20 days before T0, then ``events``."""
    return [order(at=BOUGHT), *events]


# browsing without buying


def test_one_session_after_the_last_order_is_not_a_warning() -> None:
    _, triggers = run(customer(view(at=T0), view(product_id="p2", at=T0 + GAP)))
    assert warnings(triggers) == []


def test_the_view_that_starts_the_second_session_brings_the_retention_coupon() -> None:
    second = T0 + hours(3)
    _, triggers = run(customer(view(at=T0), view(product_id="p2", category="bags", at=second)))
    [trigger] = warnings(triggers)
    assert (trigger.due_at, trigger.emitted_at, trigger.channel) == (second, second, Channel.WECHAT)
    assert trigger.offer == policy().churn_warning.offer
    assert (trigger.offer.kind, trigger.offer.value) == ("coupon", 10)
    assert trigger.facts["cause"] == "browse_streak"
    assert trigger.facts["first_session_at"] == T0.isoformat()
    assert trigger.facts["last_order_at"] == BOUGHT.isoformat()
    assert trigger.facts["viewed_categories"] == "shoes,bags"
    assert (
        "2 browsing sessions in a row" in trigger.reason
        and "2nd" in trigger.reason
        and BOUGHT.isoformat() in trigger.reason
    )


def test_views_exactly_thirty_minutes_apart_are_one_session() -> None:
    _, triggers = run(customer(view(at=T0), view(product_id="p2", at=T0 + GAP)))
    assert warnings(triggers) == []


def test_views_more_than_thirty_minutes_apart_are_two_sessions() -> None:
    _, triggers = run(customer(view(at=T0), view(product_id="p2", at=T0 + GAP + SECOND)))
    assert [t.due_at for t in warnings(triggers)] == [T0 + GAP + SECOND]


def test_views_sharing_a_session_id_are_one_session_however_far_apart() -> None:
    _, triggers = run(customer(view(at=T0, session_id="s1"), view(product_id="p2", at=T0 + hours(2), session_id="s1")))
    assert warnings(triggers) == []


def test_the_gap_comes_from_the_policy() -> None:
    short = policy(browsing={"session_gap_minutes": 10})
    _, triggers = run(customer(view(at=T0), view(product_id="p2", at=T0 + timedelta(minutes=11))), using=short)
    assert len(warnings(triggers)) == 1


def test_the_number_of_sessions_comes_from_the_policy() -> None:
    three = policy(churn_warning={"sessions_without_purchase": 3})
    sessions = [view(at=T0), view(at=T0 + hours(2)), view(at=T0 + hours(4))]
    state, triggers = run(customer(*sessions[:2]), using=three)
    assert warnings(triggers) == []
    [trigger] = warnings(run([sessions[2]], using=three, state=state)[1])
    assert trigger.due_at == T0 + hours(4)


def test_more_views_and_sessions_in_the_same_streak_send_nothing_more() -> None:
    events = customer(
        view(at=T0),
        view(at=T0 + hours(2)),
        view(product_id="p2", at=T0 + hours(2) + GAP),
        view(at=T0 + hours(5)),
        view(at=T0 + days(1)),
    )
    _, triggers = run(events)
    assert len(warnings(triggers)) == 1


def test_a_customer_who_never_ordered_is_not_warned_about_churn() -> None:
    _, triggers = run([view(at=T0), view(at=T0 + hours(2)), view(at=T0 + hours(4))])
    assert warnings(triggers) == []


def test_an_order_between_the_sessions_breaks_the_streak() -> None:
    _, triggers = run(customer(view(at=T0), order(at=T0 + hours(1)), view(at=T0 + hours(2))))
    assert warnings(triggers) == []


def test_a_session_that_started_at_the_order_time_is_not_after_the_order() -> None:
    _, triggers = run([order(at=T0), view(at=T0), view(at=T0 + hours(2))])
    assert warnings(triggers) == []


def test_a_new_streak_after_a_new_order_warns_again_with_a_new_id() -> None:
    events = customer(
        view(at=T0),
        view(at=T0 + hours(2)),
        order(at=T0 + days(1)),
        view(at=T0 + days(2)),
        view(at=T0 + days(2) + hours(2)),
    )
    _, triggers = run(events)
    first, second = warnings(triggers)
    assert (first.due_at, second.due_at) == (T0 + hours(2), T0 + days(2) + hours(2))
    assert first.trigger_id != second.trigger_id


def test_an_order_placed_after_the_streak_began_but_arriving_first_means_no_warning() -> None:
    """Judged by event time: by the time these views are known the customer has bought since."""
    _, triggers = run(customer(order(at=T0 + hours(5)), view(at=T0), view(at=T0 + hours(2))))
    assert warnings(triggers) == []


def last(events: Sequence[ev.CustomerEvent], using: Policy | None = None) -> tuple[CustomerState, Trigger]:
    """The state after ``events`` and the one churn warning they sent."""
    state, triggers = run(events, using=using)
    [warning] = warnings(triggers)
    return state, warning


def test_a_late_view_that_now_starts_a_counted_session_sends_nothing_more() -> None:
    state, _ = last(customer(view(at=T0), view(at=T0 + hours(2))))
    late_start = view(product_id="p9", at=T0 + hours(2) - timedelta(minutes=10))  # now starts the second session
    assert warnings(run([late_start], state=state)[1]) == []


def test_a_late_session_between_two_counted_ones_sends_nothing_more() -> None:
    state, _ = last(customer(view(at=T0), view(at=T0 + hours(4))))
    assert warnings(run([view(at=T0 + hours(2))], state=state)[1]) == []


def test_a_late_view_that_moves_the_first_session_earlier_sends_nothing_more() -> None:
    state, _ = last(customer(view(at=T0), view(at=T0 + hours(4))))
    assert warnings(run([view(product_id="p0", at=T0 - timedelta(minutes=20))], state=state)[1]) == []
    assert warnings(run([view(product_id="p0", at=T0 - hours(2))], state=state)[1]) == []


def test_the_second_session_arriving_before_the_first_still_warns_once() -> None:
    _, triggers = run(customer(view(at=T0 + hours(2)), view(at=T0)))
    assert [t.due_at for t in warnings(triggers)] == [T0 + hours(2)]


def test_a_redelivered_view_sends_nothing_more() -> None:
    second = view(at=T0 + hours(2))
    state, _ = last(customer(view(at=T0), second))
    assert run([second], state=state)[1] == []


def test_the_same_browsing_history_gives_the_same_trigger_id_in_any_arrival_order() -> None:
    a, b = view(at=T0), view(product_id="p2", at=T0 + hours(2))
    bought = order(at=BOUGHT)
    _, in_order = run([bought, a, b])
    _, reversed_ = run([bought, b, a])
    _, offline = run_reference([b, bought, a], policy(), T0 + days(1))
    ids = {t.trigger_id for t in warnings([*in_order, *reversed_, *offline])}
    assert len(ids) == 1 and len(warnings(in_order)) == len(warnings(reversed_)) == 1


# unfollowing


def test_unfollowing_the_shop_brings_the_retention_coupon_at_the_unfollow_time() -> None:
    _, triggers = run(customer(follow(at=T0 - days(5)), unfollow(at=T0)))
    [trigger] = warnings(triggers)
    assert (trigger.due_at, trigger.offer.value, trigger.facts["cause"]) == (T0, 10, "unfollowed")
    assert trigger.facts["unfollowed_at"] == T0.isoformat() and "Unfollowed the shop" in trigger.reason


def test_an_unfollow_by_a_follower_who_never_ordered_still_warns() -> None:
    _, triggers = run([follow(at=T0 - days(5)), unfollow(at=T0)])
    assert len(warnings(triggers)) == 1


def test_an_unfollow_sent_again_under_a_new_event_id_warns_once() -> None:
    state, _ = last([unfollow(at=T0)])
    assert run([unfollow(at=T0)], state=state)[1] == []


def test_a_late_unfollow_already_undone_by_a_later_follow_does_not_warn() -> None:
    _, triggers = run([follow(at=T0 + hours(1)), unfollow(at=T0)])
    assert warnings(triggers) == []


def test_a_late_unfollow_older_than_the_one_already_warned_about_does_not_warn_again() -> None:
    _, triggers = run([unfollow(at=T0 + days(1)), unfollow(at=T0)])
    assert [t.due_at for t in warnings(triggers)] == [T0 + days(1)]


def test_unfollowing_again_after_following_again_warns_again() -> None:
    _, triggers = run([unfollow(at=T0), follow(at=T0 + days(1)), unfollow(at=T0 + days(2))])
    first, second = warnings(triggers)
    assert first.trigger_id != second.trigger_id


def test_an_unfollow_and_a_streak_at_the_same_instant_are_different_occasions() -> None:
    _, triggers = run(customer(view(at=T0), view(at=T0 + hours(2)), unfollow(at=T0 + hours(2))))
    assert len({t.trigger_id for t in warnings(triggers)}) == 2


def test_a_disabled_churn_warning_sends_nothing() -> None:
    off = policy(churn_warning={"enabled": False})
    _, triggers = run(customer(view(at=T0), view(at=T0 + hours(2)), unfollow(at=T0 + hours(3))), using=off)
    assert warnings(triggers) == []
