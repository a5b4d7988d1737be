"""birthday: double points in the customer's birthday month, sent at 00:00 on its first day in their time zone.

A customer whose profile has a birthday (fact "birthday") gets a durable timer at the start of the next
birthday month in their zone (fact "timezone", else ``contact.default_timezone``), computed from when the
current birthday and zone became known (the profile event's time) or, after a firing, from the fired due
time. When it fires the trigger is emitted (occasion: the year, so once a year per customer, even if the
birthday changes to a later month of the same year) and next year's timer is set. A profile event that
changes the birthday or the zone reschedules; one that arrives during the birthday month fires for this
month right away (due at the event time). The timer's key records the birthday and zone it was computed
for, so a profile event that repeats them (or arrives late and loses to newer values) changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from schemas import events as ev
from schemas.triggers import TriggerType
from streams.domain.customer.state import CustomerState, Timer
from streams.domain.decision import Decision, Stimulus, TimerDue, cancel, make_trigger, schedule
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "birthday"


def _birthday(state: CustomerState) -> date | None:
    value = state.fact("birthday")
    return date.fromisoformat(value) if isinstance(value, str) else None


def _zone(state: CustomerState, policy: Policy) -> str:
    value = state.fact("timezone")
    return value if isinstance(value, str) else policy.contact.default_timezone


def _key(birthday: date, zone: str) -> str:
    return f"{birthday.isoformat()}|{zone}"


def month_start(after: datetime, month: int, zone: str, *, this_month: bool) -> datetime:
    """00:00 on the 1st of the next ``month`` after ``after`` in ``zone`` (in UTC); ``after`` itself if it falls in
    that month and ``this_month``."""
    local = after.astimezone(ZoneInfo(zone))
    if local.month == month and this_month:
        return after
    year = local.year if month > local.month else local.year + 1
    return datetime(year, month, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _pending(state: CustomerState) -> Timer | None:
    return next((t for t in state.timers if t.kind == NAME), None)


def _clear(state: CustomerState) -> CustomerState:
    for timer in [t for t in state.timers if t.kind == NAME]:
        state = cancel(state, NAME, timer.key)
    return state


def _on_profile(state: CustomerState, policy: Policy) -> Decision:
    birthday = _birthday(state)
    if birthday is None:
        return Decision(_clear(state))
    zone = _zone(state, policy)
    pending = _pending(state)
    if pending is not None and pending.key == _key(birthday, zone):
        return Decision(state)
    known_at = max(stamped.at for name, stamped in state.facts.items() if name in ("birthday", "timezone"))
    due = month_start(known_at, birthday.month, zone, this_month=True)
    return Decision(schedule(_clear(state), Timer(kind=NAME, key=_key(birthday, zone), due_at=due, since=known_at)))


def _fire(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    birthday = _birthday(state)
    if birthday is None:
        return Decision(state)
    zone = _zone(state, policy)
    local = timer.due_at.astimezone(ZoneInfo(zone))
    following = month_start(timer.due_at, birthday.month, zone, this_month=False)
    state = schedule(_clear(state), Timer(kind=NAME, key=_key(birthday, zone), due_at=following, since=timer.due_at))
    if not policy.birthday.enabled or local.month != birthday.month:
        return Decision(state)
    offer = policy.birthday.offer
    reason = (
        f"Birthday on {birthday.month:02d}-{birthday.day:02d}: {local.year}-{local.month:02d} is the customer's "
        f"birthday month in {zone} ({offer.description})."
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=str(local.year),
        due_at=timer.due_at,
        now=now,
        policy=policy,
        reason=reason,
        offer=offer,
        facts={
            "birthday": birthday.isoformat(),
            "birthday_month": birthday.month,
            "year": local.year,
            "timezone": zone,
        },
    )
    return Decision(state, (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.CustomerProfileChanged() if stimulus.birthday is not None or stimulus.timezone is not None:
            return _on_profile(state, policy)
        case TimerDue(timer=timer) if timer.kind == NAME:
            return _fire(state, timer, now, policy)
    return Decision(state)


__all__ = ["NAME", "decide", "month_start"]
