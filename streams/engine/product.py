"""The product side's one dispatch: a catalog event, a watch change, a cycle lookup or a tick to one product
and its watchers, the same in the Faust shell and the reference run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas import events as ev
from schemas.control import CycleLookup, ProductAlert, ProductCycle, ProductTick, WatchChanged
from streams.domain.policy import Policy
from streams.domain.product.cycles import release_lookups, take_lookup
from streams.domain.product.holds import hold_catalog, release_catalog
from streams.domain.product.state import ProductState
from streams.domain.product.watchers import Watchers, product_moved, watch

__all__ = ["CatalogTime", "ProductDecision", "ProductMessage", "step_product"]

ProductMessage = ev.StockLevelChanged | ev.PriceChanged | ev.ProductUpserted | WatchChanged | CycleLookup | ProductTick


@dataclass(frozen=True)
class CatalogTime:
    """Event time on the product side: the catalog watermark, and the time before which every customer
    partition has applied its events (as this product's partition has heard)."""

    catalog: datetime
    customers: datetime


@dataclass(frozen=True)
class ProductDecision:
    """The product and its watchers after one message, and the alerts and cycle answers for the customers."""

    product: ProductState
    watchers: Watchers
    to_customers: tuple[ProductAlert | ProductCycle, ...] = ()


def step_product(
    product: ProductState, watchers: Watchers, message: ProductMessage, policy: Policy, time: CatalogTime | None
) -> ProductDecision:
    """Wall clock and the reference run (``time`` None): act at once. Event time: a catalog event waits in the
    product until both the customers and the catalog watermark have passed it (an older catalog event of the
    product may still be on its way from another partition, forwarded), a lookup until the catalog watermark
    has passed the purchase; a tick lets go whatever can go."""
    if isinstance(message, WatchChanged):
        updated, missed = watch(watchers, message, policy.limits.watchers_per_product)
        return ProductDecision(product, updated, missed)
    if isinstance(message, CycleLookup):
        held, answers = take_lookup(product, message, None if time is None else time.catalog)
        return ProductDecision(held, watchers, answers)
    if time is None:
        if isinstance(message, ProductTick):
            return ProductDecision(product, watchers)
        moved, watchers_after, alerts = product_moved(product, watchers, message, policy)
        return ProductDecision(moved, watchers_after, alerts)
    held = product if isinstance(message, ProductTick) else hold_catalog(product, message)
    released, watchers_after, alerts = release_catalog(held, watchers, min(time.customers, time.catalog), policy)
    released, answers = release_lookups(released, time.catalog)
    return ProductDecision(released, watchers_after, (*alerts, *answers))
