"""The reference run: the whole engine over an event log in one process, with no broker.

Customers and products are folded in event-time order, watch changes, product alerts, cycle lookups and
their answers are passed between them directly. Used to predict what the streaming pipeline must emit (the demo
checks it)
and, through ``checkpoints``, to look at the shop as it was at given times (the report).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.base import Envelope
from schemas.decisions import ContactDecision
from schemas.triggers import Trigger
from streams.domain.customer.state import CustomerState, initial_state
from streams.domain.decision import Decision
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers
from streams.engine.customer import CustomerMessage, advance, step
from streams.engine.product import ProductMessage, step_product

__all__ = ["Checkpoint", "ReferenceShop", "checkpoints", "run_reference"]


@dataclass(frozen=True)
class Checkpoint:
    """The shop at ``at``: every customer's state, the triggers sent and the contact decisions so far."""

    at: datetime
    customers: Mapping[str, CustomerState]
    triggers: tuple[Trigger, ...]
    decisions: tuple[ContactDecision, ...] = ()


@dataclass
class ReferenceShop:
    """The whole engine in one process: ``apply`` events in event-time order, then ``run_timers``."""

    policy: Policy
    customers: dict[str, CustomerState] = field(default_factory=dict)
    products: dict[str, ProductState] = field(default_factory=dict)
    watchers: dict[str, Watchers] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    decisions: list[ContactDecision] = field(default_factory=list)

    def _customer(self, customer_id: str) -> CustomerState:
        return self.customers.get(customer_id) or initial_state(customer_id)

    def _record(self, decision: Decision, at: datetime) -> None:
        self.customers[decision.state.customer_id] = decision.state
        self.triggers.extend(decision.triggers)
        self.decisions.extend(decision.outcomes)
        for message in decision.to_products:
            self._step_product(message, at)

    def _step(self, message: CustomerMessage, at: datetime) -> None:
        state = self._customer(message.customer_id)
        self._record(step(state, message, at, self.policy, event_time=False), at)

    def _step_product(self, message: ProductMessage, at: datetime) -> None:
        product_id = message.product_id
        product = self.products.get(product_id) or ProductState(product_id=product_id)
        watchers = self.watchers.get(product_id) or Watchers(product_id=product_id)
        decided = step_product(product, watchers, message, self.policy, None)
        self.products[product_id], self.watchers[product_id] = decided.product, decided.watchers
        for reply in decided.to_customers:
            self._step(reply, at)

    def apply(self, event: Envelope) -> None:
        at = event.occurred_at
        if hasattr(event, "customer_id"):
            self._step(event, at)  # type: ignore[arg-type]
        else:
            self._step_product(event, at)  # type: ignore[arg-type]

    def run_timers(self, until: datetime) -> None:
        """Fire what is due strictly before ``until``, as event time does when the final watermark is ``until``
        (a record of that very instant could still come)."""
        for state in list(self.customers.values()):
            self._record(advance(state, until, self.policy, before_only=True), until)

    def checkpoint(self, at: datetime) -> Checkpoint:
        return Checkpoint(at, dict(self.customers), tuple(self.triggers), tuple(self.decisions))


def checkpoints(
    events: Iterable[Envelope], policy: Policy, until: datetime, marks: Iterable[datetime] = ()
) -> Iterator[Checkpoint]:
    """The run in event-time order (at one instant customer events before catalog events, as the streaming
    product side waits for the customers), seen at each of ``marks`` before ``until`` and finally at ``until``.

    A mark's checkpoint follows every event strictly before it and changes nothing: timers still fire
    when their customer is next touched, as without marks, so the triggers so far can miss some due
    before the mark (timers never change the orders, views or facts a profile is derived from). The
    last checkpoint is at ``until``, after every event and every timer due before then.
    """
    shop = ReferenceShop(policy)
    left = deque(sorted(m for m in marks if m < until))
    for event in sorted(events, key=lambda e: (e.occurred_at, not hasattr(e, "customer_id"))):
        while left and left[0] <= event.occurred_at:
            yield shop.checkpoint(left.popleft())
        shop.apply(event)
    while left:
        yield shop.checkpoint(left.popleft())
    shop.run_timers(until)
    yield shop.checkpoint(until)


def run_reference(
    events: Iterable[Envelope], policy: Policy, until: datetime
) -> tuple[dict[str, CustomerState], tuple[Trigger, ...]]:
    """Every customer's final state and every trigger, events applied in time order, timers due before ``until``
    fired."""
    (end,) = deque(checkpoints(events, policy, until), maxlen=1)
    return dict(end.customers), end.triggers
