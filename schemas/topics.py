"""Every topic, its key and the messages it carries: the single place names are defined."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from schemas import events as ev
from schemas.control import (
    CustomersProgress,
    CycleLookup,
    ProductAlert,
    ProductCycle,
    ProductTick,
    ReroutedProgress,
    TimerTick,
    WatchChanged,
    WatermarkAdvanced,
)
from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision
from schemas.shop_model import ShopModel
from schemas.triggers import Trigger

__all__ = ["INPUT_TOPICS", "TOPICS", "TopicSpec", "by_role"]


@dataclass(frozen=True)
class TopicSpec:
    role: str
    name: str
    key: str
    messages: tuple[type[BaseModel], ...]
    description: str
    direction: str  # "in": producers publish; "out": the engine publishes; "internal"
    partitions: int | None = None  # a fixed count; None: the settings' partitions
    compacted: bool = False  # cleanup.policy=compact: the latest record per key is kept

    def accepts(self, event_type: str) -> bool:
        return any(m.model_fields["type"].default == event_type for m in self.messages if "type" in m.model_fields)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "orders",
        "comeback.orders",
        "customer_id",
        (ev.OrderPlaced, ev.OrderRefunded, ev.OrderCancelled, WatermarkAdvanced),
        "Orders placed, refunded or cancelled.",
        "in",
    ),
    TopicSpec(
        "behavior",
        "comeback.behavior",
        "customer_id",
        (ev.ProductViewed, ev.FavoriteAdded, ev.FavoriteRemoved, ev.ShopFollowed, ev.ShopUnfollowed, WatermarkAdvanced),
        "Browsing, favorites and shop follows.",
        "in",
    ),
    TopicSpec(
        "customers",
        "comeback.customers",
        "customer_id",
        (ev.CustomerProfileChanged, ev.CustomerErasureRequested, WatermarkAdvanced),
        "Profile, consent and erasure requests.",
        "in",
    ),
    TopicSpec(
        "catalog",
        "comeback.catalog",
        "product_id",
        (ev.StockLevelChanged, ev.PriceChanged, ev.ProductUpserted, WatermarkAdvanced),
        "Stock levels, prices and catalog facts.",
        "in",
    ),
    TopicSpec(
        "ticks",
        "comeback.ticks",
        "customer_id",
        (TimerTick, ProductAlert, ProductCycle),
        "Internal: wakes customers whose timers are due; product alerts and cycle answers for customers.",
        "internal",
    ),
    TopicSpec(
        "watchers",
        "comeback.product-watchers",
        "product_id",
        (WatchChanged, CycleLookup, ProductTick, CustomersProgress),
        "Internal: customers' interest in products and cycle lookups, repartitioned by product; "
        "the customers' event-time progress.",
        "internal",
    ),
    TopicSpec(
        "rerouted_customers",
        "comeback.rerouted-customers",
        "customer_id",
        (ReroutedProgress,),
        "Internal: customer input records another partitioner put on a partition their key's owner does not read, "
        "forwarded unchanged to the owner (origin in headers); how far each input partition is forwarded.",
        "internal",
    ),
    TopicSpec(
        "rerouted_catalog",
        "comeback.rerouted-catalog",
        "product_id",
        (ReroutedProgress,),
        "Internal: the same for catalog records.",
        "internal",
    ),
    TopicSpec(
        "shop_models",
        "comeback.shop-models",
        "shop",
        (ShopModel,),
        "The shop's fitted repurchase model (`comeback fit --publish`, `comeback refit`), key `shop`: every "
        "worker reads the latest and scores and aims with it from then on.",
        "internal",
        partitions=1,
        compacted=True,
    ),
    TopicSpec(
        "triggers",
        "comeback.triggers",
        "customer_id",
        (Trigger,),
        "Decisions to reach out, for the notification services.",
        "out",
    ),
    TopicSpec(
        "decisions",
        "comeback.decisions",
        "customer_id",
        (ContactDecision,),
        "What the contact policy did with every trigger a rule proposed (sent, held out, deferred, capped, "
        "outranked, expired or suppressed) and why: for audits, `comeback explain` and measuring.",
        "out",
    ),
    TopicSpec(
        "dead_letters",
        "comeback.dead-letters",
        "original key",
        (DeadLetter,),
        "Rejected input with the original bytes, its source and the reason.",
        "out",
    ),
)

INPUT_TOPICS = tuple(t for t in TOPICS if t.direction == "in")
_BY_ROLE = {t.role: t for t in TOPICS}


def by_role(role: str) -> TopicSpec:
    return _BY_ROLE[role]
