"""Frequency caps counted in the customer's local days, and the deterministic control groups."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.events import Channel
from streams.domain.contact.policy import CapPolicy, ContactPolicy
from streams.domain.contact.state import Contacted
from streams.domain.contact.windows import local_day_start

__all__ = ["blocking_cap", "cap_free_from", "control_group", "recent"]

_LONGEST_CAP_DAYS = 32


def _caps_for(channel: Channel, policy: ContactPolicy) -> list[CapPolicy]:
    return [cap for cap in policy.caps if cap.channel in (None, channel)]


def _counted_days(
    caps: list[CapPolicy], log: Sequence[Contacted], zone: ZoneInfo
) -> list[tuple[CapPolicy, list[date]]]:
    """Each cap with the local days of the contacts it counts (built once per question, not once per day tried)."""
    days = [(c.channel, c.at.astimezone(zone).date()) for c in log]
    return [(cap, [d for channel, d in days if cap.channel in (None, channel)]) for cap in caps]


def _full(cap: CapPolicy, days: list[date], day: date) -> bool:
    """Whether one more contact on local ``day`` would put more than ``cap.max`` into some ``cap.days`` local
    days in a row, given the local ``days`` of the contacts the cap counts. Every window that holds ``day``
    counts, later contacts too: on the wall clock a late event can make a trigger due before one already sent."""
    if len(days) < cap.max:  # too few contacts in all to fill any window
        return False
    for first in (day - timedelta(days=back) for back in range(cap.days)):
        last = first + timedelta(days=cap.days - 1)
        if sum(1 for d in days if first <= d <= last) >= cap.max:
            return True
    return False


def blocking_cap(
    log: Sequence[Contacted], at: datetime, zone: ZoneInfo, channel: Channel, policy: ContactPolicy
) -> CapPolicy | None:
    """The first cap with no room at ``at`` for a trigger on ``channel``; None when all have room."""
    today = at.astimezone(zone).date()
    counted = _counted_days(_caps_for(channel, policy), log, zone)
    return next((cap for cap, days in counted if _full(cap, days, today)), None)


def cap_free_from(
    log: Sequence[Contacted], at: datetime, zone: ZoneInfo, channel: Channel, policy: ContactPolicy
) -> datetime | None:
    """The start of the first local day from ``at``'s on which every cap has room (``at`` itself if today has);
    None if a cap never has room (max 0)."""
    if blocking_cap(log, at, zone, channel, policy) is None:
        return at
    caps = _caps_for(channel, policy)
    if any(cap.max == 0 for cap in caps):
        return None
    counted = _counted_days(caps, log, zone)
    today = at.astimezone(zone).date()
    for ahead in range(1, _LONGEST_CAP_DAYS * 2 + 1):
        day = today + timedelta(days=ahead)
        if not any(_full(cap, days, day) for cap, days in counted):
            return local_day_start(day, zone)
    return None


def recent(log: Sequence[Contacted], at: datetime) -> tuple[Contacted, ...]:
    """The contacts the longest cap can still count at ``at`` (older ones are forgotten)."""
    since = at - timedelta(days=_LONGEST_CAP_DAYS)
    return tuple(c for c in log if c.at >= since)


def _bucket(salt: str, scope: str, customer_id: str) -> float:
    """A stable number in [0, 100) per customer and scope."""
    digest = hashlib.sha256(f"{salt}|{scope}|{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def control_group(customer_id: str, trigger_type: str, policy: ContactPolicy) -> str | None:
    """``global_holdout`` or ``holdout`` when the customer is in a control group for this type, else None."""
    if _bucket(policy.holdout_salt, "*", customer_id) < policy.global_holdout_percent:
        return "global_holdout"
    if _bucket(policy.holdout_salt, trigger_type, customer_id) < policy.of(trigger_type).holdout_percent:
        return "holdout"
    return None
