"""The simulated workload every figure is measured on, and what the reference run says it must give."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from schemas import events as ev
from schemas.base import Envelope
from schemas.triggers import Trigger
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.engine.reference import checkpoints
from streams.tools.simulator import SHOP_ZONE, simulate_shop

__all__ = ["DEFAULT_START", "Workload", "shop_start"]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=SHOP_ZONE)


def shop_start(start: datetime, days: int, now: datetime | None = None) -> datetime:
    """``start`` (a naive one in the shop's zone), moved back when the shop would end after yesterday: intake
    dead-letters events further ahead of the wall clock than ``intake.max_future_skew_hours``."""
    start = start if start.tzinfo else start.replace(tzinfo=SHOP_ZONE)
    latest = (now or datetime.now(UTC)).astimezone(SHOP_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    latest -= timedelta(days=days + 1)
    return min(start, latest)


@dataclass(frozen=True)
class Workload:
    """A simulated shop's events (time order), when it ends (the final watermark) and the reference run's end."""

    seed: int
    customers: int
    days: int
    start: datetime
    events: list[Envelope]
    until: datetime
    triggers: tuple[Trigger, ...]
    states: dict[str, CustomerState]
    reference_seconds: float

    @classmethod
    def simulate(cls, seed: int, customers: int, days: int, start: datetime, policy: Policy) -> Workload:
        start = shop_start(start, days)
        events = list(simulate_shop(seed, customers, days, start))
        until = start + timedelta(days=days)
        began = time.perf_counter()
        (end,) = deque(checkpoints(events, policy, until), maxlen=1)
        took = time.perf_counter() - began
        return cls(seed, customers, days, start, events, until, end.triggers, dict(end.customers), took)

    @property
    def customer_events(self) -> list[ev.CustomerEvent]:
        return cast(list[ev.CustomerEvent], [e for e in self.events if hasattr(e, "customer_id")])

    def describe(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "customers": self.customers,
            "days": self.days,
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "events": len(self.events),
            "customer_events": len(self.customer_events),
            "customers_with_state": len(self.states),
            "expected_triggers": len(self.triggers),
            "reference_run_seconds": round(self.reference_seconds, 3),
        }
