"""Per-product catalog state, folded from catalog events (keyed by product_id).

Stock, price and catalog facts each keep the event time that last set them, so a late event of one
kind still applies after a newer event of another kind (the latest wins per kind).
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch

from pydantic import AwareDatetime, Field

from schemas import events as ev
from schemas.base import Contract, Envelope

__all__ = ["ProductState", "evolve_product"]


class ProductState(Contract):
    product_id: str
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    available: int | None = None
    replenishment_days: int | None = None
    related_categories: tuple[str, ...] = ()
    restock_cycle: int = Field(default=0, ge=0, description="Counts restocks (stock went up): one low-stock alert per cycle.")
    stock_at: AwareDatetime | None = None
    price_at: AwareDatetime | None = None
    catalog_at: AwareDatetime | None = None


def _newer(event: Envelope, stamp: datetime | None) -> bool:
    return stamp is None or event.occurred_at >= stamp


def evolve_product(state: ProductState, event: ev.StockLevelChanged | ev.PriceChanged | ev.ProductUpserted) -> ProductState:
    """Apply a catalog event unless a later event of the same kind was applied already."""
    return _apply(event, state)


@singledispatch
def _apply(event: ev.CatalogEvent, state: ProductState) -> ProductState:
    raise TypeError(f"not a catalog event: {type(event).__name__}")


@_apply.register
def _(event: ev.StockLevelChanged, state: ProductState) -> ProductState:
    if not _newer(event, state.stock_at):
        return state
    restocked = state.available is not None and event.available > state.available
    return state.model_copy(update={
        "available": event.available, "stock_at": event.occurred_at,
        "restock_cycle": state.restock_cycle + restocked,
    })


@_apply.register
def _(event: ev.PriceChanged, state: ProductState) -> ProductState:
    if not _newer(event, state.price_at):
        return state
    return state.model_copy(update={"price": event.new_price, "price_at": event.occurred_at})


@_apply.register
def _(event: ev.ProductUpserted, state: ProductState) -> ProductState:
    if not _newer(event, state.catalog_at):
        return state
    prices = {"price": event.price, "price_at": event.occurred_at} if _newer(event, state.price_at) else {}
    return state.model_copy(update={
        "category": event.category, "brand": event.brand, "replenishment_days": event.replenishment_days,
        "related_categories": event.related_categories, "catalog_at": event.occurred_at, **prices,
    })
