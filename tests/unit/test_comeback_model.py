"""The shop's repurchase model (``streams.domain.customer.comeback``) on a simulated shop with planted truth:
it recovers the rhythms it was given, scores age with silence, and the profile and facts carry the scores."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache

import pytest

from schemas.base import Envelope
from streams.domain.customer.comeback import (
    ShopModel,
    effective_policy,
    fit_shop_model,
    score,
    score_many,
    targeting,
    trigger_facts,
)
from streams.domain.customer.fold import fold_events
from streams.domain.customer.profile import derive_profile, score_profile
from streams.domain.customer.segments import rfm_scores
from streams.domain.customer.state import CustomerState
from streams.domain.policy import ComebackPolicy, Policy
from streams.tools.comeback import auc
from streams.tools.simulator import PlantedCustomer, PlantedRhythms, simulate_with_truth

PLANTED = PlantedRhythms(r=0.8, alpha=40.0, a=1.0, b=4.0, browse_sessions_per_order=0.0)
START = datetime(2025, 1, 1)
DAYS = 365


def _states(events: list[Envelope]) -> dict[str, CustomerState]:
    by_customer: dict[str, list] = defaultdict(list)
    for event in events:
        if hasattr(event, "customer_id"):
            by_customer[event.customer_id].append(event)
    return {cid: fold_events(cid, es, Policy().limits) for cid, es in by_customer.items()}


@cache
def _planted_shop() -> tuple[dict[str, CustomerState], dict[str, PlantedCustomer], datetime]:
    events, truth = simulate_with_truth(3, 800, DAYS, START, planted=PLANTED)
    end = events[0].occurred_at + timedelta(days=DAYS)
    return _states(events), truth, end


@cache
def _model() -> ShopModel:
    states, _, end = _planted_shop()
    return fit_shop_model(states.values(), end, Policy())


def test_the_model_recovers_the_planted_rhythms() -> None:
    """Planted: rate ~ Gamma(0.8, 40 days), drop-out ~ Beta(1, 4). Measured on seed 3, 800 customers, a year:
    r 0.71 (planted 0.8), mean rate r/alpha 0.0196/day (planted 0.0200), mean drop-out 0.22 (planted 0.20)."""
    bg = _model().bgnbd
    assert bg.r == pytest.approx(PLANTED.r, rel=0.2)
    assert bg.r / bg.alpha == pytest.approx(PLANTED.r / PLANTED.alpha, rel=0.1)
    assert bg.a / (bg.a + bg.b) == pytest.approx(PLANTED.a / (PLANTED.a + PLANTED.b), rel=0.25)


def test_p_alive_ranks_who_is_still_alive_by_the_planted_truth() -> None:
    states, truth, end = _planted_shop()
    scores = score_many(states.values(), _model(), end, Policy())
    repeaters = [cid for cid, s in scores.items() if states[cid].order_count > 1]
    alive = [truth[cid].alive_at(end) for cid in repeaters]
    assert auc([scores[cid].p_alive for cid in repeaters], alive) > 0.8


def test_expected_orders_follow_the_planted_rates() -> None:
    states, truth, end = _planted_shop()
    scores = score_many(states.values(), _model(), end, Policy())
    rates = [truth[cid].orders_per_day if truth[cid].alive_at(end) else 0.0 for cid in scores]
    expected = [s.bgnbd_expected_orders for s in scores.values()]
    planted_total = sum(r * 90 for r in rates)
    assert sum(expected) == pytest.approx(planted_total, rel=0.25)


def test_scores_age_with_silence_and_are_none_before_an_order() -> None:
    states, _, end = _planted_shop()
    model = _model()
    regular = next(s for s in states.values() if s.order_count >= 4)
    now = regular.last_order_at
    assert now is not None
    soon, later = (
        score(regular, model, now + timedelta(days=10), Policy()),
        score(regular, model, now + timedelta(days=200), Policy()),
    )
    assert soon is not None and later is not None
    assert later.p_alive < soon.p_alive
    assert later.bgnbd_probability < soon.bgnbd_probability
    assert score(CustomerState(customer_id="nobody"), model, end, Policy()) is None


def test_the_profile_carries_the_live_scores_only_with_a_model() -> None:
    states, _, end = _planted_shop()
    state = next(s for s in states.values() if s.order_count >= 2)
    plain = derive_profile(state, end, Policy())
    assert plain.comeback_probability is None and plain.comeback_model is None
    scored = derive_profile(state, end, effective_policy(Policy(), _model()))
    assert scored.comeback_probability is not None and 0 <= scored.comeback_probability <= 1
    assert scored.comeback_expected_orders is not None and scored.comeback_expected_spend is not None
    assert scored.comeback_horizon_days == 90
    assert scored.comeback_model == _model().fingerprint
    assert scored.comeback_band in ("low", "medium", "high") and scored.value_band in ("low", "medium", "high")
    assert score_profile(plain, state, end, effective_policy(Policy(), _model())).comeback_probability == (
        scored.comeback_probability
    )


def test_a_history_shorter_than_two_horizons_trains_the_calibrated_model_on_a_shorter_one() -> None:
    """150 days into the planted shop, a 90-day split would have 60 days of past: the calibrated model trains
    on 45 days and carries its correction to 90 (the planted truth is BG/NBD itself, so it cannot beat it
    here; it must stay close). Measured: AUC 0.653 against BG/NBD's 0.684, 369 orders predicted for 314."""
    events, _ = simulate_with_truth(3, 800, DAYS, START, planted=PLANTED)
    at = events[0].occurred_at + timedelta(days=150)
    before = _states([e for e in events if e.occurred_at <= at])
    model = fit_shop_model(before.values(), at, Policy())
    assert model.calibrated is not None and model.calibrated.training_horizon_days == 45
    scores = score_many(before.values(), model, at, Policy())
    after = _states(events)
    ids = sorted(scores)
    actual = [sum(1 for o in after[c].valid_orders if at < o.at <= at + timedelta(days=90)) for c in ids]
    calibrated = auc([scores[c].probability for c in ids], [a > 0 for a in actual])
    bgnbd = auc([scores[c].bgnbd_probability for c in ids], [a > 0 for a in actual])
    assert calibrated > 0.6 and calibrated > bgnbd - 0.05
    assert sum(scores[c].expected_orders for c in ids) == pytest.approx(sum(actual), rel=0.25)
    assert all(scores[c].source == "calibrated" for c in ids)


def test_the_model_round_trips_through_json_with_the_same_fingerprint() -> None:
    model = _model()
    again = ShopModel.model_validate_json(model.model_dump_json())
    assert again == model and again.fingerprint == model.fingerprint
    assert model.fingerprint.startswith("shop+")
    assert model.calibrated is not None and len(model.calibrated.probability.coefficients) == 14


def _in_dollars(state: CustomerState) -> CustomerState:
    orders = tuple(o.model_copy(update={"total": round(o.total / 7.1, 2), "refunded": 0.0}) for o in state.orders)
    return state.model_copy(update={"orders": orders})


def test_shop_quintiles_score_money_in_any_currency() -> None:
    """The same shop in dollars: absolute yuan cut points put nearly everyone at M=1, the shop's quintiles do not."""
    states, _, end = _planted_shop()
    dollars = {cid: _in_dollars(s) for cid, s in states.items()}
    quick = Policy().model_copy(update={"comeback": ComebackPolicy(calibrated=False)})
    model = fit_shop_model(dollars.values(), end, quick)
    buyers = [s for s in dollars.values() if s.order_count]
    absolute = [rfm_scores(s, end, Policy())[2] for s in buyers]
    relative = [rfm_scores(s, end, effective_policy(Policy(), model))[2] for s in buyers]
    assert sum(m == 1 for m in absolute) / len(buyers) > 0.6
    for m in range(1, 6):
        assert 0.1 < sum(v == m for v in relative) / len(buyers) < 0.35
    keep_absolute = Policy().model_copy(update={"comeback": ComebackPolicy(rfm_scoring="absolute")})
    assert effective_policy(keep_absolute, model).rfm == Policy().rfm
    assert effective_policy(Policy(), model).shop.average_order_value == model.average_order_value


def test_a_model_switch_starts_from_the_policy_file_and_names_both_in_the_policy_version() -> None:
    """What a worker does when a new model arrives: the file's policy (its fingerprint already read) with it."""
    base, first = Policy(), _model()
    second = ShopModel.model_validate(first.model_dump() | {"version": "second"})
    read = base.fingerprint  # cached on the policy, as in a running worker
    with_first, switched = effective_policy(base, first), effective_policy(base, second)
    assert len({read, with_first.fingerprint, switched.fingerprint}) == 3
    assert switched.model == second and effective_policy(base, None) is base


def test_targeting_skips_and_downweights_by_policy_and_the_facts_say_so() -> None:
    states, _, end = _planted_shop()
    scores = score_many(states.values(), _model(), end, Policy())
    low = min(scores.values(), key=lambda s: s.probability)
    high = max(scores.values(), key=lambda s: s.probability)
    section = ComebackPolicy(skip_below_probability=low.probability + 1e-9, downweight_below_probability=0.99)
    assert targeting(low, section).action == "skip"
    assert targeting(high, ComebackPolicy()).action == "send"
    assert targeting(high, ComebackPolicy(downweight_below_probability=1.0)).weight == 0.5
    assert targeting(None, section).action == "send"
    facts = trigger_facts(high, ComebackPolicy())
    assert facts["comeback_probability"] == high.probability and facts["comeback_model"] == _model().fingerprint
    assert facts["comeback_action"] == "send" and trigger_facts(None, ComebackPolicy()) == {}
