"""One minimal valid instance of every message model, for the contract tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel

from schemas import events as ev
from schemas.control import (
    CustomersProgress,
    CycleLookup,
    ProductAlert,
    ProductCycle,
    ProductTick,
    ReroutedProgress,
    SourceProgress,
    TimerTick,
    WatchChanged,
    WatermarkAdvanced,
)
from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision, decision_id_for
from schemas.shop_model import BgNbdParams, GammaGammaParams, RfmCuts, ShopModel
from schemas.triggers import CustomerSnapshot, Offer, ProductRef, Trigger, trigger_id_for

__all__ = ["AT", "examples"]

AT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def _customer_events() -> list[BaseModel]:
    who = {"customer_id": "c-1", "occurred_at": AT}
    line = ev.OrderLine(product_id="p-1", category="skincare", brand="Acme", unit_price=79.5, list_price=99, quantity=2)
    return [
        ev.OrderPlaced(
            event_id="e-1", order_id="o-1", lines=(line,), coupon_code="SPRING", discount=10, total=149, **who
        ),
        ev.OrderRefunded(event_id="e-2", order_id="o-1", amount=79.5, product_ids=("p-1",), **who),
        ev.OrderCancelled(event_id="e-3", order_id="o-2", **who),
        ev.ProductViewed(event_id="e-4", product_id="p-1", category="skincare", session_id="s-1", **who),
        ev.FavoriteAdded(event_id="e-5", product_id="p-1", category="skincare", **who),
        ev.FavoriteRemoved(event_id="e-6", product_id="p-1", **who),
        ev.ShopFollowed(event_id="e-7", **who),
        ev.ShopUnfollowed(event_id="e-8", **who),
        ev.CustomerProfileChanged(
            event_id="e-9",
            timezone="Asia/Shanghai",
            birthday=date(1990, 2, 28),
            consents={ev.Channel.SMS: True, ev.Channel.PUSH: False},
            gender="female",
            age_band="25-35",
            **who,
        ),
        ev.CustomerErasureRequested(event_id="e-10", **who),
    ]


def _catalog_events() -> list[BaseModel]:
    what = {"product_id": "p-1", "occurred_at": AT}
    return [
        ev.StockLevelChanged(event_id="e-11", available=3, **what),
        ev.PriceChanged(event_id="e-12", old_price=99, new_price=79.5, **what),
        ev.ProductUpserted(
            event_id="e-13",
            name="Night cream",
            category="skincare",
            brand="Acme",
            price=99,
            replenishment_days=30,
            related_categories=("bodycare",),
            **what,
        ),
    ]


def _engine_messages() -> list[BaseModel]:
    snapshot = CustomerSnapshot(
        lifecycle="active",
        tier="silver",
        order_count=1,
        total_spent=149,
        average_order_value=149,
        segments=("skincare",),
    )
    trigger = Trigger(
        trigger_id=trigger_id_for("replenishment", "c-1", AT.isoformat()),
        type="replenishment",
        customer_id="c-1",
        products=(ProductRef(product_id="p-1", category="skincare"),),
        due_at=AT,
        emitted_at=AT + timedelta(seconds=1),
        channel=ev.Channel.PUSH,
        offer=Offer(kind="coupon", level=2, value=10, valid_days=7, description="10 off"),
        reason="bought p-1 30 days ago; it lasts 30 days",
        facts={"days_since": 30, "sku": "p-1", "vip": False},
        policy_version="2024-05-01",
        customer=snapshot,
    )
    deferred = AT.replace(hour=22, minute=0)
    decision = ContactDecision(
        decision_id=decision_id_for(trigger.trigger_id, "deferred", deferred.isoformat()),
        trigger_id=trigger.trigger_id,
        type="replenishment",
        customer_id="c-1",
        outcome="deferred",
        reason="quiet_hours",
        detail="2024-05-01 22:00 Asia/Shanghai is quiet hours; next try 2024-05-02 08:00 Asia/Shanghai",
        decided_at=deferred,
        due_at=AT,
        send_after=deferred + timedelta(hours=10),
        expires_at=AT + timedelta(days=7),
        timezone="Asia/Shanghai",
        priority=75,
        policy_version="2024-05-01",
    )
    dead_letter = DeadLetter(
        code="not_json",
        reason="Expecting value: line 1 column 1",
        source_topic="comeback.orders",
        source_partition=0,
        source_offset=42,
        key_base64="Yy0x",
        value_base64="bm90IGpzb24=",
        rejected_at=AT,
    )
    watch = WatchChanged(product_id="p-1", customer_id="c-1", interest="viewed", until=AT, at=AT)
    alert = ProductAlert(
        customer_id="c-1",
        product_id="p-1",
        category="candles",
        kind="price_drop",
        at=AT,
        available=3,
        old_price=100.0,
        new_price=80.0,
        cycle=1,
        interest="viewed",
        watched_since=AT,
    )
    lookup = CycleLookup(product_id="p-1", customer_id="c-1", order_id="o-1", category="candles", at=AT)
    cycle = ProductCycle(customer_id="c-1", product_id="p-1", order_id="o-1", category="candles", at=AT, days=30)
    return [
        TimerTick(customer_id="c-1", at=AT),
        WatermarkAdvanced(at=AT),
        watch,
        alert,
        lookup,
        cycle,
        ProductTick(product_id="p-1", at=AT),
        CustomersProgress(partitions=(0, 1), before=AT),
        ReroutedProgress(sources=(SourceProgress(topic="comeback.orders", partition=1, before=AT),)),
        trigger,
        decision,
        dead_letter,
        ShopModel(
            fitted_at=AT,
            horizon_days=90,
            customers=100,
            buyers=80,
            repeat_share=0.4,
            bgnbd=BgNbdParams(r=0.243, alpha=30.9, a=0.793, b=2.426),
            gamma_gamma=GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
            rfm=RfmCuts(
                recency_days=(30, 60, 90, 180), frequency_orders=(2, 3, 4, 5), monetary_spent=(50, 100, 200, 400)
            ),
            average_order_value=120.0,
            aov_quantiles=(80.0, 110.0, 150.0),
            value_bands=(50.0, 150.0),
        ),
    ]


def examples() -> list[BaseModel]:
    """Every input event type, the control messages, a Trigger, a ContactDecision, a DeadLetter and a ShopModel."""
    return [*_customer_events(), *_catalog_events(), *_engine_messages()]
