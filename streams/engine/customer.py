"""``handle_event`` and ``advance``: fold, run every rule, fire due timers, collect triggers."""

from __future__ import annotations

from datetime import datetime

from schemas import events as ev
from schemas.control import CycleLookup, ProductAlert, ProductCycle, TimerTick
from schemas.events import EVENT_ADAPTER
from schemas.triggers import Trigger
from streams.domain.customer.fold import evolve
from streams.domain.customer.interest import watch_changes
from streams.domain.customer.state import CustomerState, FiredTrigger, HeldEvent, Timer, remember_fired
from streams.domain.decision import Decision, Stimulus, TimerDue
from streams.domain.policy import Policy
from streams.domain.product.cycles import apply_cycle, ask
from streams.engine.contact import CONTACT_TIMER, forget, propose, settle
from streams.rules import RULES_BY_NAME, RULES_FOR

__all__ = ["CustomerMessage", "advance", "handle_alert", "handle_cycle", "handle_event", "hold", "release", "step"]

CustomerMessage = TimerTick | ProductAlert | ProductCycle | ev.CustomerEvent


def _contact(state: CustomerState, candidates: list[Trigger], policy: Policy) -> Decision:
    """Drop candidates this customer already had (same id), remember the new ones and pass them to the contact
    stage, which sends them, holds them out or keeps them for later."""
    if not candidates:
        return Decision(state)
    had = state.fired_trigger_ids  # built once, not per candidate
    fresh = tuple({t.trigger_id: t for t in candidates if t.trigger_id not in had}.values())
    if not fresh:
        return Decision(state)
    new = (FiredTrigger(trigger_id=t.trigger_id, due_at=t.due_at) for t in fresh)
    fired = remember_fired(state.fired, new, policy.limits.remembered_triggers)
    return propose(state.model_copy(update={"fired": fired}), fresh, policy)


def advance(state: CustomerState, now: datetime, policy: Policy, *, before_only: bool = False) -> Decision:
    """Fire every timer due at or before ``now`` (strictly before with ``before_only``), earliest first;
    each rule re-checks its conditions. The contact stage's timer decides the triggers waiting for that moment."""
    decision = Decision(state)

    def is_due(timer: Timer) -> bool:
        return timer.due_at < now if before_only else timer.due_at <= now

    while due := sorted((t for t in decision.state.timers if is_due(t)), key=lambda t: (t.due_at, t.kind, t.key)):
        timer, state = due[0], decision.state
        remaining = tuple(t for t in state.timers if t is not timer)
        state = state.model_copy(update={"timers": remaining, "revision": state.revision + 1})
        if timer.kind == CONTACT_TIMER:
            decision = decision.then(settle(state, timer.due_at, policy))
            continue
        fired = RULES_BY_NAME[timer.kind].decide(state, TimerDue(timer), max(now, timer.due_at), policy)
        decision = decision.then(_contact(fired.state, list(fired.triggers), policy))
    return decision


def _run_rules(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
    """Every rule that reacts to the stimulus's type sees it in turn, then whatever is due at ``now`` fires."""
    triggers: list[Trigger] = []
    for rule in RULES_FOR.get(type(stimulus), ()):
        decision = rule.decide(state, stimulus, now, policy)
        state, triggers = decision.state, [*triggers, *decision.triggers]
    decided = _contact(state, triggers, policy)
    return decided.then(advance(decided.state, now, policy))


def handle_alert(state: CustomerState, alert: ProductAlert, now: datetime, policy: Policy) -> Decision:
    """A product the customer may watch moved (not a fact about the customer, so nothing is folded)."""
    before = advance(state, min(alert.at, now), policy, before_only=True)
    return before.then(_run_rules(before.state, alert, now, policy))


def handle_cycle(state: CustomerState, reply: ProductCycle, now: datetime, policy: Policy) -> Decision:
    """The catalog's cycle for a product of an order: kept on the order, then every rule sees it. An answer
    not awaited (a repeat, after a lookup was asked again) changes nothing."""
    if not any((a.order_id, a.product_id) == (reply.order_id, reply.product_id) for a in state.awaiting):
        return Decision(state)
    return _run_rules(apply_cycle(state, reply), reply, now, policy)


def handle_event(state: CustomerState, event: ev.CustomerEvent, now: datetime, policy: Policy) -> Decision:
    """Fire what was due before the event, fold it, let every rule see it, then fire what is due at ``now``.

    Rules judge by event time where they can (a purchase counts if it happened before a timer was due),
    so a customer's records from different topics arriving slightly out of order do little harm; event-time
    mode removes even that by holding events until the watermark passes them (``hold`` and ``release``).
    """
    before = advance(state, min(event.occurred_at, now), policy, before_only=True)
    if event.event_id in before.state.seen_event_ids:
        return before
    folded = evolve(before.state, event, policy.limits)
    lookups: tuple[CycleLookup, ...] = ()
    if isinstance(event, ev.OrderPlaced) and folded.find_order(event.order_id) != before.state.find_order(
        event.order_id
    ):
        folded, lookups = ask(folded, event, policy)
    after = _run_rules(folded, event, now, policy)
    watches = watch_changes(before.state, after.state, policy.product_alerts, event.occurred_at)
    forgotten = forget(before.state, event.occurred_at, policy) if folded.erased_at is not None else ()
    return before.then(Decision(after.state, after.triggers, (*watches, *lookups), (*forgotten, *after.outcomes)))


def _held_order(item: HeldEvent) -> tuple[datetime, bool, str]:
    """Event time; at one instant the customer's own events before product alerts (as in the reference run)."""
    return item.at, item.kind == "alert", item.event_id


def hold(state: CustomerState, message: ev.CustomerEvent | ProductAlert) -> CustomerState:
    """Keep a customer event or product alert until the watermark passes it (event-time mode)."""
    if isinstance(message, ProductAlert):
        item = HeldEvent(
            at=message.at,
            kind="alert",
            payload_json=message.model_dump_json(),
            event_id=f"alert|{message.kind}|{message.product_id}|{message.at.isoformat()}",
        )
    else:
        item = HeldEvent(at=message.occurred_at, event_id=message.event_id, payload_json=message.model_dump_json())
    if item.event_id in state.seen_event_ids or any(h.event_id == item.event_id for h in state.held):
        return state
    return state.model_copy(update={"held": tuple(sorted((*state.held, item), key=_held_order))})


def release(state: CustomerState, now: datetime, policy: Policy) -> Decision:
    """Apply what is held before the watermark ``now`` in event-time order (timers firing in between), then
    fire the timers due before it. Strictly before: a record at ``now`` itself may still come on some
    partition (the watermark is the slowest partition's latest time), and the reference run applies a
    record before the timers due at its own time.

    While an order's cycle lookups are unanswered nothing newer is applied and no timer fires: the answers
    (``handle_cycle``) come first, as in the one-process run, and the release goes on after them."""
    decision = Decision(state)
    while decision.state.held and decision.state.held[0].at < now and not decision.state.awaiting:
        item, state = decision.state.held[0], decision.state.model_copy(update={"held": decision.state.held[1:]})
        if item.kind == "alert":
            alert = ProductAlert.model_validate_json(item.payload_json)
            decision = decision.then(handle_alert(state, alert, item.at, policy))
        else:
            event = EVENT_ADAPTER.validate_json(item.payload_json)
            decision = decision.then(handle_event(state, event, item.at, policy))  # type: ignore[arg-type]
    if decision.state.awaiting:
        return decision
    return decision.then(advance(decision.state, now, policy, before_only=True))


def step(
    state: CustomerState, message: CustomerMessage, now: datetime, policy: Policy, *, event_time: bool
) -> Decision:
    """One message to one customer: the single dispatch of the Faust shell and the reference run.

    Wall clock (and the reference run, which feeds messages in time order): act on the message at ``now``.
    Event time: hold customer events and alerts until the watermark ``now`` passes them and apply them in
    event-time order, timers firing in between, so a replay decides exactly as the reference run. A cycle
    answer is never held (what is held waits for it)."""
    if isinstance(message, ProductCycle):
        if not event_time:
            return handle_cycle(state, message, now, policy)
        answered = handle_cycle(state, message, message.at, policy)
        return answered.then(release(answered.state, now, policy))
    if event_time:
        held = state if isinstance(message, TimerTick) else hold(state, message)
        return release(held, now, policy)
    if isinstance(message, TimerTick):
        return advance(state, now, policy)
    if isinstance(message, ProductAlert):
        return handle_alert(state, message, now, policy)
    return handle_event(state, message, now, policy)
