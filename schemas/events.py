"""Input events published by the shop platforms (version 1).

Customer events are keyed by ``customer_id``; catalog events by ``product_id``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import Field, TypeAdapter, field_validator, model_validator

from schemas.base import Contract, Envelope, Identifier, Money

__all__ = [
    "AnyEvent",
    "CatalogEvent",
    "Channel",
    "CustomerErasureRequested",
    "CustomerEvent",
    "CustomerProfileChanged",
    "EVENT_ADAPTER",
    "EVENT_TYPES",
    "FavoriteAdded",
    "FavoriteRemoved",
    "OrderCancelled",
    "OrderLine",
    "OrderPlaced",
    "OrderRefunded",
    "PriceChanged",
    "ProductUpserted",
    "ProductViewed",
    "ShopFollowed",
    "ShopUnfollowed",
    "StockLevelChanged",
]


class Channel(StrEnum):
    """Ways a notification service can reach a customer."""

    SMS = "sms"
    PUSH = "push"
    WECHAT = "wechat"
    SERVICE = "service"  # a customer-service task or message
    CALL = "call"


class CustomerEnvelope(Envelope):
    customer_id: Identifier


class ProductEnvelope(Envelope):
    product_id: Identifier


class OrderLine(Contract):
    product_id: Identifier
    category: Identifier
    brand: str | None = Field(default=None, max_length=128)
    unit_price: Money = Field(description="Price paid per unit, after item discounts.")
    list_price: Money | None = Field(default=None, description="Undiscounted price per unit.")
    quantity: int = Field(default=1, ge=1, le=100_000)


class OrderPlaced(CustomerEnvelope):
    """A paid order. ``total`` is what the customer paid for the whole order."""

    type: Literal["order_placed"] = "order_placed"
    order_id: Identifier
    lines: tuple[OrderLine, ...] = Field(min_length=1, max_length=500)
    coupon_code: str | None = Field(default=None, max_length=64)
    discount: Money = Field(default=0, description="Order-level discount (coupons, promotions).")
    total: Money
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class OrderRefunded(CustomerEnvelope):
    """Money returned for an order, in full or in part."""

    type: Literal["order_refunded"] = "order_refunded"
    order_id: Identifier
    amount: Money
    product_ids: tuple[Identifier, ...] = ()


class OrderCancelled(CustomerEnvelope):
    """An order cancelled before fulfilment: it no longer counts at all."""

    type: Literal["order_cancelled"] = "order_cancelled"
    order_id: Identifier


class ProductViewed(CustomerEnvelope):
    type: Literal["product_viewed"] = "product_viewed"
    product_id: Identifier
    category: Identifier
    session_id: Identifier | None = None


class FavoriteAdded(CustomerEnvelope):
    type: Literal["favorite_added"] = "favorite_added"
    product_id: Identifier
    category: Identifier | None = None


class FavoriteRemoved(CustomerEnvelope):
    type: Literal["favorite_removed"] = "favorite_removed"
    product_id: Identifier


class ShopFollowed(CustomerEnvelope):
    type: Literal["shop_followed"] = "shop_followed"


class ShopUnfollowed(CustomerEnvelope):
    type: Literal["shop_unfollowed"] = "shop_unfollowed"


class CustomerProfileChanged(CustomerEnvelope):
    """Profile and consent facts; fields left out (null) are unchanged."""

    type: Literal["customer_profile_changed"] = "customer_profile_changed"
    timezone: str | None = Field(default=None, description="IANA zone, e.g. Asia/Shanghai.")
    birthday: date | None = None
    consents: dict[Channel, bool] = Field(default_factory=dict, description="Channel opt-in (true) or opt-out.")
    gender: Literal["female", "male", "other"] | None = None
    age_band: Literal["<15", "15-20", "21-24", "25-35", "36-39", "40-60", ">60"] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None and zone not in _ZONES:
            raise ValueError(f"unknown IANA time zone {zone!r}")
        return zone


class CustomerErasureRequested(CustomerEnvelope):
    """The customer asked to be forgotten: state is dropped, nothing more is sent."""

    type: Literal["customer_erasure_requested"] = "customer_erasure_requested"


class StockLevelChanged(ProductEnvelope):
    type: Literal["stock_level_changed"] = "stock_level_changed"
    available: int = Field(ge=0, description="Units that can be sold now.")


class PriceChanged(ProductEnvelope):
    type: Literal["price_changed"] = "price_changed"
    old_price: Money | None = None
    new_price: Money


class ProductUpserted(ProductEnvelope):
    """Catalog facts the rules need about a product."""

    type: Literal["product_upserted"] = "product_upserted"
    name: str | None = Field(default=None, max_length=256)
    category: Identifier
    brand: str | None = Field(default=None, max_length=128)
    price: Money
    replenishment_days: int | None = Field(default=None, ge=1, le=3650, description="Typical days a unit lasts.")
    related_categories: tuple[Identifier, ...] = ()

    @model_validator(mode="after")
    def _not_self_related(self) -> ProductUpserted:
        if self.category in self.related_categories:
            raise ValueError("a category cannot be related to itself")
        return self


_ZONES = frozenset(available_timezones())

CustomerEvent = Annotated[
    OrderPlaced
    | OrderRefunded
    | OrderCancelled
    | ProductViewed
    | FavoriteAdded
    | FavoriteRemoved
    | ShopFollowed
    | ShopUnfollowed
    | CustomerProfileChanged
    | CustomerErasureRequested,
    Field(discriminator="type"),
]
CatalogEvent = Annotated[StockLevelChanged | PriceChanged | ProductUpserted, Field(discriminator="type")]
AnyEvent = Annotated[CustomerEvent | CatalogEvent, Field(discriminator="type")]

EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
EVENT_TYPES: dict[str, type[Envelope]] = {
    model.model_fields["type"].default: model
    for model in (
        OrderPlaced,
        OrderRefunded,
        OrderCancelled,
        ProductViewed,
        FavoriteAdded,
        FavoriteRemoved,
        ShopFollowed,
        ShopUnfollowed,
        CustomerProfileChanged,
        CustomerErasureRequested,
        StockLevelChanged,
        PriceChanged,
        ProductUpserted,
    )
}
