"""Send windows in the customer's local time: quiet hours and preferred slots, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from streams.domain.contact.policy import ContactPolicy, TypeContactPolicy

__all__ = ["local_day_start", "next_window", "zone_named"]

_DAY = timedelta(days=1)


def zone_named(name: str | bool | None, policy: ContactPolicy) -> ZoneInfo:
    """The customer's zone (their profile's ``timezone`` fact), else the policy's default."""
    return ZoneInfo(name if isinstance(name, str) else policy.default_timezone)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time. A time skipped by a clock change keeps the offset before it (02:30
    on a spring-forward night in Berlin is 03:30 summer time); a repeated one is its first occurrence."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    return _instant(day, time(0), zone)


def _open_hours(day: date, settings: TypeContactPolicy, policy: ContactPolicy) -> list[tuple[time, time | None]]:
    """A local day's allowed intervals as wall times, earliest first (None: the midnight ending the day)."""
    if settings.slots:
        wanted = (policy.slots[name] for name in settings.slots)
        hours: list[tuple[time, time | None]] = [(s.start, s.end) for s in wanted if day.weekday() in s.days]
    else:
        hours = [(time(0), None)]
    quiet_start, quiet_end = policy.quiet_start, policy.quiet_end
    if quiet_start == quiet_end:
        return sorted(hours, key=lambda h: h[0])
    if quiet_end < quiet_start:
        awake: list[tuple[time, time | None]] = [(quiet_end, quiet_start)]
    else:
        awake = [(time(0), quiet_start), (quiet_end, None)]
    allowed = []
    for start, end in hours:
        for awake_start, awake_end in awake:
            lo, hi = max(start, awake_start), _earlier(end, awake_end)
            if hi is None or lo < hi:
                allowed.append((lo, hi))
    return sorted(allowed, key=lambda h: h[0])


def _earlier(a: time | None, b: time | None) -> time | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def next_window(
    at: datetime, zone: ZoneInfo, settings: TypeContactPolicy, policy: ContactPolicy, until: datetime
) -> datetime | None:
    """The first moment at or after ``at`` inside the type's send window in ``zone``; None if none by ``until``."""
    day, last = at.astimezone(zone).date() - _DAY, until.astimezone(zone).date()
    while day <= last:  # from the day before: its interval may still be open at ``at``
        for start, end in _open_hours(day, settings, policy):
            opens = _instant(day, start, zone)
            closes = _instant(day + _DAY, time(0), zone) if end is None else _instant(day, end, zone)
            if opens > until:
                return None
            if max(opens, at) < closes:
                return max(opens, at)
        day += _DAY
    return None
