"""Attribution and uplift of the contact stage: per trigger type, the customers sent one against those held out.

Pure: decision records and orders in, figures out. Per type:

- **treated**: customers sent at least one trigger of the type; **control**: customers held out at least once
  and never sent one of the type (the control groups are drawn per type and customer, so the two never mix
  unless the holdout share changed in between).
- An order counts for a customer's group when it comes after one of their decisions of the type
  (``decided_at < order <= decided_at + attribution_days``; the union of the windows, so an order counts once).
  An order at the decision's own moment (the first order that gives a ``welcome``) does not count. Only
  decisions whose window has closed by ``until`` are used: later ones cannot see all their orders yet.
- Orders are the log's ``order_placed`` (a repeated ``order_id`` once), less the cancelled; revenue is their
  total less the refunds of them in the log (face value: amounts are taken in the log's currency).
- Conversion: the share of a group's customers with at least one order in their windows. The uplift in
  conversion is the difference of the two shares, with **Newcombe's hybrid score interval** (Newcombe 1998,
  method 10, from two Wilson intervals: good coverage at small counts and near 0 or 1). The uplift in orders
  (and revenue) per customer is the difference of two means with a **Wald interval** using each group's own
  variance (Welch's standard error, normal quantile), given from ``MIN_CUSTOMERS`` customers a group.
  Customers needed: per group, to detect the observed conversion uplift with the two-proportion formula
  (Fleiss, without continuity correction) at a two-sided alpha of 0.05 and a power of 0.8.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import norm

from schemas import events as ev
from schemas.base import Envelope
from schemas.decisions import ContactDecision
from schemas.triggers import TriggerType

__all__ = [
    "ALPHA",
    "MIN_CUSTOMERS",
    "POWER",
    "Group",
    "Interval",
    "Purchase",
    "TypeUplift",
    "customers_needed",
    "mean_difference",
    "newcombe_difference",
    "purchases",
    "uplift_by_type",
    "wilson",
]

ALPHA = 0.05
POWER = 0.8
MIN_CUSTOMERS = 10
"""Fewer customers in a group and the Wald intervals are left out: a mean and a variance from a handful of
customers make a normal interval of poor coverage (the Newcombe interval of the conversion is still given)."""


@dataclass(frozen=True)
class Purchase:
    """An order that counts, as the attribution sees it."""

    customer_id: str
    order_id: str
    at: datetime
    revenue: float


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(_Figures):
    """An estimate with its two-sided confidence interval."""

    estimate: float
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


class Group(_Figures):
    """One group's customers and what they did within their attribution windows (None: an empty group)."""

    customers: int = Field(ge=0)
    converted: int = Field(ge=0, description="Customers with at least one order in their windows.")
    orders: int = Field(ge=0, description="Orders in the windows (each order once per customer).")
    revenue: float = Field(ge=0)
    conversion_rate: float | None = Field(ge=0, le=1)
    orders_per_customer: float | None = Field(ge=0)
    revenue_per_customer: float | None = Field(ge=0)


class TypeUplift(_Figures):
    """Treated (sent) against control (held out) for one trigger type."""

    type: TriggerType
    attribution_days: float
    treated: Group
    control: Group
    conversion_uplift: Interval | None = Field(description="Treated minus control conversion; Newcombe hybrid score.")
    orders_uplift: Interval | None = Field(
        description="Orders per customer, treated minus control; Wald (Welch SE); None below MIN_CUSTOMERS a group."
    )
    revenue_uplift: Interval | None = Field(description="Revenue per customer, treated minus control; the same.")
    customers_needed: int | None = Field(
        description="Per group, to detect the observed conversion uplift (two-sided alpha 0.05, power 0.8); "
        "None when there is no uplift to detect or a group is empty."
    )


def _z(probability: float) -> float:
    return float(norm.ppf(probability))


def wilson(successes: int, n: int, alpha: float = ALPHA) -> tuple[float, float] | None:
    """Wilson's score interval of a proportion; None for no trials."""
    if n <= 0:
        return None
    z, p = _z(1 - alpha / 2), successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(centre - half, 0.0), min(centre + half, 1.0)


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, alpha: float = ALPHA) -> Interval | None:
    """``x1/n1 - x2/n2`` with Newcombe's hybrid score interval; None when a group is empty."""
    first, second = wilson(x1, n1, alpha), wilson(x2, n2, alpha)
    if first is None or second is None:
        return None
    (l1, u1), (l2, u2), p1, p2 = first, second, x1 / n1, x2 / n2
    d = p1 - p2
    return Interval(
        estimate=d,
        low=d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        high=d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def _mean_var(values: Sequence[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def mean_difference(first: Sequence[float], second: Sequence[float], alpha: float = ALPHA) -> Interval | None:
    """``mean(first) - mean(second)`` with a Wald interval on Welch's standard error; None below two values a
    group (no variance to estimate)."""
    if len(first) < 2 or len(second) < 2:
        return None
    (m1, v1), (m2, v2) = _mean_var(first), _mean_var(second)
    half = _z(1 - alpha / 2) * math.sqrt(v1 / len(first) + v2 / len(second))
    return Interval(estimate=m1 - m2, low=m1 - m2 - half, high=m1 - m2 + half)


def customers_needed(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Customers per group for a two-sided test of ``p1`` against ``p2`` to reach ``power`` (Fleiss, no continuity
    correction); None when the two are equal (nothing to detect) or a share is outside [0, 1]."""
    if p1 == p2 or not (0 <= p1 <= 1 and 0 <= p2 <= 1):
        return None
    mean = (p1 + p2) / 2
    z_a, z_b = _z(1 - alpha / 2), _z(power)
    root = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(round(root**2 / (p1 - p2) ** 2, 9))


def purchases(events: Iterable[Envelope]) -> list[Purchase]:
    """The orders of a log that count: placed (first of a repeated id), not cancelled, less their refunds."""
    placed: dict[str, ev.OrderPlaced] = {}
    cancelled: set[str] = set()
    refunded: defaultdict[str, float] = defaultdict(float)
    for event in events:
        if isinstance(event, ev.OrderPlaced):
            placed.setdefault(event.order_id, event)
        elif isinstance(event, ev.OrderCancelled):
            cancelled.add(event.order_id)
        elif isinstance(event, ev.OrderRefunded):
            refunded[event.order_id] += event.amount
    return [
        Purchase(o.customer_id, o.order_id, o.occurred_at, max(o.total - refunded[o.order_id], 0.0))
        for order_id, o in placed.items()
        if order_id not in cancelled
    ]


def _in_windows(orders: Sequence[Purchase], starts: Sequence[datetime], window: timedelta) -> list[Purchase]:
    return [o for o in orders if any(s < o.at <= s + window for s in starts)]


def _group(
    windows: Mapping[str, Sequence[datetime]], orders: Mapping[str, Sequence[Purchase]], window: timedelta
) -> tuple[Group, list[float], list[float]]:
    """The group's figures, and each customer's orders and revenue in their windows."""
    counts: list[float] = []
    revenues: list[float] = []
    for customer_id, starts in windows.items():
        mine = _in_windows(orders.get(customer_id, ()), starts, window)
        counts.append(float(len(mine)))
        revenues.append(sum(o.revenue for o in mine))
    n = len(counts)
    group = Group(
        customers=n,
        converted=sum(c > 0 for c in counts),
        orders=int(sum(counts)),
        revenue=round(sum(revenues), 2),
        conversion_rate=sum(c > 0 for c in counts) / n if n else None,
        orders_per_customer=sum(counts) / n if n else None,
        revenue_per_customer=sum(revenues) / n if n else None,
    )
    return group, counts, revenues


def _uplift(
    trigger_type: TriggerType,
    days: float,
    decisions: Sequence[ContactDecision],
    orders: Mapping[str, Sequence[Purchase]],
    alpha: float,
    power: float,
    min_customers: int,
) -> TypeUplift:
    sent: defaultdict[str, list[datetime]] = defaultdict(list)
    held: defaultdict[str, list[datetime]] = defaultdict(list)
    for d in decisions:
        (sent if d.outcome == "sent" else held)[d.customer_id].append(d.decided_at)
    control_windows = {c: starts for c, starts in held.items() if c not in sent}
    window = timedelta(days=days)
    treated, t_orders, t_revenue = _group(sent, orders, window)
    control, c_orders, c_revenue = _group(control_windows, orders, window)
    needed = None
    if treated.conversion_rate is not None and control.conversion_rate is not None:
        needed = customers_needed(treated.conversion_rate, control.conversion_rate, alpha, power)
    wald = min(treated.customers, control.customers) >= min_customers
    return TypeUplift(
        type=trigger_type,
        attribution_days=days,
        treated=treated,
        control=control,
        conversion_uplift=newcombe_difference(
            treated.converted, treated.customers, control.converted, control.customers, alpha
        ),
        orders_uplift=mean_difference(t_orders, c_orders, alpha) if wald else None,
        revenue_uplift=mean_difference(t_revenue, c_revenue, alpha) if wald else None,
        customers_needed=needed,
    )


def uplift_by_type(
    decisions: Iterable[ContactDecision],
    orders: Iterable[Purchase],
    attribution_days: Mapping[TriggerType, float],
    until: datetime | None = None,
    *,
    alpha: float = ALPHA,
    power: float = POWER,
    min_customers: int = MIN_CUSTOMERS,
) -> tuple[TypeUplift, ...]:
    """Per type with a sent or held-out decision whose window closed by ``until`` (None: all), in the order of
    ``attribution_days``: the two groups and the uplifts (None where a group is too small)."""
    by_type: defaultdict[str, list[ContactDecision]] = defaultdict(list)
    for d in decisions:
        if d.outcome not in ("sent", "held_out") or d.type not in attribution_days:
            continue
        if until is None or d.decided_at + timedelta(days=attribution_days[d.type]) <= until:
            by_type[d.type].append(d)
    by_customer: defaultdict[str, list[Purchase]] = defaultdict(list)
    for order in orders:
        by_customer[order.customer_id].append(order)
    return tuple(
        _uplift(t, days, by_type[t], by_customer, alpha, power, min_customers)
        for t, days in attribution_days.items()
        if by_type.get(t)
    )
