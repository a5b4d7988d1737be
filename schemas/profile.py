"""The live customer profile: the read model projected to Redis and served by the workers."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, Contract, Identifier, Money
from schemas.events import Channel

__all__ = ["Band", "CustomerProfile", "Lifecycle", "PredictedPurchase", "ScoreBand", "Tier"]

Lifecycle = Literal["prospect", "new", "active", "silent", "sleeping", "at_risk", "lost"]
Tier = Literal["none", "member", "vip", "super_vip"]
Band = Literal["unknown", "low", "medium", "high"]
ScoreBand = Literal["low", "medium", "high"]


class PredictedPurchase(Contract):
    """When the customer is expected to buy in a category again, from their own rhythm there."""

    category: Identifier
    interval_days: float = Field(gt=0, description="Typical days between purchases in the category.")
    last_purchase_at: AwareDatetime
    due_at: AwareDatetime


class CustomerProfile(Contract):
    """Everything a notification service or a marketer reads about one customer, derived at ``as_of``."""

    schema_version: str = SCHEMA_VERSION
    customer_id: Identifier
    revision: int = Field(ge=0, description="Grows with every state change; a projection never goes back.")
    as_of: AwareDatetime
    lifecycle: Lifecycle
    tier: Tier
    recency_score: int = Field(ge=0, le=5, description="RFM R, 1-5 (5 = most recent); 0 without orders.")
    frequency_score: int = Field(ge=0, le=5)
    monetary_score: int = Field(ge=0, le=5)
    segments: tuple[str, ...] = Field(description="Named segments, e.g. high_value, potential, sleeping.")
    order_count: int = Field(ge=0)
    total_spent: Money
    average_order_value: Money
    max_order_value: Money
    first_order_at: AwareDatetime | None
    last_order_at: AwareDatetime | None
    days_since_last_order: int | None
    purchasing_power: Band = Field(description="Average order value relative to the shop's.")
    price_sensitivity: Band = Field(description="From the share of orders on discount and the depth.")
    discount_share: float = Field(ge=0, le=1)
    average_discount_depth: float = Field(ge=0, le=1)
    top_categories: tuple[Identifier, ...] = Field(description="By time-decayed affinity, strongest first.")
    top_brands: tuple[str, ...]
    next_purchases: tuple[PredictedPurchase, ...]
    favorites_unbought: tuple[Identifier, ...]
    browse_streak: int = Field(ge=0, description="Browse sessions in a row that ended without a purchase.")
    follows_shop: bool | None
    consents: dict[Channel, bool]
    timezone: str | None
    birthday: date | None
    comeback_probability: float | None = Field(
        default=None, ge=0, le=1, description="P(orders again within comeback_horizon_days); null without a model."
    )
    comeback_expected_orders: float | None = Field(
        default=None, ge=0, description="Expected orders within the horizon (the shop's fitted model)."
    )
    comeback_expected_spend: Money | None = Field(
        default=None, description="Expected spend within the horizon, shop currency (predicted CLV)."
    )
    comeback_p_alive: float | None = Field(
        default=None, ge=0, le=1, description="P(still a customer), BG/NBD; 1 until a second order."
    )
    comeback_horizon_days: int | None = Field(default=None, ge=1)
    comeback_band: ScoreBand | None = Field(default=None, description="Probability band (policy comeback bands).")
    value_band: ScoreBand | None = Field(default=None, description="Expected-spend band: the shop's tertiles.")
    comeback_model: str | None = Field(default=None, description="Fingerprint of the fitted model that scored it.")
