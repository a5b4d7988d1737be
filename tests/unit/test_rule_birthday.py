"""birthday, through the engine: double points in the customer's birthday month, sent at 00:00 on its first
day in the customer's time zone, once a year (domain: "Birthday month: double points")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import OPEN_CONTACT, T0, days, erasure, hours, order, pending, policy, profile_changed, run

from schemas import events as ev
from schemas.events import Channel
from schemas.triggers import Trigger
from streams.config import PolicyError, load_policy
from streams.domain.customer.state import CustomerState
from streams.engine.customer import advance
from streams.engine.reference import run_reference
from streams.rules.birthday import NAME

SECOND = timedelta(seconds=1)
SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
JULY_2025 = datetime(2025, 7, 1, tzinfo=SHANGHAI)  # T0 is 2025-03-03
JULY_2026 = datetime(2026, 7, 1, tzinfo=SHANGHAI)


def greetings(triggers: Sequence[Trigger]) -> list[Trigger]:
    return [t for t in triggers if t.type == NAME]


def due(state: CustomerState) -> datetime:
    [timer] = pending(state, NAME)
    return timer.due_at


def born(month: int, at: datetime = T0, **fields: object) -> ev.CustomerProfileChanged:
    return profile_changed(at=at, birthday=date(1990, month, 17), **fields)


def test_a_birthday_schedules_a_timer_at_midnight_on_the_first_of_the_month_in_the_default_zone() -> None:
    state, triggers = run([born(7)])
    assert (greetings(triggers), due(state)) == ([], JULY_2025)
    assert due(state) == datetime(2025, 6, 30, 16, tzinfo=UTC)


def test_the_greeting_fires_exactly_at_the_start_of_the_birthday_month() -> None:
    state, _ = run([born(7)])
    assert greetings(advance(state, JULY_2025 - SECOND, policy()).triggers) == []
    [trigger] = greetings(advance(state, JULY_2025, policy()).triggers)
    assert (trigger.due_at, trigger.emitted_at, trigger.channel) == (JULY_2025, JULY_2025, Channel.WECHAT)
    assert trigger.offer == policy().birthday.offer
    assert (trigger.offer.kind, trigger.offer.value) == ("points", 2)
    assert trigger.facts == {"birthday": "1990-07-17", "birthday_month": 7, "year": 2025, "timezone": "Asia/Shanghai"}
    assert "2025-07 is the customer's birthday month in Asia/Shanghai" in trigger.reason and "07-17" in trigger.reason


def test_after_firing_next_years_timer_is_set() -> None:
    state, _ = run([born(7)], until=JULY_2025 + days(1))
    assert due(state) == JULY_2026


def test_the_customers_own_time_zone_decides_midnight() -> None:
    state, _ = run([born(7, timezone="America/New_York")])
    assert due(state) == datetime(2025, 7, 1, tzinfo=NEW_YORK) == datetime(2025, 7, 1, 4, tzinfo=UTC)


def test_the_default_zone_comes_from_the_policy() -> None:
    berlin = policy(contact={**OPEN_CONTACT, "default_timezone": "Europe/Berlin"})
    state, _ = run([born(7)], using=berlin)
    assert due(state) == datetime(2025, 7, 1, tzinfo=ZoneInfo("Europe/Berlin"))


def test_a_profile_arriving_during_the_birthday_month_fires_right_away() -> None:
    """T0 is 3 March: a March birthday is greeted at the event time, and next March is scheduled."""
    state, triggers = run([born(3)])
    [trigger] = greetings(triggers)
    assert (trigger.due_at, trigger.facts["year"]) == (T0, 2025)
    assert due(state) == datetime(2026, 3, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("zone", "greeted_now"), [("Asia/Shanghai", True), ("UTC", False)])
def test_whether_the_birthday_month_has_begun_is_judged_in_the_customers_zone(zone: str, greeted_now: bool) -> None:
    """17:00 UTC on 28 February is already 1 March in Shanghai, still February in UTC."""
    at = datetime(2025, 2, 28, 17, tzinfo=UTC)
    state, triggers = run([born(3, at=at, timezone=zone)])
    assert bool(greetings(triggers)) is greeted_now
    if not greeted_now:
        assert due(state) == datetime(2025, 3, 1, tzinfo=UTC)


def test_a_changed_birthday_reschedules() -> None:
    state, _ = run([born(7), born(9, at=T0 + days(1))])
    assert due(state) == datetime(2025, 9, 1, tzinfo=SHANGHAI)


def test_a_changed_time_zone_reschedules() -> None:
    state, _ = run([born(7), profile_changed(at=T0 + days(1), timezone="America/New_York")])
    assert due(state) == datetime(2025, 7, 1, tzinfo=NEW_YORK)


def test_a_late_profile_event_with_an_older_birthday_changes_nothing() -> None:
    state, _ = run([born(7), born(9, at=T0 - days(30))])
    assert due(state) == JULY_2025


def test_a_profile_event_that_repeats_the_birthday_does_not_greet_twice_in_the_month() -> None:
    state, [_] = run([born(3)])
    again, triggers = run([born(3, at=T0 + days(5)), profile_changed(at=T0 + days(6), gender="female")], state=state)
    assert greetings(triggers) == []
    assert pending(again, NAME) == pending(state, NAME)


def test_a_profile_event_without_birthday_or_zone_leaves_the_timer_alone() -> None:
    state, _ = run([born(7)])
    after, _ = run([profile_changed(at=T0 + days(1), consents={"sms": True})], state=state)
    assert pending(after, NAME) == pending(state, NAME)


def test_without_a_birthday_nothing_is_scheduled() -> None:
    state, triggers = run([profile_changed(timezone="Asia/Tokyo"), order(at=T0)], until=T0 + days(400))
    assert (pending(state, NAME), greetings(triggers)) == ([], [])


def test_a_zone_known_before_the_birthday_is_used_when_the_birthday_arrives() -> None:
    state, _ = run([profile_changed(timezone="America/New_York"), born(7, at=T0 + days(1))])
    assert due(state) == datetime(2025, 7, 1, tzinfo=NEW_YORK)


def test_only_one_greeting_a_year_even_if_the_birthday_moves_to_a_later_month() -> None:
    state, first = run([born(3)])
    state, later = run([born(9, at=T0 + days(10))], until=datetime(2025, 12, 31, tzinfo=UTC), state=state)
    assert (len(greetings(first)), greetings(later)) == (1, [])
    assert due(state) == datetime(2026, 9, 1, tzinfo=SHANGHAI)
    _, next_year = run([], until=datetime(2026, 9, 2, tzinfo=UTC), state=state)
    assert [t.facts["year"] for t in greetings(next_year)] == [2026]


def test_a_timer_replayed_or_a_profile_redelivered_sends_nothing_more() -> None:
    event = born(7)
    state, [trigger] = run([event], until=JULY_2025)
    assert advance(state, JULY_2025 + days(1), policy()).triggers == ()
    assert run([event], until=JULY_2025 + days(2), state=state)[1] == []


def test_every_year_gets_its_own_greeting_and_the_same_history_gives_the_same_ids() -> None:
    history = [born(7), order(at=T0 + days(1))]
    _, first = run_reference(history, policy(), JULY_2026 + days(1))
    _, again = run_reference(history, policy(), JULY_2026 + days(1))
    assert [(t.facts["year"], t.due_at) for t in greetings(first)] == [(2025, JULY_2025), (2026, JULY_2026)]
    assert [t.trigger_id for t in greetings(first)] == [t.trigger_id for t in greetings(again)]
    assert len({t.trigger_id for t in greetings(first)}) == 2


def test_a_late_timer_keeps_its_due_time_and_schedules_from_it() -> None:
    state, [trigger] = run([born(7)], until=JULY_2025 + days(3))
    assert (trigger.due_at, trigger.emitted_at, due(state)) == (JULY_2025, JULY_2025 + days(3), JULY_2026)


def test_the_greeting_describes_the_customer_as_of_the_birthday_month() -> None:
    _, triggers = run([order(total=200.0, at=T0), born(7)], until=JULY_2025 + hours(1))
    [trigger] = greetings(triggers)
    assert (trigger.customer.tier, trigger.customer.lifecycle) == ("vip", "silent")


def test_a_disabled_birthday_rule_sends_nothing() -> None:
    _, triggers = run([born(7)], until=JULY_2026 + days(1), using=policy(birthday={"enabled": False}))
    assert greetings(triggers) == []


def test_erasure_forgets_the_birthday_timer() -> None:
    state, triggers = run([born(7), erasure(at=T0 + days(1))], until=JULY_2026 + days(1))
    assert (pending(state, NAME), greetings(triggers)) == ([], [])


def test_an_unknown_default_time_zone_is_rejected_by_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("contact:\n  default_timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="contact.*Mars/Olympus"):
        load_policy(path)
