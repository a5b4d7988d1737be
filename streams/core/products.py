"""Per-product catalog state, folded from catalog events (keyed by product_id)."""

from __future__ import annotations

from functools import singledispatch

from pydantic import AwareDatetime

from schemas import events as ev
from schemas.base import Contract

__all__ = ["ProductState", "evolve_product"]


class ProductState(Contract):
    product_id: str
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    available: int | None = None
    replenishment_days: int | None = None
    related_categories: tuple[str, ...] = ()
    updated_at: AwareDatetime | None = None


def evolve_product(state: ProductState, event: ev.StockLevelChanged | ev.PriceChanged | ev.ProductUpserted) -> ProductState:
    """Apply a catalog event unless an event at least as new was applied already (last writer by event time)."""
    if state.updated_at is not None and event.occurred_at < state.updated_at:
        return state
    return _apply(event, state).model_copy(update={"updated_at": event.occurred_at})


@singledispatch
def _apply(event: ev.CatalogEvent, state: ProductState) -> ProductState:
    raise TypeError(f"not a catalog event: {type(event).__name__}")


@_apply.register
def _(event: ev.StockLevelChanged, state: ProductState) -> ProductState:
    return state.model_copy(update={"available": event.available})


@_apply.register
def _(event: ev.PriceChanged, state: ProductState) -> ProductState:
    return state.model_copy(update={"price": event.new_price})


@_apply.register
def _(event: ev.ProductUpserted, state: ProductState) -> ProductState:
    return state.model_copy(update={
        "category": event.category, "brand": event.brand, "price": event.price,
        "replenishment_days": event.replenishment_days, "related_categories": event.related_categories,
    })
