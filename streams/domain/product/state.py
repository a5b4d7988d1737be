"""Per-product catalog state, folded from catalog events (keyed by product_id).

Stock, price and catalog facts each keep the event time that last set them, so a late event of one
kind still applies after a newer event of another kind (the latest wins per kind). The replenishment
cycle also keeps its last few changes, so a customer's lookup is answered as of the purchase.
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch

from pydantic import AwareDatetime, Field

from schemas import events as ev
from schemas.base import Contract, Envelope
from schemas.control import CycleLookup
from streams.domain.customer.state import HeldEvent

__all__ = ["CycleChange", "ProductState", "cycle_before", "evolve_product", "note_cycle"]

REMEMBERED_CYCLE_CHANGES = 16


class CycleChange(Contract):
    """At ``at`` the catalog said a unit lasts ``days`` (none: no cycle)."""

    at: AwareDatetime
    days: int | None


class ProductState(Contract):
    product_id: str
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    available: int | None = None
    replenishment_days: int | None = None
    related_categories: tuple[str, ...] = ()
    restock_cycle: int = Field(
        default=0, ge=0, description="Counts restocks (stock went up): one low-stock alert per cycle."
    )
    stock_at: AwareDatetime | None = None
    price_at: AwareDatetime | None = None
    catalog_at: AwareDatetime | None = None
    cycle_changes: tuple[CycleChange, ...] = Field(default=(), description="Oldest first, bounded.")
    held_lookups: tuple[CycleLookup, ...] = Field(default=(), description="Event-time mode: waiting for the catalog.")
    held_events: tuple[HeldEvent, ...] = Field(default=(), description="Event-time mode: waiting for the customers.")


def _newer(event: Envelope, stamp: datetime | None) -> bool:
    return stamp is None or event.occurred_at >= stamp


def evolve_product(
    state: ProductState, event: ev.StockLevelChanged | ev.PriceChanged | ev.ProductUpserted
) -> ProductState:
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
    return state.model_copy(
        update={
            "available": event.available,
            "stock_at": event.occurred_at,
            "restock_cycle": state.restock_cycle + restocked,
        }
    )


@_apply.register
def _(event: ev.PriceChanged, state: ProductState) -> ProductState:
    if not _newer(event, state.price_at):
        return state
    return state.model_copy(update={"price": event.new_price, "price_at": event.occurred_at})


def _with_cycle(changes: tuple[CycleChange, ...], at: datetime, days: int | None) -> tuple[CycleChange, ...]:
    """Insert a catalog statement of the cycle by time (one per instant), keeping the latest few. A statement
    after all others that repeats the last one is left out (catalogs restate unchanged facts); one that
    arrives out of time order is kept as it is."""
    if changes and at > changes[-1].at and days == changes[-1].days:
        return changes
    merged = sorted((*(c for c in changes if c.at != at), CycleChange(at=at, days=days)), key=lambda c: c.at)
    return tuple(merged[-REMEMBERED_CYCLE_CHANGES:])


def cycle_before(state: ProductState, moment: datetime) -> int | None:
    """The catalog's cycle as last stated strictly before ``moment`` (none if unknown then)."""
    return next((c.days for c in reversed(state.cycle_changes) if c.at < moment), None)


def note_cycle(state: ProductState, event: ev.ProductUpserted) -> ProductState:
    """Keep the cycle the upsert states in the history (in any order; lookups read it as of a purchase)."""
    return state.model_copy(
        update={"cycle_changes": _with_cycle(state.cycle_changes, event.occurred_at, event.replenishment_days)}
    )


@_apply.register
def _(event: ev.ProductUpserted, state: ProductState) -> ProductState:
    state = note_cycle(state, event)
    if not _newer(event, state.catalog_at):
        return state
    prices = {"price": event.price, "price_at": event.occurred_at} if _newer(event, state.price_at) else {}
    return state.model_copy(
        update={
            "category": event.category,
            "brand": event.brand,
            "replenishment_days": event.replenishment_days,
            "related_categories": event.related_categories,
            "catalog_at": event.occurred_at,
            **prices,
        }
    )
