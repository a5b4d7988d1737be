"""Wake-ups aimed by the shop's repurchase model, through the reference run: the policy carries the model
(``effective_policy``), the wake-ups carry the scores, the unlikely are suppressed with a recorded reason
and the down-weighted get a smaller offer; without a model nothing changes but the facts."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from functools import cache

from schemas.base import Envelope
from schemas.decisions import ContactDecision
from schemas.triggers import Trigger
from streams.domain.customer.comeback import ShopModel, effective_policy
from streams.domain.policy import ComebackPolicy, Policy
from streams.engine.reference import checkpoints
from streams.tools.comeback import fit_from_events
from streams.tools.simulator import PlantedRhythms, simulate_with_truth

PLANTED = PlantedRhythms(r=0.8, alpha=40.0, a=1.0, b=4.0, browse_sessions_per_order=0.0)
SKIP_BELOW, DOWNWEIGHT_BELOW = 0.15, 0.3


@cache
def _shop() -> tuple[tuple[Envelope, ...], ShopModel, datetime]:
    events, _ = simulate_with_truth(5, 300, 540, datetime(2025, 1, 1), planted=PLANTED)
    end = max(e.occurred_at for e in events) + timedelta(days=1)
    model = fit_from_events(events, Policy(), events[0].occurred_at + timedelta(days=360), replay="fold")
    return tuple(events), model, end


def _run(policy: Policy) -> tuple[tuple[Trigger, ...], tuple[ContactDecision, ...]]:
    events, _, end = _shop()
    (last,) = deque(checkpoints(events, policy, end), maxlen=1)
    return last.triggers, last.decisions


def _wakeups(decisions: tuple[ContactDecision, ...]) -> dict[str, str]:
    """Each wake-up's final outcome (or the latest one) by trigger id."""
    return {d.trigger_id: d.outcome for d in decisions if d.type == "lifecycle_wakeup"}


def test_wakeups_aimed_by_the_model_carry_the_scores_and_skip_the_unlikely_with_a_reason() -> None:
    _, model, _ = _shop()
    aiming = ComebackPolicy(skip_below_probability=SKIP_BELOW, downweight_below_probability=DOWNWEIGHT_BELOW)
    policy = effective_policy(Policy().model_copy(update={"comeback": aiming}), model)
    triggers, decisions = _run(policy)
    plain_triggers, plain_decisions = _run(Policy())

    # the same wake-ups are proposed (their ids do not depend on the scores)
    assert _wakeups(decisions).keys() == _wakeups(plain_decisions).keys() and _wakeups(decisions)
    skipped = [d for d in decisions if d.reason == "unlikely_to_return"]
    assert skipped and all(d.outcome == "suppressed" and d.type == "lifecycle_wakeup" for d in skipped)
    assert all("too low" in d.detail for d in skipped)

    sent = [t for t in triggers if t.type == "lifecycle_wakeup"]
    assert sent
    plain_offers = {t.trigger_id: t.offer for t in plain_triggers}
    for trigger in sent:
        p = trigger.facts["comeback_probability"]
        assert isinstance(p, float) and p >= SKIP_BELOW
        assert trigger.facts["comeback_model"] == model.fingerprint and trigger.policy_version == policy.fingerprint
        offer = plain_offers[trigger.trigger_id]
        if p < DOWNWEIGHT_BELOW:
            assert trigger.facts["comeback_action"] == "downweight"
            assert offer.value is not None and trigger.offer.value == round(offer.value * 0.5, 2)
        else:
            assert trigger.facts["comeback_action"] == "send" and trigger.offer == offer
    assert {t.trigger_id for t in sent} | {d.trigger_id for d in skipped} >= {
        t.trigger_id for t in plain_triggers if t.type == "lifecycle_wakeup"
    }


def test_without_a_model_no_trigger_carries_scores() -> None:
    triggers, _ = _run(Policy())
    assert triggers and not any("comeback_probability" in t.facts for t in triggers)
