"""``handle_event`` and ``advance``: fold, run every rule, fire due timers, collect triggers."""

from __future__ import annotations

from datetime import datetime

from schemas import events as ev
from streams.core.decision import Decision, TimerDue
from streams.core.fold import evolve
from streams.core.state import CustomerState
from streams.policy import Policy
from streams.rules import RULES, RULES_BY_NAME

__all__ = ["advance", "handle_event"]


def advance(state: CustomerState, now: datetime, policy: Policy) -> Decision:
    """Fire every timer due at or before ``now``, earliest first; each rule re-checks its conditions."""
    triggers: list = []
    while (due := sorted((t for t in state.timers if t.due_at <= now), key=lambda t: (t.due_at, t.kind, t.key))):
        timer = due[0]
        remaining = tuple(t for t in state.timers if t is not timer)
        state = state.model_copy(update={"timers": remaining, "revision": state.revision + 1})
        decision = RULES_BY_NAME[timer.kind].decide(state, TimerDue(timer), max(now, timer.due_at), policy)
        state, triggers = decision.state, [*triggers, *decision.triggers]
    return Decision(state, tuple(triggers))


def handle_event(state: CustomerState, event: ev.CustomerEvent, now: datetime, policy: Policy) -> Decision:
    """Fold the event, let every rule see it, then fire what is due at ``now``.

    Rules judge by event time (a purchase counts if it happened before a timer was due), so the
    outcome does not depend on the order in which a customer's records from different topics arrive.
    """
    if event.event_id in state.seen_event_ids:
        return Decision(state)
    state, triggers = evolve(state, event, policy.limits), []
    for rule in RULES:
        decision = rule.decide(state, event, now, policy)
        state, triggers = decision.state, [*triggers, *decision.triggers]
    after = advance(state, now, policy)
    return Decision(after.state, (*triggers, *after.triggers))
