"""Which products a customer watches (customer side of the product alerts), and its changes.

Favorited and not bought since: "favorite". Viewed and not bought since the last view: "viewed", until
``viewed_within_days`` after that view. Judged by event time only, so it does not depend on ``now``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Literal, NamedTuple, TypeVar

from schemas.control import ProductAlert, WatchChanged
from streams.domain.customer.state import CustomerState
from streams.domain.policy import LimitsPolicy, Policy, ProductAlertsPolicy

__all__ = ["Interest", "alerted_interest", "interests", "watch_changes"]

T = TypeVar("T")


class Interest(NamedTuple):
    kind: Literal["favorite", "viewed"]
    until: datetime | None
    category: str | None
    since: datetime


def interests(
    state: CustomerState,
    policy: ProductAlertsPolicy,
    as_of: datetime | None = None,
    products: Collection[str] | None = None,
) -> dict[str, Interest]:
    """Products watched (among ``products`` if given), from everything known (``as_of`` None) or only from
    what happened by ``as_of``."""

    def counted(product_id: str, at: datetime) -> bool:
        return (products is None or product_id in products) and (as_of is None or at <= as_of)

    purchases: dict[str, list[datetime]] = {}
    for order in state.orders:
        if order.cancelled or (as_of is not None and order.at > as_of):
            continue
        for product_id in order.product_ids:
            if products is None or product_id in products:
                purchases.setdefault(product_id, []).append(order.at)

    def bought_since(product_id: str, since: datetime) -> bool:
        return any(at >= since for at in purchases.get(product_id, ()))

    found: dict[str, Interest] = {}
    for view in state.views:  # oldest first: the latest wins
        if not counted(view.product_id, view.at):
            continue
        if not bought_since(view.product_id, view.at):
            until = view.at + timedelta(days=policy.viewed_within_days)
            found[view.product_id] = Interest("viewed", until, view.category, view.at)
        else:
            found.pop(view.product_id, None)
    favorites = {f.product_id: f for f in state.favorites if counted(f.product_id, f.at)}
    for favorite in favorites.values():
        if favorite.active and not bought_since(favorite.product_id, favorite.at):
            found[favorite.product_id] = Interest("favorite", None, favorite.category, favorite.at)
    return found


def _replaced(old: tuple[T, ...], new: tuple[T, ...]) -> list[T]:
    """Records in one tuple and not the other, by identity: the fold keeps the records it does not change,
    so this is cheap and, were a record rebuilt equal, errs only towards looking at more products."""
    if old is new:
        return []
    kept_old, kept_new = {id(r) for r in old}, {id(r) for r in new}
    return [r for r in old if id(r) not in kept_new] + [r for r in new if id(r) not in kept_old]


def _touched(before: CustomerState, after: CustomerState) -> set[str]:
    """The products whose views, favorites or orders differ: only their interest can have changed."""
    views, favorites = _replaced(before.views, after.views), _replaced(before.favorites, after.favorites)
    return (
        {v.product_id for v in views}
        | {f.product_id for f in favorites}
        | {p for o in _replaced(before.orders, after.orders) for p in o.product_ids}
    )


def watch_changes(
    before: CustomerState, after: CustomerState, policy: ProductAlertsPolicy, at: datetime
) -> tuple[WatchChanged, ...]:
    """The product-keyed messages that keep the product side's watchers in step with this customer.

    Each is stamped with the event time of the event that changed the interest (``at``), not the time it
    was noticed, so the product side knows who watched at any moment and finds the alerts a watcher
    missed (an unfavorite that leaves an earlier view is a change at the unfavorite's time). Only views,
    favorites and orders change what a customer watches; anything else yields nothing.
    """
    touched = _touched(before, after)
    if not touched:
        return ()
    old, new = interests(before, policy, products=touched), interests(after, policy, products=touched)
    changes = []
    for product_id in sorted(old.keys() | new.keys()):
        if old.get(product_id) != (current := new.get(product_id)):
            changes.append(
                WatchChanged(
                    product_id=product_id,
                    customer_id=after.customer_id,
                    at=at,
                    interest=current.kind if current else "none",
                    until=current.until if current else None,
                    since=current.since if current else None,
                )
            )
    return tuple(changes)


def _unknown_then(state: CustomerState, alert: ProductAlert, since: datetime, limits: LimitsPolicy) -> bool:
    """The customer's records no longer show its interest at the alert's time: the favorite record was
    replaced by a later action on the product, or the bounded record no longer reaches back to ``since``, when
    the interest began."""
    if alert.interest == "favorite":
        record = next((f for f in state.favorites if f.product_id == alert.product_id), None)
        if record is not None and record.at > alert.at:
            return True
    records = state.views if alert.interest == "viewed" else state.favorites
    bound = limits.remembered_views if alert.interest == "viewed" else limits.remembered_favorites
    return len(records) >= bound and min(r.at for r in records) > since


def alerted_interest(state: CustomerState, alert: ProductAlert, policy: Policy) -> Interest | None:
    """The customer's interest in the alert's product as of the alert.

    From the customer's own history; where that history no longer shows the interest at the alert's time
    (the alert came late, e.g. in a fast replay, after a later action on the product or after the bounded
    record moved on), the product side's word, unless a purchase of the product since the interest began or,
    for a favorite, an unfavorite by the alert's time says otherwise.
    """
    since = alert.interest_since or alert.watched_since
    if (
        alert.interest is None
        or since is None
        or state.erased_at is not None
        or not _unknown_then(state, alert, since, policy.limits)
    ):
        return interests(state, policy.product_alerts, as_of=alert.at).get(alert.product_id)
    if any(alert.product_id in o.product_ids and since <= o.at <= alert.at for o in state.valid_orders):
        return None
    favorite = next((f for f in state.favorites if f.product_id == alert.product_id), None)
    if alert.interest == "favorite" and favorite is not None and favorite.at <= alert.at and not favorite.active:
        return None
    return Interest(alert.interest, None, alert.category, since)  # the product side checked a view's lapse
