"""``handle_event`` and ``advance``: fold, run every rule, fire due timers, collect triggers."""

from __future__ import annotations

from datetime import datetime

from schemas import events as ev
from schemas.control import ProductAlert
from schemas.triggers import Trigger
from streams.core.decision import Decision, Stimulus, TimerDue
from streams.core.fold import evolve
from streams.core.state import CustomerState
from streams.policy import Policy
from streams.rules import RULES, RULES_BY_NAME

__all__ = ["advance", "handle_alert", "handle_event"]


def _once(decision: Decision, policy: Policy) -> Decision:
    """Drop triggers this customer was already sent (same id) and remember the new ones."""
    fresh = tuple({t.trigger_id: t for t in decision.triggers if t.trigger_id not in decision.state.fired_trigger_ids}.values())
    if not fresh:
        return Decision(decision.state)
    fired = (*decision.state.fired_trigger_ids, *(t.trigger_id for t in fresh))[-policy.limits.remembered_triggers:]
    return Decision(decision.state.model_copy(update={"fired_trigger_ids": fired}), fresh)


def advance(state: CustomerState, now: datetime, policy: Policy) -> Decision:
    """Fire every timer due at or before ``now``, earliest first; each rule re-checks its conditions."""
    triggers: list[Trigger] = []
    while (due := sorted((t for t in state.timers if t.due_at <= now), key=lambda t: (t.due_at, t.kind, t.key))):
        timer = due[0]
        remaining = tuple(t for t in state.timers if t is not timer)
        state = state.model_copy(update={"timers": remaining, "revision": state.revision + 1})
        decision = RULES_BY_NAME[timer.kind].decide(state, TimerDue(timer), max(now, timer.due_at), policy)
        state, triggers = decision.state, [*triggers, *decision.triggers]
    return _once(Decision(state, tuple(triggers)), policy)


def _decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    """Every rule sees the stimulus in turn, then whatever is due at ``now`` fires."""
    triggers: list[Trigger] = []
    for rule in RULES:
        decision = rule.decide(state, stimulus, now, policy)
        state, triggers = decision.state, [*triggers, *decision.triggers]
    decided = _once(Decision(state, tuple(triggers)), policy)
    after = advance(decided.state, now, policy)
    return Decision(after.state, (*decided.triggers, *after.triggers))


def handle_alert(state: CustomerState, alert: ProductAlert, now: datetime, policy: Policy) -> Decision:
    """A product the customer may watch moved (not a fact about the customer, so nothing is folded)."""
    return _decide(state, alert, now, policy)


def handle_event(state: CustomerState, event: ev.CustomerEvent, now: datetime, policy: Policy) -> Decision:
    """Fold the event, let every rule see it, then fire what is due at ``now``.

    Rules judge by event time (a purchase counts if it happened before a timer was due), so the
    outcome does not depend on the order in which a customer's records from different topics arrive.
    """
    if event.event_id in state.seen_event_ids:
        return Decision(state)
    return _decide(evolve(state, event, policy.limits), event, now, policy)
