"""The one place that reads the wall clock. Event-time mode follows the newest event seen instead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Protocol

__all__ = ["Clock", "EventClock", "WallClock", "make_clock"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def observe(self, at: datetime) -> None:
        """Tell the clock an event (or watermark) happened at ``at``."""


class WallClock:
    """Production: now is the machine's UTC time; events do not move it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def observe(self, at: datetime) -> None:
        return None


class EventClock:
    """Replays and tests: now is the watermark, the latest event time seen (it never goes back)."""

    def __init__(self, start: datetime = _EPOCH) -> None:
        self._watermark = start

    def now(self) -> datetime:
        return self._watermark

    def observe(self, at: datetime) -> None:
        self._watermark = max(self._watermark, at)


def make_clock(mode: Literal["wall", "event"]) -> Clock:
    return WallClock() if mode == "wall" else EventClock()
