"""Who will come back: the shop's repurchase model, fitted from the customers' own state, and live scores.

``fit_shop_model(states, at, policy)`` fits, as of ``at``, from every customer's state:

- BG/NBD (``clv``) on each buyer's (repeat orders x, t_x, T) in days: P(alive), P(an order within H days),
  expected orders within H;
- Gamma-Gamma on each buyer's (orders, mean net order value): the expected value of their next orders;
- a calibrated model on the engine's features (``FEATURES``: recency, frequency, value, tenure, BG/NBD's
  own scores, browsing and favorites in the last 30 days, browsing since the last order, refunds,
  discount share, category-cycle due-ness), trained on the shop's own history with time splits: features
  as of ``at - k h``, the truth the orders in the h days after (k = 1 .. ``training_splits``, pooled; h the
  horizon H, or H halved until the history before the split is as long as h); a logistic regression for
  P(an order within h) and a Poisson regression for the number of orders, as corrections of BG/NBD's
  log-odds and expected count (which enter with coefficient 1, so a strong ridge gives BG/NBD back),
  carried from h to H as a log-odds shift and a count ratio;
- the shop's own distribution: RFM quintile cut points and the average order value (purchasing power),
  in whatever currency the shop keeps, and the expected-spend tertiles (value bands).

The result is a frozen ``ShopModel`` with a ``fingerprint`` (version + hash of its numbers) that workers
share and triggers can name. ``score(state, model, now, policy)`` scores one customer at ``now`` from the
current state and the model: computed at read time, the scores age with the customer's silence.
Pure: no clock, no randomness, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from scipy import special

from schemas.profile import ScoreBand
from schemas.shop_model import (
    FEATURES,
    BgNbdParams,
    CalibratedModel,
    GammaGammaParams,
    GlmParams,
    RfmCuts,
    ShopModel,
)
from schemas.triggers import Offer
from streams.domain.customer import clv, habits
from streams.domain.customer.glm import Glm, fit_glm
from streams.domain.customer.state import CustomerState
from streams.domain.policy import ComebackPolicy, Policy, RfmPolicy

__all__ = [
    "FEATURES",
    "Facts",
    "BgNbdParams",
    "CalibratedModel",
    "ComebackScore",
    "GammaGammaParams",
    "GlmParams",
    "NotEnoughHistory",
    "RfmCuts",
    "ShopModel",
    "Summary",
    "Targeting",
    "aim_trigger",
    "effective_policy",
    "feature_row",
    "fit_shop_model",
    "score",
    "score_many",
    "shop_rfm",
    "summarize",
    "targeting",
    "training_horizons",
    "training_split_times",
    "trigger_facts",
]

_DAY = timedelta(days=1)
Floats = NDArray[np.float64]


class NotEnoughHistory(ValueError):
    """Too few buyers (or too short a history) to fit."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ComebackScore(_Frozen):
    """One customer's live scores at ``as_of``."""

    as_of: AwareDatetime
    horizon_days: int
    probability: float = Field(ge=0, le=1, description="P(an order within the horizon): the engine's model.")
    expected_orders: float = Field(ge=0)
    expected_spend: float | None = Field(default=None, ge=0)
    p_alive: float = Field(ge=0, le=1)
    bgnbd_probability: float = Field(ge=0, le=1)
    bgnbd_expected_orders: float = Field(ge=0)
    source: Literal["calibrated", "bgnbd"]
    probability_band: ScoreBand
    value_band: ScoreBand | None = None
    model: str = Field(description="The model's fingerprint.")


@dataclass(frozen=True)
class Summary:
    """A buyer as of a time: orders (x = orders - 1 repeats), t_x and T in days since the first order."""

    orders: int
    t_x: float
    T: float
    recency_days: float
    spent: float
    mean_value: float

    @property
    def x(self) -> int:
        return self.orders - 1


def summarize(state: CustomerState, at: datetime) -> Summary | None:
    """The customer's orders placed by ``at`` (cancelled ones left out), net of the refunds made by ``at``."""
    orders = [o for o in state.valid_orders if o.at <= at]
    archived = state.archived
    old = archived.count if archived.count and archived.last_at is not None and archived.last_at <= at else 0
    times = [o.at for o in orders]
    if old:
        times += [t for t in (archived.first_at, archived.last_at) if t is not None]
    if not times:
        return None
    first, last = min(times), max(times)
    refunds = (sum(a.refund for a in o.adjustments if a.at <= at) for o in orders)
    spent = sum(max(o.total - r, 0.0) for o, r in zip(orders, refunds, strict=True)) + (archived.net if old else 0.0)
    count = len(orders) + old
    return Summary(
        orders=count,
        t_x=(last - first) / _DAY,
        T=(at - first) / _DAY,
        recency_days=(at - last) / _DAY,
        spent=max(spent, 0.0),
        mean_value=max(spent, 0.0) / count,
    )


def _bg(params: BgNbdParams, s: Sequence[Summary], horizon: float) -> tuple[Floats, Floats, Floats]:
    """(P(alive), P(an order within horizon), E[orders within horizon]) per summary."""
    x = np.array([v.x for v in s], dtype=np.float64)
    t_x = np.array([v.t_x for v in s], dtype=np.float64)
    T = np.array([v.T for v in s], dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    alive = clv.bgnbd_p_alive(r, alpha, a, b, x, t_x, T)
    p = clv.bgnbd_p_order_in(r, alpha, a, b, x, t_x, T, horizon)
    expected = clv.bgnbd_expected_in(r, alpha, a, b, x, t_x, T, horizon)
    return alive, np.clip(p, 0.0, 1.0), np.maximum(np.nan_to_num(expected, nan=0.0), 0.0)


def feature_row(
    state: CustomerState,
    summary: Summary,
    at: datetime,
    bg_probability: float,
    bg_expected: float,
    horizon_days: float,
    policy: Policy,
) -> tuple[float, ...]:
    """The engine's features of one buyer at ``at`` (``FEATURES`` order)."""
    month = at - timedelta(days=30)
    views = [v for v in state.views if v.at <= at]
    last_order = at - timedelta(days=summary.recency_days)
    recent_views = sum(1 for v in views if v.at > month)
    since_order = sum(1 for v in views if v.at > last_order)
    last_view = max((v.at for v in views), default=None)
    favorites = sum(1 for f in state.favorites if f.active and month < f.at <= at)
    orders = [o for o in state.valid_orders if o.at <= at]
    gross = sum(o.total for o in orders)
    refunded = sum(min(sum(a.refund for a in o.adjustments if a.at <= at), o.total) for o in orders)
    discounted = sum(1 for o in orders if o.on_discount)
    horizon_end = at + timedelta(days=horizon_days)
    cycles = habits.next_purchases(state.as_of(at), policy.repurchase)
    due = any(at - timedelta(days=c.interval_days) <= c.due_at <= horizon_end for c in cycles)
    p = min(max(bg_probability, 1e-6), 1 - 1e-6)
    return (
        math.log1p(summary.recency_days),
        math.log1p(summary.orders),
        math.log1p(summary.T),
        math.log1p(summary.mean_value),
        math.log(p / (1 - p)),
        math.log(bg_expected + 1e-4),
        math.log1p(recent_views),
        math.log1p(since_order),
        math.log1p(min((at - last_view) / _DAY, 365.0) if last_view else 365.0),
        float(favorites),
        refunded / gross if gross > 0 else 0.0,
        discounted / len(orders) if orders else 0.0,
        1.0 if due else 0.0,
        1.0 if cycles else 0.0,
    )


def _buyers(states: Iterable[CustomerState], at: datetime) -> list[tuple[CustomerState, Summary]]:
    found = []
    for state in states:
        if state.erased_at is not None and state.erased_at <= at:
            continue
        summary = summarize(state, at)
        if summary is not None:
            found.append((state, summary))
    return found


def _fit_bg(summaries: Sequence[Summary]) -> BgNbdParams:
    fit = clv.fit_bgnbd([s.x for s in summaries], [s.t_x for s in summaries], [s.T for s in summaries])
    return BgNbdParams(
        r=fit.r, alpha=fit.alpha, a=fit.a, b=fit.b, log_likelihood=fit.log_likelihood, customers=fit.customers
    )


def _quintiles(values: Sequence[float]) -> list[float]:
    return [float(q) for q in np.quantile(np.asarray(values, dtype=np.float64), (0.2, 0.4, 0.6, 0.8))]


def _increasing(cuts: Sequence[float], least: float, step: float) -> list[float]:
    out: list[float] = []
    for value in cuts:
        out.append(max(value, least, out[-1] + step if out else least))
    return out


def _rfm_cuts(summaries: Sequence[Summary]) -> RfmCuts:
    recency = _increasing([math.ceil(v) for v in _quintiles([s.recency_days for s in summaries])], 1, 1)
    frequency = _increasing([math.ceil(v) for v in _quintiles([s.orders for s in summaries])], 2, 1)
    money = _quintiles([s.spent for s in summaries])
    monetary = _increasing([round(v, 2) for v in money], 0.01, max(0.01, 1e-6 * max(money)))
    r1, r2, r3, r4 = (int(v) for v in recency)
    f1, f2, f3, f4 = (int(v) for v in frequency)
    m1, m2, m3, m4 = monetary
    return RfmCuts(recency_days=(r1, r2, r3, r4), frequency_orders=(f1, f2, f3, f4), monetary_spent=(m1, m2, m3, m4))


def _training_rows(
    states: Sequence[CustomerState],
    split: datetime,
    horizon_days: int,
    policy: Policy,
    snapshot: Iterable[CustomerState] | None,
) -> tuple[list[tuple[float, ...]], list[float]] | None:
    """Features of the buyers at ``split`` (BG/NBD fitted there) and their orders in the ``horizon_days`` after.

    None when the split has fewer than ``min_buyers_to_fit`` buyers, or less past than future: its oldest
    buyer's first order less than ``horizon_days`` before it. The features come from ``snapshot`` (the states
    as they were at the split) when given, else from the current states seen as of the split, whose bounded
    views may have lost the split's browsing."""
    horizon = float(horizon_days)
    until = split + timedelta(days=horizon_days)
    then = _buyers(states if snapshot is None else snapshot, split)
    if len(then) < policy.comeback.min_buyers_to_fit or max(s.T for _, s in then) < horizon:
        return None
    summaries = [s for _, s in then]
    bg = _fit_bg(summaries)
    _, p_bg, e_bg = _bg(bg, summaries, horizon)
    rows = [
        feature_row(state, s, split, float(p), float(e), horizon, policy)
        for (state, s), p, e in zip(then, p_bg, e_bg, strict=True)
    ]
    now = {state.customer_id: state for state in states}
    counts = [
        float(sum(1 for o in now.get(state.customer_id, state).valid_orders if split < o.at <= until))
        for state, _ in then
    ]
    return rows, counts


def training_horizons(policy: Policy) -> tuple[int, ...]:
    """The horizons the calibrated model may train on, the longest first: H, then halved down to
    ``min_training_horizon_days`` (for a history shorter than two horizons)."""
    section = policy.comeback
    horizons = [section.horizon_days]
    while horizons[-1] // 2 >= section.min_training_horizon_days:
        horizons.append(horizons[-1] // 2)
    return tuple(horizons)


def training_split_times(at: datetime, policy: Policy) -> tuple[datetime, ...]:
    """Every time whose states the calibrated model may train on: ``at - k * h`` for each training
    horizon h (``training_horizons``) and k = 1 .. ``training_splits``, the latest first."""
    splits = {
        at - k * timedelta(days=h)
        for h in training_horizons(policy)
        for k in range(1, policy.comeback.training_splits + 1)
    }
    return tuple(sorted(splits, reverse=True))


def _train_calibrated(
    states: Sequence[CustomerState],
    at: datetime,
    policy: Policy,
    snapshots: Mapping[datetime, Iterable[CustomerState]],
) -> tuple[CalibratedModel | None, str]:
    """Features as of at - k*h, truth in the h days after each (k = 1 .. training_splits, pooled, so one
    season's quirks weigh less), on the longest training horizon h whose history is thick enough; None
    (and why) when even the shortest is too thin."""
    section = policy.comeback
    why = ""
    for horizon_days in training_horizons(policy):
        horizon = timedelta(days=horizon_days)
        rows: list[tuple[float, ...]] = []
        counts: list[float] = []
        splits = []
        for k in range(1, section.training_splits + 1):
            split = at - k * horizon
            found = _training_rows(states, split, horizon_days, policy, snapshots.get(split))
            if found is None:
                break
            rows += found[0]
            counts += found[1]
            splits.append(split)
        if not splits:
            why = (
                f"fewer than {section.min_buyers_to_fit} buyers, or under {horizon_days} days of history, "
                f"by {(at - horizon).isoformat()}"
            )
            continue
        y = np.asarray(counts, dtype=np.float64)
        bought = (y > 0).astype(np.float64)
        positives = int(bought.sum())
        if positives < 5 or positives > len(bought) - 5:
            why = f"{positives} of {len(bought)} training rows ordered within {horizon_days} days"
            continue
        X = np.asarray(rows, dtype=np.float64)
        logistic = fit_glm(X, bought, "logistic", section.ridge, offset=FEATURES.index("bgnbd_logit"))
        poisson = fit_glm(X, y, "poisson", section.ridge, offset=FEATURES.index("bgnbd_log_expected"))
        calibrated = CalibratedModel(
            probability=logistic.params(),
            orders=poisson.params(),
            split_at=splits[0],
            splits=len(splits),
            training_horizon_days=horizon_days,
            rows=len(rows),
            positive_share=round(positives / len(rows), 6),
        )
        return calibrated, ""
    return None, why


def fit_shop_model(
    states: Iterable[CustomerState],
    at: datetime,
    policy: Policy,
    version: str = "shop",
    snapshots: Mapping[datetime, Iterable[CustomerState]] | None = None,
) -> ShopModel:
    """The shop's model from its customers' states as of ``at`` (see the module docstring).

    Raises ``NotEnoughHistory`` with fewer than ``policy.comeback.min_buyers_to_fit`` buyers. The calibrated
    part is left out (None) when the history before ``at - H`` is too thin or ``policy.comeback.calibrated``
    is off; Gamma-Gamma when no order has a value. ``snapshots``: the states as they were at earlier times
    (``training_split_times(at, policy)``), for the calibrated model's training features; without them the
    current states are seen as of each split (exact for orders, favorites and facts, but views are bounded).
    """
    section = policy.comeback
    everyone = list(states)
    buyers = _buyers(everyone, at)
    if len(buyers) < section.min_buyers_to_fit:
        raise NotEnoughHistory(f"{len(buyers)} buyers by {at.isoformat()}; need {section.min_buyers_to_fit}")
    summaries = [s for _, s in buyers]
    bg = _fit_bg(summaries)
    try:
        gg_fit = clv.fit_gamma_gamma([s.orders for s in summaries], [s.mean_value for s in summaries])
        gg: GammaGammaParams | None = GammaGammaParams(
            p=gg_fit.p, q=gg_fit.q, gamma=gg_fit.gamma, log_likelihood=gg_fit.log_likelihood, customers=gg_fit.customers
        )
    except ValueError:
        gg = None
    calibrated = _train_calibrated(everyone, at, policy, snapshots or {})[0] if section.calibrated else None
    total_orders = sum(s.orders for s in summaries)
    aov = sum(s.spent for s in summaries) / total_orders
    q25, q50, q75 = (float(v) for v in np.quantile([s.mean_value for s in summaries], (0.25, 0.5, 0.75)))
    draft = ShopModel(
        version=version,
        fitted_at=at,
        horizon_days=section.horizon_days,
        customers=len(everyone),
        buyers=len(buyers),
        repeat_share=round(sum(1 for s in summaries if s.orders > 1) / len(summaries), 6),
        bgnbd=bg,
        gamma_gamma=gg,
        rfm=_rfm_cuts(summaries),
        average_order_value=max(round(aov, 4), 1e-6),
        aov_quantiles=(q25, q50, q75),
        value_bands=(0.0, 0.0),
        calibrated=calibrated,
    )
    spend = [
        sc.expected_spend
        for sc in _score_buyers(buyers, draft, at, policy, section.horizon_days)
        if sc.expected_spend is not None
    ]
    low, high = (float(v) for v in np.quantile(spend, (1 / 3, 2 / 3))) if spend else (0.0, 0.0)
    # validated anew, not model_copy: a copy would keep the draft's cached fingerprint
    return ShopModel.model_validate(draft.model_dump() | {"value_bands": (low, high)})


def _band(value: float, cuts: tuple[float, float]) -> ScoreBand:
    low, high = cuts
    return "high" if value >= high else "low" if value < low else "medium"


def _calibrated(
    calibrated: CalibratedModel,
    buyers: Sequence[tuple[CustomerState, Summary]],
    bgnbd: BgNbdParams,
    now: datetime,
    policy: Policy,
    p_bg: Floats,
    e_bg: Floats,
) -> tuple[Floats, Floats]:
    """The calibrated (P, E[orders]) within the model's horizon, given BG/NBD's there (``p_bg``, ``e_bg``).

    The model corrects BG/NBD at the horizon it was trained on: its features are taken at that horizon,
    and its correction (log-odds shift, count ratio) applies to BG/NBD's scores at the model's horizon
    (the same numbers when the two horizons are one)."""
    trained = calibrated.training_horizon_days
    summaries = [s for _, s in buyers]
    p_at, e_at = (p_bg, e_bg) if trained is None else _bg(bgnbd, summaries, float(trained))[1:]
    X = np.asarray(
        [
            feature_row(state, s, now, float(p), float(e), float(trained or policy.comeback.horizon_days), policy)
            for (state, s), p, e in zip(buyers, p_at, e_at, strict=True)
        ],
        dtype=np.float64,
    )
    probability = Glm.of(calibrated.probability).linear(X) - _logit(p_at) + _logit(p_bg)
    ratio = Glm.of(calibrated.orders).predict(X) / np.maximum(e_at, 1e-4)
    probability = np.asarray(special.expit(probability), dtype=np.float64)
    # P(at least one) <= E[count] for a count: the expected count is kept at or above the probability
    return probability, np.maximum(e_bg * ratio, probability)


def _logit(p: Floats) -> Floats:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def _score_buyers(
    buyers: Sequence[tuple[CustomerState, Summary]], model: ShopModel, now: datetime, policy: Policy, horizon: int
) -> list[ComebackScore]:
    if not buyers:
        return []
    summaries = [s for _, s in buyers]
    alive, p_bg, e_bg = _bg(model.bgnbd, summaries, float(horizon))
    calibrated = model.calibrated if policy.comeback.calibrated and horizon == model.horizon_days else None
    if calibrated is not None:
        probability, expected = _calibrated(calibrated, buyers, model.bgnbd, now, policy, p_bg, e_bg)
    else:
        probability, expected = p_bg, e_bg
    gg = model.gamma_gamma
    if gg is not None:
        value = clv.gamma_gamma_expected_value(
            gg.p, gg.q, gg.gamma, [s.orders for s in summaries], [s.mean_value for s in summaries]
        )
    scores = []
    fingerprint = model.fingerprint
    for i, _ in enumerate(buyers):
        spend = None if gg is None or not np.isfinite(value[i]) else max(float(value[i] * expected[i]), 0.0)
        scores.append(
            ComebackScore(
                as_of=now,
                horizon_days=horizon,
                probability=round(min(max(float(probability[i]), 0.0), 1.0), 6),
                expected_orders=round(max(float(expected[i]), 0.0), 6),
                expected_spend=None if spend is None else round(spend, 4),
                p_alive=round(min(max(float(alive[i]), 0.0), 1.0), 6),
                bgnbd_probability=round(float(p_bg[i]), 6),
                bgnbd_expected_orders=round(float(e_bg[i]), 6),
                source="bgnbd" if calibrated is None else "calibrated",
                probability_band=_band(float(probability[i]), policy.comeback.probability_bands),
                value_band=None
                if spend is None or model.value_bands == (0.0, 0.0)
                else _band(spend, model.value_bands),
                model=fingerprint,
            )
        )
    return scores


def score_many(
    states: Iterable[CustomerState], model: ShopModel, now: datetime, policy: Policy
) -> dict[str, ComebackScore]:
    """Every buyer's scores at ``now`` (customers without an order that counts are left out)."""
    buyers = _buyers(states, now)
    scores = _score_buyers(buyers, model, now, policy, policy.comeback.horizon_days)
    return {state.customer_id: sc for (state, _), sc in zip(buyers, scores, strict=True)}


def score(state: CustomerState, model: ShopModel, now: datetime, policy: Policy) -> ComebackScore | None:
    """One customer's scores at ``now``; None before a first order that counts (or after an erasure)."""
    return score_many((state,), model, now, policy).get(state.customer_id)


def shop_rfm(cuts: RfmCuts) -> RfmPolicy:
    """The shop's RFM quintile cut points as the rfm section of a policy."""
    return RfmPolicy(
        recency_days=cuts.recency_days, frequency_orders=cuts.frequency_orders, monetary_spent=cuts.monetary_spent
    )


def effective_policy(policy: Policy, model: ShopModel | None) -> Policy:
    """The policy carrying the shop's model, with the shop's own RFM cut points and average order value when
    the policy asks for them; ``policy`` itself without a model."""
    if model is None:
        return policy
    update: dict[str, object] = {"model": model}
    if policy.comeback.rfm_scoring == "shop_quantiles":
        update["rfm"] = shop_rfm(model.rfm)
    if policy.comeback.purchasing_power_scoring == "shop_average":
        update["shop"] = policy.shop.model_copy(update={"average_order_value": model.average_order_value})
    # validated anew, not model_copy: a copy would keep a cached fingerprint of the policy without the model
    return Policy.model_validate({name: getattr(policy, name) for name in Policy.model_fields} | update)


class Targeting(_Frozen):
    """Whether a wake-up or win-back goes to this customer, with what weight, and why."""

    action: Literal["send", "downweight", "skip"]
    weight: float = Field(ge=0, le=1)
    reason: str


def targeting(scores: ComebackScore | None, policy: ComebackPolicy) -> Targeting:
    """skip below ``skip_below_probability`` or ``skip_below_expected_spend``; a lower weight below
    ``downweight_below_probability``; else send. Without scores (no model yet): send."""
    if scores is None:
        return Targeting(action="send", weight=1.0, reason="no repurchase model yet")
    p, spend = scores.probability, scores.expected_spend
    if p < policy.skip_below_probability:
        return Targeting(action="skip", weight=0.0, reason=f"P(order in {scores.horizon_days} d) {p:.3f} too low")
    if spend is not None and spend < policy.skip_below_expected_spend:
        return Targeting(action="skip", weight=0.0, reason=f"expected spend {spend:.2f} too low")
    if p < policy.downweight_below_probability:
        return Targeting(
            action="downweight", weight=policy.downweight_factor, reason=f"P(order in {scores.horizon_days} d) {p:.3f}"
        )
    return Targeting(action="send", weight=1.0, reason=f"P(order in {scores.horizon_days} d) {p:.3f}")


Facts = dict[str, str | int | float | bool | None]


def trigger_facts(scores: ComebackScore | None, policy: ComebackPolicy) -> Facts:
    """What a wake-up or win-back trigger carries in ``facts`` about the customer's scores and the model."""
    if scores is None:
        return {}
    aim = targeting(scores, policy)
    return {
        "comeback_probability": scores.probability,
        "comeback_expected_orders": scores.expected_orders,
        "comeback_expected_spend": scores.expected_spend,
        "comeback_p_alive": scores.p_alive,
        "comeback_horizon_days": scores.horizon_days,
        "comeback_band": scores.probability_band,
        "value_band": scores.value_band,
        "comeback_source": scores.source,
        "comeback_model": scores.model,
        "comeback_action": aim.action,
        "comeback_weight": aim.weight,
        "comeback_reason": aim.reason,
    }


def aim_trigger(
    type_: str, state: CustomerState, due_at: datetime, policy: Policy, offer: Offer, facts: Facts
) -> tuple[Offer, Facts]:
    """A trigger of a ``comeback.targeted`` type, aimed by the policy's model: its facts with the customer's
    scores at ``due_at`` and what the targeting says (the contact stage suppresses a ``skip``), its offer's
    value times the weight when down-weighted. Other types, or no model: unchanged."""
    if policy.model is None or type_ not in policy.comeback.targeted:
        return offer, facts
    scores = score(state.as_of(due_at), policy.model, due_at, policy)
    aim = targeting(scores, policy.comeback)
    if aim.action == "downweight" and offer.value is not None:
        offer = offer.model_copy(update={"value": round(offer.value * aim.weight, 2)})
    return offer, facts | trigger_facts(scores, policy.comeback)
