"""How a customer shops: decayed category and brand affinity, own repurchase cycles, browsing streaks."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from schemas.profile import PredictedPurchase
from streams.domain.customer.state import CustomerState, View
from streams.domain.policy import AffinityPolicy, BrowsingPolicy, RepurchasePolicy

__all__ = ["affinities", "browse_sessions", "browse_streak", "favorites_unbought", "next_purchases"]


def _decay(age: timedelta, half_life_days: float) -> float:
    return math.pow(0.5, max(age / timedelta(days=1), 0.0) / half_life_days)


def affinities(state: CustomerState, now: datetime, policy: AffinityPolicy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(top categories, top brands), strongest first: purchases weigh 1, views ``view_weight``, halved per half-life."""
    categories: dict[str, float] = defaultdict(float)
    brands: dict[str, float] = defaultdict(float)
    for order in state.valid_orders:
        weight = _decay(now - order.at, policy.half_life_days)
        for category in order.categories:
            categories[category] += weight
        for brand in order.brands:
            brands[brand] += weight
    for view in state.views:
        categories[view.category] += policy.view_weight * _decay(now - view.at, policy.half_life_days)

    def top(scores: dict[str, float]) -> tuple[str, ...]:
        return tuple(name for name, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: policy.top])

    return top(categories), top(brands)


def next_purchases(state: CustomerState, policy: RepurchasePolicy) -> tuple[PredictedPurchase, ...]:
    """Per category with enough purchases: the median gap between them, and the last purchase plus that gap."""
    days: dict[str, list[datetime]] = defaultdict(list)
    for order in state.valid_orders:
        for category in order.categories:
            bought = days[category]
            if not bought or order.at - bought[-1] >= timedelta(days=policy.min_interval_days):
                bought.append(order.at)
    predictions = []
    for category, times in sorted(days.items()):
        if len(times) >= policy.min_purchases:
            gap = median((b - a) / timedelta(days=1) for a, b in zip(times, times[1:], strict=False))
            predictions.append(
                PredictedPurchase(
                    category=category,
                    interval_days=round(gap, 2),
                    last_purchase_at=times[-1],
                    due_at=times[-1] + timedelta(days=gap),
                )
            )
    return tuple(sorted(predictions, key=lambda p: (p.due_at, p.category)))


def browse_sessions(views: tuple[View, ...], policy: BrowsingPolicy) -> list[tuple[View, ...]]:
    """Views grouped into sessions: the same session id, or no longer gap than ``session_gap_minutes``."""
    sessions: list[list[View]] = []
    gap = timedelta(minutes=policy.session_gap_minutes)
    for view in views:
        last = sessions[-1][-1] if sessions else None
        same = last is not None and (
            (view.session_id is not None and view.session_id == last.session_id) or view.at - last.at <= gap
        )
        if same:
            sessions[-1].append(view)
        else:
            sessions.append([view])
    return [tuple(s) for s in sessions]


def browse_streak(state: CustomerState, policy: BrowsingPolicy) -> int:
    """Browse sessions in a row, up to now, that started after the last order (none bought since)."""
    last_order = state.last_order_at
    sessions = browse_sessions(state.views, policy)
    return sum(1 for s in sessions if last_order is None or s[0].at > last_order)


def favorites_unbought(state: CustomerState) -> tuple[str, ...]:
    """Favorited products (still favorited) not bought since they were favorited, newest first."""
    return tuple(
        f.product_id
        for f in sorted(state.favorites, key=lambda f: f.at, reverse=True)
        if f.active and not any(f.product_id in o.product_ids and o.at >= f.at for o in state.valid_orders)
    )
