"""Output contract: a decision to reach out, for the notification services to act on."""

from __future__ import annotations

import hashlib
import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import SCHEMA_VERSION, Contract, Identifier, Money
from schemas.events import Channel

__all__ = ["CustomerSnapshot", "Offer", "ProductRef", "Trigger", "TriggerType", "trigger_id_for"]

TriggerType = Literal[
    "browse_followup",
    "favorite_low_stock",
    "back_in_stock",
    "price_drop",
    "welcome",
    "usage_guide",
    "replenishment",
    "cross_sell",
    "tier_upgrade",
    "lifecycle_wakeup",
    "churn_warning",
    "birthday",
]

_TRIGGER_NAMESPACE = uuid.UUID("6f1c9a52-33a4-4c1e-9d0e-3b8f2a9c7d11")


def trigger_id_for(trigger_type: str, customer_id: str, occasion: str) -> str:
    """Deterministic id: the same trigger for the same occasion always gets the same id.

    ``occasion`` names what makes this trigger unique for the customer, e.g. the due time of the
    timer that fired it; consumers drop a trigger_id they have already acted on.
    """
    digest = hashlib.sha256(f"{trigger_type}|{customer_id}|{occasion}".encode()).hexdigest()
    return str(uuid.uuid5(_TRIGGER_NAMESPACE, digest))


class ProductRef(Contract):
    product_id: Identifier
    category: Identifier | None = None


class Offer(Contract):
    """What to offer; the notification service turns it into words and a coupon."""

    kind: Literal["none", "coupon", "percent_off", "pack", "points", "content"] = "none"
    level: int = Field(default=0, ge=0, le=5, description="Offer strength, 0 (none) to 5 (strongest).")
    value: float | None = Field(default=None, ge=0, description="Coupon amount, percent off or points factor.")
    valid_days: int | None = Field(default=None, ge=1)
    description: str = ""


class CustomerSnapshot(Contract):
    """The customer's segment fields at decision time, for personalisation."""

    lifecycle: str
    tier: str
    order_count: int = Field(ge=0)
    total_spent: Money
    average_order_value: Money
    segments: tuple[str, ...] = ()


class Trigger(Contract):
    trigger_id: str = Field(description="Deterministic: same inputs, same id. Use it to drop repeats.")
    schema_version: str = SCHEMA_VERSION
    type: TriggerType
    customer_id: Identifier
    products: tuple[ProductRef, ...] = ()
    categories: tuple[Identifier, ...] = Field(
        default=(), description="The categories it is about beyond its products' (e.g. a cross-sell's offered ones)."
    )
    due_at: AwareDatetime = Field(description="When the rule wanted it sent (event time).")
    emitted_at: AwareDatetime = Field(description="When the engine decided (engine clock).")
    channel: Channel | None = Field(
        default=None, description="The consented channel the contact policy chose (set on every published trigger)."
    )
    offer: Offer = Offer()
    reason: str = Field(description="Human-readable: the facts that caused it.")
    facts: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    policy_version: str
    customer: CustomerSnapshot
    send_after: AwareDatetime | None = Field(
        default=None, description="Deliver at or after this (UTC): inside the customer's send window."
    )
    expires_at: AwareDatetime | None = Field(default=None, description="Do not deliver after this (UTC).")
    timezone: str | None = Field(default=None, description="The customer's IANA zone the send window was read in.")
    decision: str | None = Field(default=None, description="Why it is sent now, in words (deferrals, slot, channel).")
    decision_id: str | None = Field(default=None, description="The `sent` record on the decisions topic.")
