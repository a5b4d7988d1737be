"""``comeback fit`` and ``comeback evaluate``: the shop's repurchase model, fitted and measured offline.

Both replay an event log through the engine's reference run (``streams.engine.reference.checkpoints``)
to get every customer's state at a cut-off. ``fit_from_events`` fits the ``ShopModel`` there.
``evaluate`` fits at the cut-off, scores every buyer, and compares with the truth of the next
``horizon`` days (the orders placed in ``(cutoff, cutoff + horizon]``, cancelled ones left out):

- AUC of "orders again within the horizon" (ties counted half) and the RMSE of the number of orders;
- for the engine's model, BG/NBD alone, the R+F+M sum (the shop's quintiles, and the policy's absolute
  cut points), recency alone and the 90-day rule (bought within ``lifecycle.silent_after_days``).

A score that is not a count (RFM, recency, the rule) is turned into one the fair way: the mean number of
orders in the horizon of the customers with the same score (deciles for recency) one horizon earlier,
``(cutoff - H, cutoff]``, so every model predicts counts from the shop's own past only.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from schemas import events as ev
from schemas.base import Envelope
from streams.domain.customer.comeback import (
    ShopModel,
    Summary,
    fit_shop_model,
    score_many,
    shop_rfm,
    summarize,
    training_split_times,
)
from streams.domain.customer.fold import fold_events
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy, RfmPolicy
from streams.engine.reference import checkpoints

__all__ = [
    "Evaluation",
    "ModelResult",
    "auc",
    "describe_model",
    "evaluate",
    "fit_from_events",
    "format_table",
    "load_model",
    "states_at",
]

_DAY = timedelta(days=1)
CustomerEvent = ev.CustomerEvent
CUSTOMER_EVENT_TYPES: tuple[type[Envelope], ...] = get_args(get_args(ev.CustomerEvent)[0])
Replay = str  # "reference" (the engine, rules and timers included) or "fold" (the fold only: same states, faster)


class _Figures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelResult(_Figures):
    name: str
    auc: float = Field(description="'Orders again within the horizon', ranked by the model's score.")
    rmse: float = Field(description="Of the number of orders within the horizon.")
    predicted_orders: float = Field(description="Sum of the predicted counts (actual: Evaluation.actual_orders).")
    lift: tuple[float, ...] = Field(
        description="Share of the customers who ordered again found in the top 10%, 20% ..."
    )


class Evaluation(_Figures):
    cutoff: datetime
    horizon_days: int
    buyers: int = Field(description="Customers with an order that counts by the cut-off: the ones scored.")
    ordered_again: int = Field(description="... of whom ordered within the horizon.")
    actual_orders: int
    history_ends: datetime | None = Field(description="The latest event; before cutoff + horizon the truth is short.")
    model: ShopModel
    results: tuple[ModelResult, ...]


def _replay_states(
    events: Sequence[Envelope], policy: Policy, marks: Sequence[datetime], until: datetime, replay: Replay
) -> list[Mapping[str, CustomerState]]:
    if replay == "reference":
        kept = [e for e in events if e.occurred_at <= until]
        return [c.customers for c in checkpoints(kept, policy, until, marks)]
    if replay != "fold":
        raise ValueError(f"replay must be reference or fold, not {replay!r}")
    by_customer: dict[str, list[CustomerEvent]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.occurred_at):
        if isinstance(event, CUSTOMER_EVENT_TYPES) and event.occurred_at <= until:
            customer_event = cast(CustomerEvent, event)
            by_customer[customer_event.customer_id].append(customer_event)
    out: list[Mapping[str, CustomerState]] = []
    for mark in sorted(m for m in marks if m < until):
        before = {cid: [e for e in es if e.occurred_at < mark] for cid, es in by_customer.items()}
        out.append({cid: fold_events(cid, es, policy.limits) for cid, es in before.items() if es})
    out.append({cid: fold_events(cid, es, policy.limits) for cid, es in by_customer.items()})
    return out


def states_at(
    events: Sequence[Envelope], policy: Policy, at: datetime, replay: Replay = "reference"
) -> Mapping[str, CustomerState]:
    """Every customer's state after the events up to ``at`` (timers run to ``at``)."""
    return _replay_states(events, policy, (), at, replay)[-1]


def fit_from_events(
    events: Sequence[Envelope], policy: Policy, until: datetime, version: str = "shop", replay: Replay = "reference"
) -> ShopModel:
    """The shop's model fitted from the customers' states at ``until`` (and at its training splits)."""
    marks = training_split_times(until, policy)
    *earlier, now = _replay_states(events, policy, marks, until, replay)
    snapshots = {m: s.values() for m, s in zip(sorted(marks), earlier, strict=True)}
    return fit_shop_model(now.values(), until, policy, version, snapshots)


def describe_model(model: ShopModel) -> str:
    """One line: the fit's fingerprint, size and BG/NBD parameters."""
    bg = model.bgnbd
    return (
        f"{model.fingerprint}: {model.buyers} buyers of {model.customers} customers at {model.fitted_at.isoformat()}; "
        f"BG/NBD r={bg.r:.3f} alpha={bg.alpha:.2f} d a={bg.a:.3f} b={bg.b:.3f}; "
        f"calibrated: {'yes' if model.calibrated else 'no'}"
    )


def load_model(path: Path) -> ShopModel:
    return ShopModel.model_validate_json(path.read_text(encoding="utf-8"))


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties half); 0.5 when one class is missing."""
    y = np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return 0.5
    ranks = stats.rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _rmse(predicted: Sequence[float], actual: Sequence[float]) -> float:
    p, a = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    return float(np.sqrt(np.mean((p - a) ** 2))) if p.size else 0.0


def _lift(scores: Sequence[float], labels: Sequence[bool], steps: int = 10) -> tuple[float, ...]:
    """Cumulative gains: the share of all positives among the top k/steps by score (ties in input order)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    y = np.asarray(labels, dtype=np.float64)[order]
    total = y.sum()
    if total == 0:
        return tuple(0.0 for _ in range(steps))
    n = len(y)
    return tuple(round(float(y[: round(n * k / steps)].sum() / total), 4) for k in range(1, steps + 1))


def _counts(state: CustomerState | None, start: datetime, end: datetime) -> int:
    return 0 if state is None else sum(1 for o in state.valid_orders if start < o.at <= end)


def _rfm_sum(s: Summary, rfm: RfmPolicy) -> float:
    recency = max(5 - bisect_left(rfm.recency_days, s.recency_days), 1)
    frequency = 1 + bisect_right(rfm.frequency_orders, s.orders)
    monetary = 1 + bisect_right(rfm.monetary_spent, s.spent)
    return float(recency + frequency + monetary)


def _count_map(train_scores: Sequence[float], train_counts: Sequence[float]) -> Callable[[float], float]:
    """Score -> the mean count of the training customers with that score (or in its training decile)."""
    scores = np.asarray(train_scores, dtype=np.float64)
    counts = np.asarray(train_counts, dtype=np.float64)
    overall = float(counts.mean()) if counts.size else 0.0
    values = np.unique(scores)
    if values.size <= 25:
        means = {float(v): float(counts[scores == v].mean()) for v in values}

        def exact(score: float) -> float:
            if score in means:
                return means[score]
            nearest = min(means, key=lambda v: abs(v - score)) if means else None
            return overall if nearest is None else means[nearest]

        return exact
    edges = np.unique(np.quantile(scores, np.linspace(0.1, 0.9, 9)))
    bins = np.searchsorted(edges, scores, side="right")
    by_bin = {int(b): float(counts[bins == b].mean()) for b in np.unique(bins)}
    return lambda score: by_bin.get(int(np.searchsorted(edges, score, side="right")), overall)


def evaluate(
    events: Sequence[Envelope],
    policy: Policy,
    cutoff: datetime,
    horizon_days: int,
    replay: Replay = "reference",
) -> Evaluation:
    """Fit at ``cutoff`` and measure every model against the orders of the next ``horizon_days`` (module doc)."""
    horizon = timedelta(days=horizon_days)
    policy = policy.model_copy(update={"comeback": policy.comeback.model_copy(update={"horizon_days": horizon_days})})
    end = cutoff + horizon
    earlier = cutoff - horizon
    splits = sorted({*training_split_times(cutoff, policy), earlier})
    *at_splits, at_cutoff, at_end = _replay_states(events, policy, (*splits, cutoff), end, replay)
    snapshots = {m: s.values() for m, s in zip(splits, at_splits, strict=True)}
    at_earlier = dict(zip(splits, at_splits, strict=True))[earlier]
    model = fit_shop_model(at_cutoff.values(), cutoff, policy, snapshots=snapshots)
    scores = score_many(at_cutoff.values(), model, cutoff, policy)
    ids = sorted(scores)
    summaries_or_none = {cid: summarize(at_cutoff[cid], cutoff) for cid in ids}
    actual = [float(_counts(at_end.get(cid), cutoff, end)) for cid in ids]
    again = [a > 0 for a in actual]

    # one horizon earlier: the same baselines' scores and what followed, to turn scores into counts
    train = {cid: s for cid, state in at_earlier.items() if (s := summarize(state, earlier)) is not None}
    train_ids = sorted(train)
    train_counts = [float(_counts(at_cutoff.get(cid), earlier, cutoff)) for cid in train_ids]
    bands_only = policy.comeback.model_copy(update={"calibrated": False})
    rfm_then = (
        shop_rfm(fit_shop_model(at_earlier.values(), earlier, policy.model_copy(update={"comeback": bands_only})).rfm)
        if len(train) >= policy.comeback.min_buyers_to_fit
        else shop_rfm(model.rfm)
    )
    rfm_now = shop_rfm(model.rfm)
    summaries = {cid: s for cid, s in summaries_or_none.items() if s is not None}
    silent = float(policy.lifecycle.silent_after_days)
    baselines: dict[str, Callable[[Summary, RfmPolicy], float]] = {
        "R+F+M (shop quintiles)": _rfm_sum,
        "R+F+M (absolute cut points)": lambda s, _: _rfm_sum(s, policy.rfm),
        "recency alone": lambda s, _: -s.recency_days,
        f"{int(silent)}-day rule": lambda s, _: 1.0 if s.recency_days <= silent else 0.0,
    }
    results = [
        _result("engine model", [scores[c].probability for c in ids], [scores[c].expected_orders for c in ids], actual),
        _result(
            "BG/NBD alone",
            [scores[c].bgnbd_probability for c in ids],
            [scores[c].bgnbd_expected_orders for c in ids],
            actual,
        ),
    ]
    for name, baseline in baselines.items():
        test_scores = [baseline(summaries[c], rfm_now) for c in ids]
        to_count = _count_map([baseline(train[c], rfm_then) for c in train_ids], train_counts)
        results.append(_result(name, test_scores, [to_count(v) for v in test_scores], actual))
    latest = max((e.occurred_at for e in events), default=None)
    return Evaluation(
        cutoff=cutoff,
        horizon_days=horizon_days,
        buyers=len(ids),
        ordered_again=sum(again),
        actual_orders=int(sum(actual)),
        history_ends=latest,
        model=model,
        results=tuple(results),
    )


def _result(name: str, ranking: Sequence[float], counts: Sequence[float], actual: Sequence[float]) -> ModelResult:
    labels = [a > 0 for a in actual]
    return ModelResult(
        name=name,
        auc=round(auc(ranking, labels), 4),
        rmse=round(_rmse(counts, actual), 4),
        predicted_orders=round(float(sum(counts)), 2),
        lift=_lift(ranking, labels),
    )


def format_table(evaluation: Evaluation) -> str:
    e = evaluation
    lines = [
        f"cut-off {e.cutoff.isoformat()}, horizon {e.horizon_days} days: {e.buyers} buyers scored, "
        f"{e.ordered_again} ({e.ordered_again / max(e.buyers, 1):.1%}) ordered again, {e.actual_orders} orders",
        f"model {e.model.fingerprint}: BG/NBD r={e.model.bgnbd.r:.3f} alpha={e.model.bgnbd.alpha:.2f} d "
        f"a={e.model.bgnbd.a:.3f} b={e.model.bgnbd.b:.3f}; calibrated: {'yes' if e.model.calibrated else 'no'}",
        "",
        f"{'model':<30} {'AUC':>7} {'RMSE':>7} {'predicted':>10} {'top 10%':>8} {'top 30%':>8}",
    ]
    for r in e.results:
        lines.append(
            f"{r.name:<30} {r.auc:>7.4f} {r.rmse:>7.4f} {r.predicted_orders:>10.1f} {r.lift[0]:>8.1%} {r.lift[2]:>8.1%}"
        )
    if e.history_ends is not None and e.history_ends < e.cutoff + timedelta(days=e.horizon_days):
        lines.append(f"\nwarning: the history ends {e.history_ends.isoformat()}, before cut-off + horizon")
    return "\n".join(lines)


def parse_time(text: str, events: Iterable[Envelope]) -> datetime:
    """An ISO date or time; without an offset, in the zone of the earliest event (UTC without events)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        first = min(events, key=lambda e: e.occurred_at, default=None)
        zone = first.occurred_at.tzinfo if first is not None else None
        moment = moment.replace(tzinfo=zone or datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo)
    return moment
