"""The one place that reads the wall clock. Event-time mode follows a watermark instead."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from typing import Literal, Protocol

__all__ = ["Clock", "EventClock", "WallClock", "make_clock"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def observe(self, at: datetime, source: Hashable | None = None) -> None:
        """An event from ``source`` (e.g. a topic partition) happened at ``at``; ``None``: every source."""

    def assign(self, sources: Iterable[Hashable]) -> None:
        """The sources this worker now reads (after a rebalance)."""

    def frontier(self) -> datetime:
        """The honest bound on what is still to come (may go back after a rebalance)."""


class WallClock:
    """Production: now is the machine's UTC time; events do not move it."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def observe(self, at: datetime, source: Hashable | None = None) -> None:
        return None

    def assign(self, sources: Iterable[Hashable]) -> None:
        return None

    def frontier(self) -> datetime:
        return self.now()


class EventClock:
    """Replays and tests: now is the watermark, the slowest assigned source's latest event time.

    Each source is read in order, so once every source has passed ``t`` no event before ``t`` is still
    to come. A source that is quiet (or empty) holds the watermark back until a global advance
    (``source=None``), which a replay sends at its end.
    """

    def __init__(self) -> None:
        self._latest: dict[Hashable, datetime] = {}
        self._floor = _EPOCH
        self._watermark = _EPOCH

    def now(self) -> datetime:
        """Never goes back, even when a rebalance hands this worker a partition that lags."""
        self._watermark = max(self._watermark, min(self._latest.values(), default=self._floor))
        return self._watermark

    def frontier(self) -> datetime:
        """The slowest assigned source's latest event time, without the watermark's never-go-back: after a
        rebalance it is the honest bound on what is still to come (a lagging partition pulls it back)."""
        return min(self._latest.values(), default=self._floor)

    def observe(self, at: datetime, source: Hashable | None = None) -> None:
        if source is None:
            self._floor = max(self._floor, at)
            self._latest = {s: max(t, at) for s, t in self._latest.items()}
        elif source in self._latest:  # a source not assigned here (a bogus origin, say) must not hold time back
            self._latest[source] = max(self._latest[source], at)

    def assign(self, sources: Iterable[Hashable]) -> None:
        self.now()  # settle the watermark reached so far before a lagging source can join
        self._latest = {s: self._latest.get(s, self._floor) for s in sources}


def make_clock(mode: Literal["wall", "event"]) -> Clock:
    return WallClock() if mode == "wall" else EventClock()
