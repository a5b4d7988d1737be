"""Weekly figures of a shop, computed by replaying its event log through the pure engine.

Weeks run from Monday 00:00 to the next Monday 00:00 at the UTC offset of the earliest event (the
shop's own zone in practice: +08:00 for a shop in China). The first week holds the earliest event,
the last the latest one; the replay runs to the end of the last week (``streams.engine.reference.checkpoints``,
a checkpoint at every week end). At each week end every known customer is classified as
``derive_profile`` would (lifecycle stage, tier, named segments) from the events before it.
Triggers count in the week of their ``due_at``; those due outside the weeks only in the totals. The contact
section (``streams.tools.report.contact``) counts the replay's contact decisions and measures the uplift of
the triggers sent against those held out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.base import Envelope
from schemas.profile import Lifecycle, Tier
from schemas.triggers import Trigger, TriggerType
from streams.domain.customer import segments
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.engine.reference import checkpoints as reference_checkpoints
from streams.tools.report.contact import ContactSection, contact_section

__all__ = ["LIFECYCLES", "Report", "TIERS", "TRIGGER_TYPES", "Totals", "Week", "compute_report", "repurchase_rate"]

_WEEK = timedelta(days=7)
LIFECYCLES: tuple[Lifecycle, ...] = get_args(Lifecycle)
TIERS: tuple[Tier, ...] = get_args(Tier)
TRIGGER_TYPES: tuple[TriggerType, ...] = get_args(TriggerType)


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Week(_Figures):
    """Where the customers stand at the week's end, and the triggers due during the week."""

    start: AwareDatetime
    end: AwareDatetime
    customers: int = Field(ge=0, description="Customers the engine knows by the week's end (any event).")
    buyers: int = Field(ge=0, description="Customers with at least one order that counts.")
    repeat_buyers: int = Field(ge=0, description="Customers with two orders or more.")
    repurchase_rate: float | None = Field(ge=0, le=1, description="repeat_buyers / buyers; null without buyers.")
    lifecycle: dict[Lifecycle, int] = Field(description="Customers per stage (every stage, zeros included).")
    segments: dict[str, int] = Field(description="Customers per named segment; a customer can be in several.")
    tiers: dict[Tier, int] = Field(description="Customers per membership tier (every tier).")
    triggers: dict[TriggerType, int] = Field(description="Triggers due in the week, per type (every type).")


class Totals(_Figures):
    """The whole period: the customers as they stand at the end of the last week, every trigger given."""

    customers: int = Field(ge=0)
    buyers: int = Field(ge=0)
    repeat_buyers: int = Field(ge=0)
    repurchase_rate: float | None = Field(ge=0, le=1)
    orders: int = Field(ge=0, description="Orders placed and not cancelled.")
    revenue: float = Field(ge=0, description="Net of refunds and cancellations.")
    triggers: int = Field(ge=0, description="Every trigger given, due in the weeks or not.")
    triggers_outside: int = Field(ge=0, description="Triggers due before the first or after the last week.")


class Report(_Figures):
    """Weekly series and totals of one event log under one policy."""

    policy_version: str
    zone: str = Field(description="The UTC offset at which weeks start on Monday 00:00, e.g. UTC+08:00.")
    start: AwareDatetime
    end: AwareDatetime
    events: int = Field(ge=0)
    weeks: tuple[Week, ...]
    totals: Totals
    contact: ContactSection = Field(description="The replay's contact decisions and the uplift per trigger type.")


def repurchase_rate(order_counts: Iterable[int]) -> float | None:
    """Share of the customers with an order who have two or more; None when nobody has ordered."""
    buyers = [n for n in order_counts if n >= 1]
    return round(sum(n >= 2 for n in buyers) / len(buyers), 4) if buyers else None


def _week_start(moment: datetime, zone: timezone) -> datetime:
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, local.day, tzinfo=zone) - timedelta(days=local.weekday())


def _week(start: datetime, customers: Mapping[str, CustomerState], triggers: Counter[str], policy: Policy) -> Week:
    end = start + _WEEK
    stages: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    named: Counter[str] = Counter()
    for state in customers.values():
        stages[segments.lifecycle(state, end, policy.lifecycle)] += 1
        tiers[segments.tier(state, policy.tiers)] += 1
        named.update(segments.named_segments(state, end, policy))
    counts = [state.order_count for state in customers.values()]
    return Week(
        start=start,
        end=end,
        customers=len(counts),
        buyers=sum(n >= 1 for n in counts),
        repeat_buyers=sum(n >= 2 for n in counts),
        repurchase_rate=repurchase_rate(counts),
        lifecycle={s: stages[s] for s in LIFECYCLES},
        segments=dict(sorted(named.items())),
        tiers={t: tiers[t] for t in TIERS},
        triggers={t: triggers[t] for t in TRIGGER_TYPES},
    )


def compute_report(events: Sequence[Envelope], policy: Policy, triggers: Sequence[Trigger] | None = None) -> Report:
    """The weekly figures of ``events``; ``triggers`` default to those of the replay itself."""
    if not events:
        raise ValueError("no events to report on")
    first = min(events, key=lambda e: e.occurred_at).occurred_at
    zone = timezone(first.utcoffset() or timedelta(0))
    start = _week_start(first, zone)
    last = max(e.occurred_at for e in events)
    end = _week_start(last, zone) + _WEEK
    starts = [start + i * _WEEK for i in range((end - start) // _WEEK)]
    checkpoints = list(reference_checkpoints(events, policy, end, marks=[s + _WEEK for s in starts]))
    final = checkpoints[-1].customers.values()
    given = checkpoints[-1].triggers if triggers is None else tuple(triggers)
    due: list[Counter[str]] = [Counter() for _ in starts]
    for trigger in given:
        if start <= trigger.due_at < end:
            due[(trigger.due_at - start) // _WEEK][trigger.type] += 1
    weeks = tuple(_week(s, c.customers, d, policy) for s, c, d in zip(starts, checkpoints, due, strict=True))
    final_week = weeks[-1]
    totals = Totals(
        customers=final_week.customers,
        buyers=final_week.buyers,
        repeat_buyers=final_week.repeat_buyers,
        repurchase_rate=final_week.repurchase_rate,
        orders=sum(state.order_count for state in final),
        revenue=round(sum(max(state.total_spent, 0.0) for state in final), 2),
        triggers=len(given),
        triggers_outside=len(given) - sum(sum(d.values()) for d in due),
    )
    return Report(
        policy_version=policy.fingerprint,
        zone=str(zone),
        start=start,
        end=end,
        events=len(events),
        weeks=weeks,
        totals=totals,
        contact=contact_section(checkpoints[-1].decisions, events, policy, last),
    )
