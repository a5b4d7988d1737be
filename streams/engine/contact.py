"""The contact-policy stage between the rules and the trigger topics.

A trigger a rule proposes waits in the customer's state until it may go: at its due time, and again at
each next allowed moment, it is checked against consent, the purchases made since, its time to live, the
send window in the customer's zone and the frequency caps; candidates for one moment go highest priority
first. What passes is sent, or recorded as held out for a customer in the control group; every outcome is
a :class:`ContactDecision`. Times are logical (the moments the triggers and retries are due), so a replay
decides exactly as the live run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.decisions import ContactDecision, Outcome, decision_id_for
from schemas.events import Channel
from schemas.triggers import Trigger
from streams.domain.contact.caps import blocking_cap, cap_free_from, control_group, recent
from streams.domain.contact.policy import TypeContactPolicy
from streams.domain.contact.state import Contacted, ContactLog, Waiting
from streams.domain.contact.windows import next_window, zone_named
from streams.domain.customer.state import CustomerState, Timer
from streams.domain.decision import Decision, cancel, schedule
from streams.domain.policy import Policy

__all__ = ["CONTACT_TIMER", "forget", "propose", "settle"]

CONTACT_TIMER = "contact"
"""The timer that wakes the stage at the earliest waiting trigger's next try."""


@dataclass(frozen=True)
class _Verdict:
    outcome: Outcome
    reason: str
    detail: str
    send_after: datetime | None = None
    channel: Channel | None = None


def _waiting(trigger: Trigger, policy: Policy) -> Waiting:
    ttl = policy.contact.of(trigger.type).ttl_hours
    return Waiting(trigger=trigger, send_after=trigger.due_at, expires_at=trigger.due_at + timedelta(hours=ttl))


def _consents(
    state: CustomerState, channel: Channel, at: datetime, settings: TypeContactPolicy, policy: Policy
) -> bool:
    """An explicit opt-in or opt-out in force at ``at`` decides; otherwise the service channel for transactional
    types, and the channels the policy assumes."""
    said = state.fact_at(f"consent.{channel.value}", at, policy.limits.remembered_fact_changes)
    if isinstance(said, bool):
        return said
    return (channel is Channel.SERVICE and settings.transactional) or channel in policy.contact.assume_consent


def _zone(state: CustomerState, at: datetime, policy: Policy) -> ZoneInfo:
    """The customer's zone at ``at``."""
    return zone_named(state.fact_at("timezone", at, policy.limits.remembered_fact_changes), policy.contact)


def _purchased_since(state: CustomerState, waiting: Waiting, at: datetime, settings: TypeContactPolicy) -> str | None:
    """The order since the trigger was due that makes it pointless, if any."""
    if settings.cancelled_by_purchase == "nothing":
        return None
    trigger = waiting.trigger
    products = {p.product_id for p in trigger.products}
    categories = {*trigger.categories, *(p.category for p in trigger.products if p.category)}
    for order in state.valid_orders:
        if not trigger.due_at < order.at <= at:
            continue
        if settings.cancelled_by_purchase == "any_order":
            return order.order_id
        if settings.cancelled_by_purchase == "same_product" and products & set(order.product_ids):
            return order.order_id
        if settings.cancelled_by_purchase == "same_category" and (
            categories & set(order.categories) or (not categories and products & set(order.product_ids))
        ):
            return order.order_id
    return None


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def _later(
    waiting: Waiting, outcome: Outcome, reason: str, why: str, retry: datetime | None, zone: ZoneInfo
) -> _Verdict:
    """Try again at ``retry``, or expire if that is too late."""
    if retry is None or retry > waiting.expires_at:
        return _Verdict(
            "expired", reason, f"{why}; no allowed moment before it expires at {_local(waiting.expires_at, zone)}"
        )
    return _Verdict(outcome, reason, f"{why}; next try {_local(retry, zone)}", send_after=retry)


def _judge(
    state: CustomerState,
    waiting: Waiting,
    at: datetime,
    policy: Policy,
    zone: ZoneInfo,
    log: Sequence[Contacted],
    before_round: Sequence[Contacted],
) -> _Verdict:
    """The outcome for one trigger at ``at``, given the contacts so far (``before_round``: before this moment's
    candidates of higher priority went)."""
    trigger, contact = waiting.trigger, policy.contact
    settings = contact.of(trigger.type)
    if at > waiting.expires_at:
        return _Verdict("expired", "ttl", f"its time to live ({settings.ttl_hours:g} h) ran out")
    order_id = _purchased_since(state, waiting, at, settings)
    if order_id is not None:
        return _Verdict("suppressed", "purchased_since", f"order {order_id} since it was due makes it pointless")
    if trigger.facts.get("comeback_action") == "skip":
        return _Verdict("suppressed", "unlikely_to_return", f"the repurchase model: {trigger.facts['comeback_reason']}")
    channels = [c for c in settings.channels if _consents(state, c, at, settings, policy)]
    if not channels:
        listed = ", ".join(c.value for c in settings.channels)
        return _Verdict("suppressed", "no_consent", f"no consent on any of its channels ({listed})")
    window = next_window(at, zone, settings, contact, waiting.expires_at)
    if window != at:
        why = "quiet hours" if not settings.slots else f"outside its slots ({', '.join(settings.slots)})"
        reason = "quiet_hours" if not settings.slots else "outside_slots"
        return _later(waiting, "deferred", reason, f"{_local(at, zone)} is {why}", window, zone)
    if not settings.counted:
        return _Verdict("sent", "allowed", "not capped", channel=channels[0])
    free = next((c for c in channels if blocking_cap(log, at, zone, c, contact) is None), None)
    if free is not None:
        return _Verdict("sent", "allowed", "within the caps", channel=free)
    cap = blocking_cap(log, at, zone, channels[0], contact)
    assert cap is not None
    starts = [s for c in channels if (s := cap_free_from(log, at, zone, c, contact)) is not None]
    retry = next_window(min(starts), zone, settings, contact, waiting.expires_at) if starts else None
    outranked = blocking_cap(before_round, at, zone, channels[0], contact) is None
    outcome: Outcome = "outranked" if outranked else "capped"
    why = f"{cap.name} reached" + (" by a trigger of higher priority" if outranked else "")
    return _later(waiting, outcome, cap.name, why, retry, zone)


def _record(waiting: Waiting, verdict: _Verdict, at: datetime, zone: ZoneInfo, policy: Policy) -> ContactDecision:
    trigger = waiting.trigger
    return ContactDecision(
        decision_id=decision_id_for(trigger.trigger_id, verdict.outcome, at.astimezone(UTC).isoformat()),
        trigger_id=trigger.trigger_id,
        type=trigger.type,
        customer_id=trigger.customer_id,
        outcome=verdict.outcome,
        reason=verdict.reason,
        detail=verdict.detail,
        decided_at=at,
        due_at=trigger.due_at,
        send_after=at if verdict.outcome in ("sent", "held_out") else verdict.send_after,
        expires_at=waiting.expires_at,
        timezone=zone.key,
        channel=verdict.channel,
        priority=policy.contact.of(trigger.type).priority,
        policy_version=policy.fingerprint,
    )


def _sent(waiting: Waiting, record: ContactDecision, at: datetime) -> Trigger:
    deferrals = (
        f", after {waiting.deferrals} deferral{'s' if waiting.deferrals != 1 else ''}" if waiting.deferrals else ""
    )
    assert record.channel is not None
    return waiting.trigger.model_copy(
        update={
            "channel": record.channel,
            "emitted_at": max(waiting.trigger.emitted_at, at),
            "send_after": at,
            "expires_at": waiting.expires_at,
            "timezone": record.timezone,
            "decision": f"sent on {record.channel.value} at {_local(at, ZoneInfo(record.timezone))}{deferrals}",
            "decision_id": record.decision_id,
        }
    )


def _round(state: CustomerState, at: datetime, policy: Policy) -> Decision:
    """Decide every trigger waiting for ``at`` or earlier, at ``at``, highest priority first."""
    at = at.astimezone(UTC)  # one instant, one spelling: the decision ids are built from it
    contact = policy.contact
    zone = _zone(state, at, policy)
    due = sorted(
        (w for w in state.contact.waiting if w.send_after <= at),
        key=lambda w: (-contact.of(w.trigger.type).priority, w.trigger.due_at, w.trigger.trigger_id),
    )
    keep = [w for w in state.contact.waiting if w.send_after > at]
    before_round = recent(state.contact.contacted, at)
    log = list(before_round)
    triggers: list[Trigger] = []
    records: list[ContactDecision] = []
    for waiting in due:
        verdict = _judge(state, waiting, at, policy, zone, log, before_round)
        group = control_group(state.customer_id, waiting.trigger.type, contact) if verdict.outcome == "sent" else None
        if group is not None:
            verdict = _Verdict(
                "held_out", group, f"in the {group.replace('_', ' ')} control group", channel=verdict.channel
            )
        record = _record(waiting, verdict, at, zone, policy)
        records.append(record)
        if verdict.outcome in ("sent", "held_out") and contact.of(waiting.trigger.type).counted:
            assert verdict.channel is not None
            log.append(Contacted(at=at, type=waiting.trigger.type, channel=verdict.channel, held_out=group is not None))
        if verdict.outcome == "sent":
            triggers.append(_sent(waiting, record, at))
        elif verdict.send_after is not None:
            keep.append(
                waiting.model_copy(update={"send_after": verdict.send_after, "deferrals": waiting.deferrals + 1})
            )
    contacted = tuple(sorted(log, key=lambda c: (c.at, c.type)))  # in time order, however they arrived
    state = state.model_copy(update={"contact": ContactLog(waiting=tuple(keep), contacted=contacted)})
    return Decision(state, tuple(triggers), outcomes=tuple(records))


def _bound(state: CustomerState, at: datetime, policy: Policy) -> Decision:
    """Keep at most ``contact.max_pending`` waiting (highest priority, then soonest to expire); suppress the rest."""
    contact = policy.contact
    ranked = sorted(
        state.contact.waiting, key=lambda w: (-contact.of(w.trigger.type).priority, w.expires_at, w.trigger.trigger_id)
    )
    kept, dropped = ranked[: contact.max_pending], ranked[contact.max_pending :]
    if not dropped:
        return Decision(state)
    zone = _zone(state, at, policy)
    verdict = _Verdict("suppressed", "too_many_waiting", f"more than {contact.max_pending} triggers waiting")
    records = tuple(_record(w, verdict, at, zone, policy) for w in dropped)
    waiting = tuple(w for w in state.contact.waiting if w in kept)
    return Decision(_with_waiting(state, waiting), outcomes=records)


def forget(state: CustomerState, at: datetime, policy: Policy) -> tuple[ContactDecision, ...]:
    """The records for the triggers still waiting when the customer asks to be forgotten (their state goes)."""
    zone = _zone(state, at, policy)
    verdict = _Verdict("suppressed", "erased", "the customer asked to be forgotten")
    return tuple(_record(w, verdict, at, zone, policy) for w in state.contact.waiting)


def _with_waiting(state: CustomerState, waiting: tuple[Waiting, ...]) -> CustomerState:
    return state.model_copy(update={"contact": state.contact.model_copy(update={"waiting": waiting})})


def _wake(state: CustomerState) -> CustomerState:
    """Set the stage's timer at the earliest next try (none when nothing waits)."""
    waiting = state.contact.waiting
    if not waiting:
        return cancel(state, CONTACT_TIMER)
    due = min(w.send_after for w in waiting)
    timer = Timer(kind=CONTACT_TIMER, due_at=due, since=min(w.trigger.due_at for w in waiting))
    return schedule(state, timer)


def settle(state: CustomerState, until: datetime, policy: Policy) -> Decision:
    """Decide, in time order, every waiting trigger whose next try is at or before ``until``."""
    decision = Decision(state)
    while tries := [w.send_after for w in decision.state.contact.waiting if w.send_after <= until]:
        decision = decision.then(_round(decision.state, min(tries), policy))
    decision = decision.then(_bound(decision.state, until, policy))
    return Decision(_wake(decision.state), decision.triggers, decision.to_products, decision.outcomes)


def propose(state: CustomerState, candidates: tuple[Trigger, ...], policy: Policy) -> Decision:
    """New triggers from the rules join those waiting; each is decided at its due time."""
    if not candidates:
        return Decision(state)
    waiting = (*state.contact.waiting, *(_waiting(t, policy) for t in candidates))
    return settle(_with_waiting(state, waiting), max(t.due_at for t in candidates), policy)
