"""The reference run: the whole engine over an event log in one process, with no broker.

Used to predict what the streaming pipeline must emit (the demo checks it) and by replay tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schemas import events as ev
from schemas.triggers import Trigger
from streams.core.engine import advance, handle_event
from streams.core.state import CustomerState, initial_state
from streams.policy import Policy

__all__ = ["run_offline"]


def run_offline(
    events: Iterable[ev.CustomerEvent], policy: Policy, until: datetime
) -> tuple[dict[str, CustomerState], tuple[Trigger, ...]]:
    """Every customer's final state and every trigger, events applied in time order, timers run to ``until``."""
    states: dict[str, CustomerState] = {}
    triggers: list[Trigger] = []
    for event in sorted(events, key=lambda e: e.occurred_at):
        state = states.get(event.customer_id) or initial_state(event.customer_id)
        decision = handle_event(state, event, event.occurred_at, policy)
        states[event.customer_id], triggers = decision.state, [*triggers, *decision.triggers]
    for customer_id, state in states.items():
        decision = advance(state, until, policy)
        states[customer_id], triggers = decision.state, [*triggers, *decision.triggers]
    return states, tuple(triggers)
