"""Which products a customer watches (customer side of the product alerts), and its changes.

Favorited and not bought since: "favorite". Viewed and not bought since the last view: "viewed", until
``viewed_within_days`` after that view. Judged by event time only, so it does not depend on ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from schemas.control import ProductAlert, WatchChanged
from streams.core.state import CustomerState
from streams.policy import LimitsPolicy, Policy, ProductAlertsPolicy

__all__ = ["Interest", "alerted_interest", "interests", "watch_changes"]


class Interest(NamedTuple):
    kind: Literal["favorite", "viewed"]
    until: datetime | None
    category: str | None
    since: datetime


def interests(state: CustomerState, policy: ProductAlertsPolicy, as_of: datetime | None = None) -> dict[str, Interest]:
    """Products watched, from everything known (``as_of`` None) or only from what happened by ``as_of``."""
    purchases: dict[str, list[datetime]] = {}
    for order in state.valid_orders:
        if as_of is None or order.at <= as_of:
            for product_id in order.product_ids:
                purchases.setdefault(product_id, []).append(order.at)

    def bought_since(product_id: str, since: datetime) -> bool:
        return any(at >= since for at in purchases.get(product_id, ()))

    found: dict[str, Interest] = {}
    for view in (v for v in state.views if as_of is None or v.at <= as_of):  # oldest first: the latest wins
        if not bought_since(view.product_id, view.at):
            until = view.at + timedelta(days=policy.viewed_within_days)
            found[view.product_id] = Interest("viewed", until, view.category, view.at)
        else:
            found.pop(view.product_id, None)
    favorites = {f.product_id: f for f in state.favorites if as_of is None or f.at <= as_of}
    for favorite in favorites.values():
        if favorite.active and not bought_since(favorite.product_id, favorite.at):
            found[favorite.product_id] = Interest("favorite", None, favorite.category, favorite.at)
    return found


def _last_touch(state: CustomerState, product_id: str) -> datetime | None:
    """The latest event time at which the customer viewed, (un)favorited or bought the product."""
    times = [v.at for v in state.views if v.product_id == product_id]
    times += [f.at for f in state.favorites if f.product_id == product_id]
    times += [o.at for o in state.orders if product_id in o.product_ids]
    return max(times, default=None)


def watch_changes(before: CustomerState, after: CustomerState, policy: ProductAlertsPolicy, at: datetime) -> tuple[WatchChanged, ...]:
    """The product-keyed messages that keep the product side's watchers in step with this customer.

    Each is stamped with the event time the interest began (or ended), not the time it was noticed, so
    the product side orders them and finds the alerts a watcher missed. Only views, favorites and
    orders change what a customer watches; anything else yields nothing.
    """
    if (before.views, before.favorites, before.orders) == (after.views, after.favorites, after.orders):
        return ()
    old, new = interests(before, policy), interests(after, policy)
    changes = []
    for product_id in sorted(old.keys() | new.keys()):
        if old.get(product_id) != (current := new.get(product_id)):
            stamp = current.since if current else (_last_touch(after, product_id) or at)
            changes.append(WatchChanged(
                product_id=product_id, customer_id=after.customer_id, at=stamp,
                interest=current.kind if current else "none", until=current.until if current else None,
            ))
    return tuple(changes)


def _forgotten(state: CustomerState, kind: str, since: datetime, limits: LimitsPolicy) -> bool:
    """The bounded record of views (or favorites) is full and no longer reaches back to ``since``."""
    records = state.views if kind == "viewed" else state.favorites
    bound = limits.remembered_views if kind == "viewed" else limits.remembered_favorites
    return len(records) >= bound and min(r.at for r in records) > since


def alerted_interest(state: CustomerState, alert: ProductAlert, policy: Policy) -> Interest | None:
    """The customer's interest in the alert's product as of the alert.

    From the customer's own history; where that bounded history no longer reaches back to when the product
    side says the interest began (the alert came late, e.g. in a fast replay), the product side's word,
    unless a purchase of the product or an unfavorite by the alert's time says otherwise.
    """
    found = interests(state, policy.product_alerts, as_of=alert.at).get(alert.product_id)
    since = alert.watched_since
    if found is not None or alert.interest is None or since is None or state.erased_at is not None:
        return found
    if not _forgotten(state, alert.interest, since, policy.limits):
        return None
    if any(alert.product_id in o.product_ids and since <= o.at <= alert.at for o in state.valid_orders):
        return None
    favorite = next((f for f in state.favorites if f.product_id == alert.product_id), None)
    if favorite is not None and favorite.at <= alert.at and not favorite.active:
        return None
    until = since + timedelta(days=policy.product_alerts.viewed_within_days) if alert.interest == "viewed" else None
    return Interest(alert.interest, until, alert.category, since)
