"""Producer SDK: event ids derived from the platform's natural keys are stable, so retries dedupe."""

from __future__ import annotations

from schemas.events import OrderCancelled
from streams.sdk.producer import stable_event_id


def test_the_same_fact_always_gets_the_same_event_id() -> None:
    assert stable_event_id("order_placed", "o-1001") == stable_event_id("order_placed", "o-1001")


def test_different_facts_get_different_event_ids() -> None:
    ids = {
        stable_event_id("order_placed", "o-1"),
        stable_event_id("order_placed", "o-2"),
        stable_event_id("order_refunded", "o-1"),
        stable_event_id("order_refunded", "o-1", 2),
    }
    assert len(ids) == 4


def test_an_event_id_is_valid_in_the_contract() -> None:
    event = OrderCancelled(
        event_id=stable_event_id("order_cancelled", "o-9"),
        customer_id="c1",
        order_id="o-9",
        occurred_at="2026-01-01T00:00:00Z",
    )
    assert event.event_id == stable_event_id("order_cancelled", "o-9")
