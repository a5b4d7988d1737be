"""Per-customer state: what the engine remembers, as an immutable value rebuilt by a fold.

Everything here is either a commutative total (counts, sums) or a bounded, time-sorted record of
facts (orders, views, favorites), so the same events give the same state in any arrival order
within the bounds. Derived fields (RFM, lifecycle, affinities, cycles) are computed from it at a
given time by ``streams.domain.customer.profile``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.base import Contract
from schemas.control import CycleLookup
from streams.domain.contact.state import ContactLog

__all__ = [
    "Adjustment",
    "ArchivedOrders",
    "CustomerState",
    "HeldEvent",
    "Favorite",
    "FiredTrigger",
    "OrderRecord",
    "PendingAdjustment",
    "Stamped",
    "StateIndex",
    "Timer",
    "View",
    "initial_state",
    "remember_fired",
]


class Adjustment(Contract):
    """A refund (``refund`` > 0) or a cancellation of an order, at its event time."""

    at: AwareDatetime
    refund: float = 0
    cancel: bool = False


class OrderRecord(Contract):
    """One order as far as the rules care: when, how much, what, at what discount, and what happened after."""

    order_id: str
    at: AwareDatetime
    total: float
    refunded: float = 0
    cancelled: bool = False
    product_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    on_discount: bool = False
    discount_depth: float = Field(default=0, ge=0, le=1, description="1 - paid / undiscounted price.")
    adjustments: tuple[Adjustment, ...] = Field(default=(), description="Refunds and cancellations, by time.")
    voided_at: AwareDatetime | None = Field(default=None, description="When it was cancelled or refunded in full.")
    catalog_cycles: dict[str, int] = Field(
        default_factory=dict, description="Per category, the catalog's replenishment days of the products bought."
    )

    def voided_by(self, moment: datetime | None = None) -> bool:
        """Cancelled or refunded in full at ``moment`` (event time), or at all when ``moment`` is None."""
        return self.voided_at is not None and (moment is None or self.voided_at <= moment)

    @property
    def net(self) -> float:
        return 0.0 if self.cancelled else max(self.total - self.refunded, 0.0)


class ArchivedOrders(Contract):
    """Totals of the orders that fell out of the bounded ``orders`` record (oldest first)."""

    count: int = 0
    net: float = 0
    max_total: float = 0
    first_at: AwareDatetime | None = None
    last_at: AwareDatetime | None = None


class PendingAdjustment(Contract):
    """Refunds or cancellations that arrived before their order: applied when the order arrives."""

    order_id: str
    adjustments: tuple[Adjustment, ...] = ()


class View(Contract):
    product_id: str
    category: str
    at: AwareDatetime
    session_id: str | None = None


class Favorite(Contract):
    """The latest favorite action on a product (by event time)."""

    product_id: str
    category: str | None = None
    at: AwareDatetime
    active: bool


class Stamped(Contract):
    """A profile fact with the event time that set it (the latest wins); dates as ISO strings."""

    value: str | bool
    at: AwareDatetime


class HeldEvent(Contract):
    """Event-time mode: a customer event or product alert held until the watermark passes it."""

    at: AwareDatetime
    event_id: str
    kind: Literal["event", "alert"] = "event"
    payload_json: str


class Timer(Contract):
    """A durable wake-up owned by one rule: due at ``due_at``, about what happened since ``since``."""

    kind: str
    key: str = ""
    due_at: AwareDatetime
    since: AwareDatetime


class FiredTrigger(Contract):
    """A trigger the customer had, remembered so that it never fires twice."""

    trigger_id: str
    due_at: AwareDatetime


FORMERLY_FIRED = datetime(1970, 1, 1, tzinfo=UTC)  # the due time of ids remembered before due times were


def remember_fired(
    fired: tuple[FiredTrigger, ...], new: Iterable[FiredTrigger], limit: int
) -> tuple[FiredTrigger, ...]:
    """The ``limit`` latest by due time (then id) of the remembered and the new triggers, in that order: the same
    triggers leave the same record whatever order they came in."""
    return tuple(sorted({*fired, *new}, key=lambda f: (f.due_at, f.trigger_id)))[-limit:]


class CustomerState(Contract):
    customer_id: str
    revision: int = Field(default=0, ge=0, description="Grows with every change; orders projections.")
    orders: tuple[OrderRecord, ...] = Field(default=(), description="Most recent orders, oldest first (bounded).")
    archived: ArchivedOrders = ArchivedOrders()
    pending_adjustments: tuple[PendingAdjustment, ...] = ()
    views: tuple[View, ...] = Field(default=(), description="Most recent product views, oldest first (bounded).")
    favorites: tuple[Favorite, ...] = Field(default=(), description="Latest action per product (bounded).")
    facts: dict[str, Stamped] = Field(default_factory=dict, description="Profile, consent and follow facts.")
    earlier_facts: dict[str, tuple[Stamped, ...]] = Field(
        default_factory=dict,
        description="Per fact read as of a moment (consents, time zone), the values set before its latest, oldest "
        "first (bounded): the contact stage decides with those of its moment, however late its stimulus arrived.",
    )
    timers: tuple[Timer, ...] = ()
    held: tuple[HeldEvent, ...] = Field(default=(), description="Event-time mode: events waiting for the watermark.")
    awaiting: tuple[CycleLookup, ...] = Field(
        default=(), description="Cycle lookups not answered yet; event time holds newer events until they are."
    )
    seen_event_ids: tuple[str, ...] = Field(default=(), description="Recent event ids, for dedupe (bounded).")
    fired: tuple[FiredTrigger, ...] = Field(
        default=(),
        description="The latest triggers by due time (bounded), never emitted twice: kept in due-time order, so "
        "the same triggers leave the same record whatever order they came in.",
    )
    contact: ContactLog = Field(
        default=ContactLog(), description="The contact stage: waiting triggers, recent contacts."
    )
    last_event_at: AwareDatetime | None = None
    erased_at: AwareDatetime | None = Field(default=None, description="Forgotten at the customer's request then.")

    @model_validator(mode="before")
    @classmethod
    def _read_fired_trigger_ids(cls, data: Any) -> Any:
        """A state stored before triggers were remembered with their due times: its ids, due first to be forgotten."""
        if isinstance(data, dict) and "fired_trigger_ids" in data:
            data = dict(data)
            ids = data.pop("fired_trigger_ids")
            data.setdefault("fired", [{"trigger_id": i, "due_at": FORMERLY_FIRED} for i in sorted(ids)])
        return data

    @property
    def fired_trigger_ids(self) -> frozenset[str]:
        return frozenset(f.trigger_id for f in self.fired)

    @property
    def valid_orders(self) -> tuple[OrderRecord, ...]:
        return tuple(o for o in self.orders if not o.cancelled)

    @property
    def order_count(self) -> int:
        """Orders placed and not cancelled, all time."""
        return self.archived.count + len(self.valid_orders)

    @property
    def total_spent(self) -> float:
        """Net of refunds and cancellations, all time."""
        return round(self.archived.net + sum(o.net for o in self.orders), 2)

    @property
    def max_order_value(self) -> float:
        """Largest order not cancelled, all time (refunds do not lower it)."""
        return max((self.archived.max_total, *(o.total for o in self.valid_orders)))

    @property
    def first_order_at(self) -> datetime | None:
        return self.archived.first_at or min((o.at for o in self.valid_orders), default=None)

    @property
    def last_order_at(self) -> datetime | None:
        return max((o.at for o in self.valid_orders), default=self.archived.last_at)

    @property
    def next_due(self) -> datetime | None:
        """The earliest timer or held event."""
        return min((*(t.due_at for t in self.timers), *(h.at for h in self.held)), default=None)

    def wake_at(self, event_time: bool) -> datetime | None:
        """When the ticker should wake the customer: ``next_due``, except in event time while cycle answers
        are awaited (nothing moves until they come, and their arrival wakes the customer)."""
        return _wake_at(self.next_due, bool(self.awaiting), event_time)

    def find_order(self, order_id: str) -> OrderRecord | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    def as_of(self, moment: datetime) -> CustomerState:
        """The customer as known at ``moment``: later orders, views and favorites left out."""
        return self.model_copy(
            update={
                "orders": tuple(o for o in self.orders if o.at <= moment),
                "views": tuple(v for v in self.views if v.at <= moment),
                "favorites": tuple(f for f in self.favorites if f.at <= moment),
            }
        )

    def fact(self, name: str) -> str | bool | None:
        """The fact's latest value."""
        stamped = self.facts.get(name)
        return None if stamped is None else stamped.value

    def fact_at(self, name: str, moment: datetime, kept: int) -> str | bool | None:
        """A fact read as of a moment (``read_as_of``): the value set last at or before ``moment``. ``kept`` is
        how many earlier values the fold keeps (``limits.remembered_fact_changes``): when that many are kept and
        all came after ``moment``, the value then is unknown and the latest is given, the customer's current
        wish."""
        latest = self.facts.get(name)
        if latest is None or latest.at <= moment:
            return None if latest is None else latest.value
        earlier = self.earlier_facts.get(name, ())
        if len(earlier) >= kept and earlier[0].at > moment:
            return latest.value
        return next((e.value for e in reversed(earlier) if e.at <= moment), None)


def read_as_of(name: str) -> bool:
    """The facts the contact stage reads as of its decision's moment (consents, time zone): the fold keeps their
    earlier values."""
    return name.startswith("consent.") or name == "timezone"


def initial_state(customer_id: str) -> CustomerState:
    return CustomerState(customer_id=customer_id)


def _wake_at(next_due: datetime | None, awaiting: bool, event_time: bool) -> datetime | None:
    return None if event_time and awaiting else next_due


class _Due(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    due_at: AwareDatetime


class _At(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    at: AwareDatetime


class _Asked(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class StateIndex(BaseModel):
    """What a worker indexes of a stored state after a recovery: the customer, its timers' and held events'
    times, whether it awaits cycle answers and whether it was erased. Read from the stored JSON without the rest
    (about a quarter of the time of the whole state), for every customer a recovered worker holds."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    customer_id: str
    timers: tuple[_Due, ...] = ()
    held: tuple[_At, ...] = ()
    awaiting: tuple[_Asked, ...] = ()
    erased_at: AwareDatetime | None = None

    def wake_at(self, event_time: bool) -> datetime | None:
        """As ``CustomerState.wake_at``."""
        due = min((*(t.due_at for t in self.timers), *(h.at for h in self.held)), default=None)
        return _wake_at(due, bool(self.awaiting), event_time)
