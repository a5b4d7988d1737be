"""In-memory index of when each customer (or product) next needs waking, rebuilt from the state table.

The timers and held messages themselves live in the state (durable); this only tells the ticker whom to wake.
"""

from __future__ import annotations

import heapq
from datetime import datetime

__all__ = ["TimerIndex"]


class TimerIndex:
    """``strictly_before``: wake only what is due before ``now`` (event time, where what is due at the
    watermark itself waits until it moves on, see ``engine.customer.release``)."""

    def __init__(self, *, strictly_before: bool = False) -> None:
        self._strict = strictly_before
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        return len(self._due)

    def set(self, key: str, due: datetime | None) -> None:
        """Record the next due time of a customer or product (``None``: nothing pending)."""
        if due is None:
            self._due.pop(key, None)
        elif self._due.get(key) != due:
            self._due[key] = due
            heapq.heappush(self._heap, (due, key))

    def clear(self) -> None:
        self._due.clear()
        self._heap.clear()

    def earliest(self) -> datetime | None:
        """The earliest time recorded (stale heap entries are dropped on the way)."""
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: datetime) -> list[str]:
        """Customers with a timer due at or before ``now`` (before it, if strict); they leave the index until
        set again."""
        woken: list[str] = []
        while self._heap and (self._heap[0][0] < now if self._strict else self._heap[0][0] <= now):
            due, customer_id = heapq.heappop(self._heap)
            if self._due.get(customer_id) == due:  # else a stale heap entry
                del self._due[customer_id]
                woken.append(customer_id)
        return woken
