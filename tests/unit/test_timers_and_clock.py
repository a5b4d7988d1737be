"""Whom to wake and when: the in-memory timer index, and the clocks that say what time it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from factories import T0, hours

from streams.runtime.clock import EventClock, WallClock, make_clock
from streams.runtime.timer_index import TimerIndex


def _index(**due: datetime) -> TimerIndex:
    index = TimerIndex()
    for customer_id, at in due.items():
        index.set(customer_id, at)
    return index


def test_only_customers_due_at_or_before_now_are_woken_earliest_first() -> None:
    index = _index(late=T0 + hours(3), early=T0 + hours(1), exact=T0 + hours(2), future=T0 + hours(9))
    assert index.pop_due(T0 + hours(2)) == ["early", "exact"]
    assert index.pop_due(T0 + hours(3)) == ["late"]
    assert len(index) == 1


def test_a_woken_customer_leaves_the_index_until_it_is_set_again() -> None:
    index = _index(c1=T0)
    assert index.pop_due(T0) == ["c1"]
    assert index.pop_due(T0 + hours(1)) == []
    index.set("c1", T0 + hours(2))
    assert index.pop_due(T0 + hours(2)) == ["c1"]


def test_setting_a_later_time_replaces_the_earlier_one() -> None:
    """The heap still holds the old entry: it must be skipped, not wake the customer early."""
    index = _index(c1=T0 + hours(1))
    index.set("c1", T0 + hours(4))
    assert index.pop_due(T0 + hours(2)) == []
    assert index.pop_due(T0 + hours(4)) == ["c1"]


def test_setting_an_earlier_time_wakes_the_customer_once_at_the_earlier_time() -> None:
    index = _index(c1=T0 + hours(4))
    index.set("c1", T0 + hours(1))
    assert index.pop_due(T0 + hours(1)) == ["c1"]
    assert index.pop_due(T0 + hours(5)) == []


def test_moving_a_customer_back_and_forth_still_wakes_it_once() -> None:
    index = _index(c1=T0 + hours(1))
    for at in (T0 + hours(2), T0 + hours(1), T0 + hours(2)):
        index.set("c1", at)
    assert index.pop_due(T0 + hours(1)) == []
    assert index.pop_due(T0 + hours(3)) == ["c1"]


def test_setting_none_removes_the_customer() -> None:
    index = _index(c1=T0, c2=T0)
    index.set("c1", None)
    index.set("nobody", None)
    assert len(index) == 1
    assert index.pop_due(T0 + hours(1)) == ["c2"]


def test_the_event_clock_does_not_go_back_for_an_older_event() -> None:
    clock = EventClock()
    clock.assign(["orders-0"])
    clock.observe(T0 + hours(2), "orders-0")
    clock.observe(T0, "orders-0")
    assert clock.now() == T0 + hours(2)


def test_a_source_not_assigned_here_does_not_hold_the_event_clock_back() -> None:
    """A record naming a partition this worker does not read (a bogus origin header, another partition count)."""
    clock = EventClock()
    clock.assign(["orders-0"])
    clock.observe(T0 + hours(2), "orders-0")
    clock.observe(T0, "orders-7")
    assert clock.now() == T0 + hours(2)


def test_the_event_clock_waits_for_the_slowest_source() -> None:
    """No event older than the slowest source's latest may still come, so that is the time."""
    clock = EventClock()
    clock.assign(["orders-0", "behavior-0"])
    clock.observe(T0 + hours(5), "orders-0")
    clock.observe(T0 + hours(1), "behavior-0")
    assert clock.now() == T0 + hours(1)


def test_a_global_advance_moves_every_source_forward_but_never_back() -> None:
    clock = EventClock()
    clock.assign(["orders-0", "behavior-0"])
    clock.observe(T0 + hours(5), "orders-0")
    clock.observe(T0 + hours(3))
    assert clock.now() == T0 + hours(3)
    clock.observe(T0 + hours(1))
    assert clock.now() == T0 + hours(3)


def test_the_event_clock_does_not_go_back_when_a_partition_is_added() -> None:
    clock = EventClock()
    clock.assign(["orders-0"])
    clock.observe(T0 + hours(5), "orders-0")
    clock.assign(["orders-0", "orders-1"])
    assert clock.now() >= T0 + hours(5)


def test_the_wall_clock_is_timezone_aware_utc_and_ignores_events() -> None:
    clock = WallClock()
    before = datetime.now(UTC)
    clock.observe(before + timedelta(days=365), "orders-0")
    now = clock.now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_the_clock_mode_picks_the_clock() -> None:
    assert isinstance(make_clock("wall"), WallClock)
    assert isinstance(make_clock("event"), EventClock)
