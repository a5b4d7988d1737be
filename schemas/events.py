"""Input events published by the shop platforms (version 1).

Customer events are keyed by ``customer_id``; catalog events by ``product_id``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, TypeAdapter, ValidationInfo, WithJsonSchema, field_validator

from schemas.base import CalendarDate, Count, Currency, Days, Envelope, Identifier, Inbound, Money, Units

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
    "TIME_ZONES",
    "TimeZoneName",
]


class Channel(StrEnum):
    """Ways a notification service can reach a customer."""

    SMS = "sms"
    PUSH = "push"
    WECHAT = "wechat"
    SERVICE = "service"  # a customer-service task or message
    CALL = "call"


TIME_ZONES: Final = tuple(sorted(set(available_timezones()) - {"localtime", "posixrules"}))
"""The IANA zone names this engine's time zone database knows; the schema lists them as an enum."""
_ZONES = frozenset(TIME_ZONES)


def _known_zone(zone: str) -> str:
    if zone not in _ZONES:
        raise ValueError(f"unknown IANA time zone {zone!r}: use a zone name such as Asia/Shanghai, not an offset")
    return zone


TimeZoneName = Annotated[str, AfterValidator(_known_zone), WithJsonSchema({"type": "string", "enum": list(TIME_ZONES)})]


class CustomerEnvelope(Envelope):
    customer_id: Identifier


class ProductEnvelope(Envelope):
    product_id: Identifier


class OrderLine(Inbound):
    product_id: Identifier
    category: Identifier
    brand: str | None = Field(default=None, max_length=128)
    unit_price: Money = Field(description="Price paid per unit, after item discounts, in the order's currency.")
    list_price: Money | None = Field(default=None, description="Undiscounted price per unit.")
    quantity: Count = Field(default=1, ge=1, le=100_000)


class OrderPlaced(CustomerEnvelope):
    """A paid order. ``total`` is what the customer paid for the whole order."""

    type: Literal["order_placed"] = "order_placed"
    order_id: Identifier
    lines: tuple[OrderLine, ...] = Field(min_length=1, max_length=500)
    coupon_code: str | None = Field(default=None, max_length=64)
    discount: Money = Field(default=0, description="Order-level discount (coupons, promotions).")
    total: Money
    currency: Currency | None = Field(
        default=None,
        description="ISO 4217; null or left out: the shop's currency (policy shop.currency, CNY by default). "
        "Another currency is dead-lettered unless the policy maps its rate (shop.exchange_rates).",
    )


class OrderRefunded(CustomerEnvelope):
    """Money returned for an order, in full or in part."""

    type: Literal["order_refunded"] = "order_refunded"
    order_id: Identifier
    amount: Money
    product_ids: tuple[Identifier, ...] = Field(default=(), max_length=500)
    currency: Currency | None = Field(
        default=None,
        description="Since 1.1. ISO 4217, the order's; null or left out: the shop's currency (policy shop.currency).",
    )


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
    timezone: TimeZoneName | None = Field(default=None, description="IANA zone name, e.g. Asia/Shanghai.")
    birthday: CalendarDate | None = None
    consents: dict[Channel, bool] = Field(default_factory=dict, description="Channel opt-in (true) or opt-out.")
    gender: Literal["female", "male", "other"] | None = None
    age_band: Literal["<15", "15-20", "21-24", "25-35", "36-39", "40-60", ">60"] | None = None


class CustomerErasureRequested(CustomerEnvelope):
    """The customer asked to be forgotten: state is dropped, nothing more is sent."""

    type: Literal["customer_erasure_requested"] = "customer_erasure_requested"


class StockLevelChanged(ProductEnvelope):
    type: Literal["stock_level_changed"] = "stock_level_changed"
    available: Units = Field(description="Units that can be sold now.")


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
    replenishment_days: Days | None = Field(default=None, description="Typical days a unit lasts.")
    related_categories: tuple[Identifier, ...] = Field(
        default=(), max_length=50, description="Categories to cross-sell; the product's own is ignored."
    )

    @field_validator("related_categories")
    @classmethod
    def _not_self_related(cls, related: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """The product's own category, if listed, is dropped (JSON Schema cannot state it, so it is not an error)."""
        return tuple(c for c in related if c != info.data.get("category"))


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
