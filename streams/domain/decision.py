"""What a rule returns, the stimulus a timer gives, and the helpers rules share to build them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from schemas import events as ev
from schemas.control import CycleLookup, ProductAlert, ProductCycle, WatchChanged
from schemas.decisions import ContactDecision
from schemas.triggers import Offer, ProductRef, Trigger, TriggerType, trigger_id_for
from streams.domain.customer.comeback import aim_trigger
from streams.domain.customer.profile import snapshot
from streams.domain.customer.state import CustomerState, Timer
from streams.domain.policy import Policy

__all__ = ["Decision", "Rule", "Stimulus", "TimerDue", "ToProduct", "cancel", "make_trigger", "schedule", "timer_of"]


@dataclass(frozen=True)
class TimerDue:
    """A timer whose time has come; the engine has already removed it from the state."""

    timer: Timer


Stimulus = ev.CustomerEvent | TimerDue | ProductAlert | ProductCycle
ToProduct = WatchChanged | CycleLookup


@dataclass(frozen=True)
class Decision:
    """The new state, the triggers to publish, the messages for the product side (changes in what products the
    customer watches, cycle lookups) and the contact stage's decision records."""

    state: CustomerState
    triggers: tuple[Trigger, ...] = field(default=())
    to_products: tuple[ToProduct, ...] = field(default=())
    outcomes: tuple[ContactDecision, ...] = field(default=())

    def then(self, later: Decision) -> Decision:
        """This decision followed by ``later`` (taken from this one's state): the later state, everything sent."""
        return Decision(
            later.state,
            (*self.triggers, *later.triggers),
            (*self.to_products, *later.to_products),
            (*self.outcomes, *later.outcomes),
        )


class Rule(NamedTuple):
    name: str
    decide: Callable[[CustomerState, Stimulus, datetime, Policy], Decision]
    stimuli: tuple[type, ...]  # the stimulus types it reacts to besides its own timers (TimerDue of kind ``name``)


def timer_of(state: CustomerState, kind: str, key: str = "") -> Timer | None:
    return next((t for t in state.timers if t.kind == kind and t.key == key), None)


def schedule(state: CustomerState, timer: Timer) -> CustomerState:
    """Set ``timer``, replacing the rule's timer with the same key (kept in kind and key order, so the same timers
    make the same state whatever order they were set in)."""
    others = (t for t in state.timers if (t.kind, t.key) != (timer.kind, timer.key))
    return state.model_copy(update={"timers": tuple(sorted((*others, timer), key=lambda t: (t.kind, t.key)))})


def cancel(state: CustomerState, kind: str, key: str = "") -> CustomerState:
    return state.model_copy(update={"timers": tuple(t for t in state.timers if (t.kind, t.key) != (kind, key))})


def make_trigger(
    type_: TriggerType,
    state: CustomerState,
    *,
    occasion: str,
    due_at: datetime,
    now: datetime,
    policy: Policy,
    reason: str,
    products: tuple[ProductRef, ...] = (),
    categories: tuple[str, ...] = (),
    offer: Offer = Offer(),
    facts: dict[str, str | int | float | bool | None] | None = None,
) -> Trigger:
    """A trigger with its deterministic id, the policy that decided it and the customer's snapshot as of the
    due time (a trigger fired late, e.g. at the end of a replay, still describes the customer then). A type
    the policy aims with the shop's model carries the scores too (``comeback.aim_trigger``)."""
    offer, facts = aim_trigger(type_, state, due_at, policy, offer, facts or {})
    return Trigger(
        trigger_id=trigger_id_for(type_, state.customer_id, occasion),
        type=type_,
        customer_id=state.customer_id,
        products=products,
        categories=categories,
        due_at=due_at,
        emitted_at=now,
        offer=offer,
        reason=reason,
        facts=facts,
        policy_version=policy.fingerprint,
        customer=snapshot(state.as_of(due_at), due_at, policy),
    )
