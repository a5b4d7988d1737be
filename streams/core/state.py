"""Per-customer state: what the engine remembers, as an immutable value rebuilt by a fold."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from schemas.base import Contract

__all__ = ["CustomerState", "OrderRecord", "Timer", "View", "initial_state"]


class OrderRecord(Contract):
    """One order as far as the rules care: when, how much, what, and what happened to it after."""

    order_id: str
    at: AwareDatetime
    total: float
    refunded: float = 0
    cancelled: bool = False
    product_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def net(self) -> float:
        return 0.0 if self.cancelled else max(self.total - self.refunded, 0.0)


class View(Contract):
    product_id: str
    category: str
    at: AwareDatetime


class Timer(Contract):
    """A durable wake-up owned by one rule: due at ``due_at``, about what happened since ``since``."""

    kind: str
    key: str = ""
    due_at: AwareDatetime
    since: AwareDatetime


class CustomerState(Contract):
    customer_id: str
    order_count: int = Field(default=0, ge=0, description="Orders placed and not cancelled, all time.")
    total_spent: float = Field(default=0, description="Net of refunds and cancellations, all time.")
    max_order_value: float = 0
    first_order_at: AwareDatetime | None = None
    last_order_at: AwareDatetime | None = None
    orders: tuple[OrderRecord, ...] = Field(default=(), description="Most recent orders, oldest first (bounded).")
    views: tuple[View, ...] = Field(default=(), description="Most recent product views, oldest first (bounded).")
    timers: tuple[Timer, ...] = ()
    seen_event_ids: tuple[str, ...] = Field(default=(), description="Recent event ids, for dedupe (bounded).")
    last_event_at: AwareDatetime | None = None

    @property
    def next_due(self) -> datetime | None:
        return min((t.due_at for t in self.timers), default=None)


def initial_state(customer_id: str) -> CustomerState:
    return CustomerState(customer_id=customer_id)
