"""Control messages: they move time forward without customer events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from schemas.base import Count, Days, Identifier, Inbound, Money, Timestamp, Units, integral

__all__ = [
    "CONTROL_TYPES",
    "CustomersProgress",
    "CycleLookup",
    "ProductAlert",
    "ProductCycle",
    "ProductTick",
    "ReroutedProgress",
    "SourceProgress",
    "TimerTick",
    "WatchChanged",
    "WatermarkAdvanced",
]


Partition = Annotated[int, Field(ge=0, le=65_535), BeforeValidator(integral)]


class TimerTick(Inbound):
    """Wake one customer: some of its timers are due at ``at``. Keyed by customer_id."""

    type: Literal["timer_tick"] = "timer_tick"
    customer_id: Identifier
    at: Timestamp


class WatermarkAdvanced(Inbound):
    """Event-time mode: no event older than ``at`` will follow on this partition (sent to every partition
    of every input topic at the end of a replay). Any key; workers in wall-clock mode ignore it."""

    type: Literal["watermark_advanced"] = "watermark_advanced"
    at: Timestamp


class WatchChanged(Inbound):
    """A customer's interest in a product changed; keyed by product_id so the product side keeps its watchers.

    ``interest`` none means: stop watching (bought, unfavorited, or the view is too old).
    """

    type: Literal["watch_changed"] = "watch_changed"
    product_id: Identifier
    customer_id: Identifier
    interest: Literal["favorite", "viewed", "none"]
    until: Timestamp | None = Field(default=None, description="A viewed interest lapses then.")
    at: Timestamp
    since: Timestamp | None = Field(
        default=None,
        description="When the interest itself began (the favorite, or the view it rests on): before ``at`` when "
        "an unfavorite leaves an earlier view.",
    )


class ProductAlert(Inbound):
    """Stock or price moved on a product the customer watches; keyed by customer_id (fan-out result)."""

    type: Literal["product_alert"] = "product_alert"
    customer_id: Identifier
    product_id: Identifier
    category: Identifier | None = None
    kind: Literal["low_stock", "back_in_stock", "price_drop"]
    at: Timestamp = Field(description="When the stock or price event happened.")
    available: Units | None = None
    old_price: Money | None = None
    new_price: Money | None = None
    cycle: Count = Field(
        ge=0, le=1_000_000_000, description="The product's restock cycle: one low-stock alert per cycle."
    )
    interest: Literal["favorite", "viewed"] | None = Field(
        default=None, description="The customer's interest as the product side knew it at ``at``."
    )
    watched_since: Timestamp | None = Field(
        default=None, description="When the customer's change to that interest happened."
    )
    interest_since: Timestamp | None = Field(
        default=None, description="When that interest itself began (the favorite, or the view it rests on)."
    )


class CustomersProgress(Inbound):
    """Event-time mode: every customer event of these customer-topic partitions that happened before ``before``
    is applied and its watch changes are sent. Sent by the owning worker to every partition of the watchers
    topic (any key), so the product side applies a catalog event only once the customers have caught up."""

    type: Literal["customers_progress"] = "customers_progress"
    partitions: tuple[Partition, ...] = Field(min_length=1, max_length=1024)
    before: Timestamp


class CycleLookup(Inbound):
    """A customer bought the product at ``at``: what was its catalog replenishment cycle just before?
    Keyed by product_id; the product side answers with a ProductCycle."""

    type: Literal["cycle_lookup"] = "cycle_lookup"
    product_id: Identifier
    customer_id: Identifier
    order_id: Identifier
    category: Identifier = Field(description="The order line's category, returned in the answer.")
    at: Timestamp = Field(description="When the order was placed.")


class ProductCycle(Inbound):
    """The answer to a CycleLookup; keyed by customer_id. ``days`` none: the catalog has no cycle."""

    type: Literal["product_cycle"] = "product_cycle"
    customer_id: Identifier
    product_id: Identifier
    order_id: Identifier
    category: Identifier
    at: Timestamp
    days: Days | None = None


class ProductTick(Inbound):
    """Event-time mode: wake one product whose held lookups (the catalog watermark passed them) or held catalog
    events (the customers passed them) can go. Keyed by product_id."""

    type: Literal["product_tick"] = "product_tick"
    product_id: Identifier
    at: Timestamp


class SourceProgress(Inbound):
    """One partition of an input topic (the topic's full name, prefix included), and a time before which its
    strays are all forwarded."""

    topic: Identifier
    partition: Partition
    before: Timestamp


class ReroutedProgress(Inbound):
    """Event time: for each of these input partitions, every record that happened before its ``before`` and
    belongs to another partition's owner (another partitioner than murmur2 put it here) has been forwarded.
    Sent by the worker reading them to every partition of the rerouted topic (key ``progress``)."""

    type: Literal["rerouted_progress"] = "rerouted_progress"
    sources: tuple[SourceProgress, ...] = Field(min_length=1, max_length=4096)


CONTROL_TYPES: dict[str, type[Inbound]] = {
    "timer_tick": TimerTick,
    "watermark_advanced": WatermarkAdvanced,
    "watch_changed": WatchChanged,
    "product_alert": ProductAlert,
    "cycle_lookup": CycleLookup,
    "product_cycle": ProductCycle,
    "product_tick": ProductTick,
    "customers_progress": CustomersProgress,
    "rerouted_progress": ReroutedProgress,
}
