"""replenishment: a reminder with a stock-up offer shortly before the customer is due to buy a consumable again.

Per category the customer bought that has a cycle, one timer (key = the category) at the last purchase there
plus the cycle minus ``lead_days`` (day 25 of a 30-day cycle). The cycle is the customer's own, learned from
their purchases in the category (``habits.next_purchases``: the median gap, from two purchases on), else the
catalog's ``replenishment_days`` of the product last bought there (``streams.domain.product.cycles``: the answer arrives
after the order and sets the timer again), else the shop's known cycle in
``policy.replenishment.category_cycles_days``; a cycle no longer than the lead time gets no reminder. Every
order, cancellation or full refund in the category sets the timer again from the facts, so
a repurchase cancels the old reminder and sets the next one, with a cycle that now includes the latest gap, and
cancelling the repurchase brings the previous reminder back.

Purchases are judged by event time: the reminder for the purchase before the latest one, if it was due before
the latest purchase happened and was never sent (the engine was behind, or the offline run had no tick in
between), is still sent, and the next one is set when it fires. At fire time the rule checks again that no
purchase in the category happened between the one the timer was set from and the due time. Cancelled and fully
refunded orders are not purchases here; "never sent" relies on the engine's remembered trigger ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from schemas import events as ev
from schemas.control import ProductCycle
from schemas.triggers import ProductRef, TriggerType, trigger_id_for
from streams.domain.customer.habits import next_purchases
from streams.domain.customer.state import CustomerState, OrderRecord, Timer
from streams.domain.decision import Decision, Stimulus, TimerDue, cancel, make_trigger, schedule
from streams.domain.policy import Policy

NAME: Final[TriggerType] = "replenishment"


@dataclass(frozen=True)
class Plan:
    """When to remind about a category, from the purchases up to ``since`` (the last of them)."""

    category: str
    since: datetime
    cycle: timedelta
    source: Literal["learned", "catalog", "policy"]
    purchases: int
    due_at: datetime

    @property
    def expected_at(self) -> datetime:
        return self.since + self.cycle


def _kept(state: CustomerState, up_to: datetime | None = None) -> tuple[OrderRecord, ...]:
    return tuple(o for o in state.orders if not o.voided_by() and (up_to is None or o.at <= up_to))


def _times(state: CustomerState, category: str) -> list[datetime]:
    """When the customer bought in the category, oldest first (orders at one instant count once)."""
    return sorted({o.at for o in _kept(state) if category in o.categories})


def plan(state: CustomerState, category: str, policy: Policy, up_to: datetime | None = None) -> Plan | None:
    """The reminder for the last purchase in the category up to ``up_to`` (default: all), if it has a cycle."""
    orders = _kept(state, up_to)
    bought = [o for o in orders if category in o.categories]
    if not bought:
        return None
    since = max(o.at for o in bought)
    learned = next(
        (
            p
            for p in next_purchases(state.model_copy(update={"orders": orders}), policy.repurchase)
            if p.category == category
        ),
        None,
    )
    catalog = min(
        (o.catalog_cycles[category] for o in bought if o.at == since and category in o.catalog_cycles), default=None
    )
    known = policy.replenishment.category_cycles_days.get(category)
    source: Literal["learned", "catalog", "policy"]
    if learned is not None:
        cycle, source = learned.due_at - learned.last_purchase_at, "learned"
    elif catalog is not None:
        cycle, source = timedelta(days=catalog), "catalog"
    elif known is not None:
        cycle, source = timedelta(days=known), "policy"
    else:
        return None
    lead = timedelta(days=policy.replenishment.lead_days)
    if cycle <= lead:
        return None
    return Plan(
        category=category, since=since, cycle=cycle, source=source, purchases=len(bought), due_at=since + cycle - lead
    )


def _occasion(category: str, since: datetime) -> str:
    return f"{category}|{since.isoformat()}"


def _sent(state: CustomerState, category: str, since: datetime) -> bool:
    return trigger_id_for(NAME, state.customer_id, _occasion(category, since)) in state.fired_trigger_ids


def _bought_between(state: CustomerState, category: str, after: datetime, by: datetime) -> bool:
    return any(after < at <= by for at in _times(state, category))


def _timer(p: Plan) -> Timer:
    return Timer(kind=NAME, key=p.category, due_at=p.due_at, since=p.since)


def _next(state: CustomerState, category: str, policy: Policy, after: datetime | None = None) -> Timer | None:
    """The reminder the category needs: the one for the purchase before the latest if it was due before the latest
    happened and was never sent, else the one for the latest purchase, if not sent. Only purchases after ``after``
    (the one whose reminder just fired), so reminders only move forward."""
    times = [t for t in _times(state, category) if after is None or t > after]
    owed = plan(state, category, policy, up_to=times[-2]) if len(times) >= 2 else None
    latest = plan(state, category, policy) if times else None
    for candidate in (owed, latest):
        if candidate is None or _sent(state, category, candidate.since):
            continue
        if candidate is latest or candidate.due_at < times[-1]:
            return _timer(candidate)
    return None


def _reschedule(state: CustomerState, category: str, policy: Policy, after: datetime | None = None) -> CustomerState:
    timer = _next(state, category, policy, after)
    return cancel(state, NAME, category) if timer is None else schedule(state, timer)


def _on_order(state: CustomerState, order_id: str, policy: Policy, refund: bool = False) -> Decision:
    """Set the order's categories' timers again from the facts; a partial refund changes no purchase."""
    order = next((o for o in state.orders if o.order_id == order_id), None)
    if order is None or (refund and not order.voided_by()):
        return Decision(state)
    for category in order.categories:
        state = _reschedule(state, category, policy)
    return Decision(state)


def _fire(state: CustomerState, timer: Timer, now: datetime, policy: Policy) -> Decision:
    category = timer.key
    then = plan(state, category, policy, up_to=timer.since)
    if then is None or then.since != timer.since or _bought_between(state, category, timer.since, timer.due_at):
        return Decision(_reschedule(state, category, policy, after=timer.since))
    if then.due_at > timer.due_at:  # the cycle grew since the timer was set (a policy change): wait for it
        return Decision(schedule(state, _timer(then)))
    lead = policy.replenishment.lead_days
    rhythm = {
        "learned": f"their own rhythm over {then.purchases} purchases",
        "catalog": "the catalog's cycle for the product",
        "policy": f"the usual cycle for {category}",
    }[then.source]
    # Line categories are not kept per product: products are named from the orders with this category only.
    products = sorted(
        {p for o in _kept(state) if o.at == timer.since and o.categories == (category,) for p in o.product_ids}
    )
    trigger = make_trigger(
        NAME,
        state,
        occasion=_occasion(category, timer.since),
        due_at=timer.due_at,
        now=now,
        policy=policy,
        reason=(
            f"Last bought {category} on {timer.since.date().isoformat()} and buys it every "
            f"{then.cycle / timedelta(days=1):g} days ({rhythm}): the next purchase is expected on "
            f"{then.expected_at.date().isoformat()}, a reminder {lead:g} days before."
        ),
        products=tuple(ProductRef(product_id=p, category=category) for p in products),
        categories=(category,),
        offer=policy.replenishment.offer,
        facts={
            "category": category,
            "cycle_days": round(then.cycle / timedelta(days=1), 2),
            "cycle_source": then.source,
            "purchases_in_category": then.purchases,
            "last_purchase_at": timer.since.isoformat(),
            "expected_purchase_at": then.expected_at.isoformat(),
            "lead_days": lead,
        },
    )
    return Decision(_reschedule(state, category, policy, after=timer.since), (trigger,))


def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    match stimulus:
        case ev.OrderPlaced() | ev.OrderCancelled() | ev.OrderRefunded() if policy.replenishment.enabled:
            return _on_order(state, stimulus.order_id, policy, refund=isinstance(stimulus, ev.OrderRefunded))
        case ProductCycle(category=category) if policy.replenishment.enabled:
            return Decision(_reschedule(state, category, policy))
        case TimerDue(timer=timer) if timer.kind == NAME and policy.replenishment.enabled:
            return _fire(state, timer, now, policy)
    return Decision(state)


__all__ = ["NAME", "Plan", "decide", "plan"]
