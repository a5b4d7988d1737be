"""The demo: the built-in sample through the real broker and worker, checked against the pure core."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from importlib import resources

from kafka import KafkaConsumer

from schemas.base import Envelope
from schemas.dead_letter import DeadLetter
from schemas.events import EVENT_ADAPTER
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.core.offline import run_offline
from streams.policy import load_policy
from streams.producer import EventProducer
from streams.settings import Settings

__all__ = ["load_sample", "run_demo"]

_BAD_INPUT = (
    b"{this is not json",
    json.dumps({"type": "product_viewed", "event_id": "bad-1", "occurred_at": "2026-11-02T09:00:00",
                "customer_id": "c-anna", "product_id": "p-yoga-mat", "category": "yoga"}).encode(),
)


def load_sample() -> list[Envelope]:
    text = resources.files("streams").joinpath("data/sample.jsonl").read_text(encoding="utf-8")
    return [EVENT_ADAPTER.validate_json(line) for line in text.splitlines() if line.strip()]


def _describe(trigger: Trigger) -> str:
    products = ", ".join(p.product_id for p in trigger.products)
    return (f"[trigger] {trigger.type:<16} {trigger.customer_id:<8} due {trigger.due_at.isoformat()} "
            f"tier={trigger.customer.tier} products: {products}\n          {trigger.reason}")


def run_demo(settings: Settings, timeout: float = 100.0) -> int:
    """Feed the sample, print triggers and dead letters as they arrive; 0 when the worker matched the core."""
    events = load_sample()
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    _, expected = run_offline(events, load_policy(settings.policy_file), until)
    topics = [settings.topic_name(by_role(role)) for role in ("triggers", "dead_letters")]
    consumer = KafkaConsumer(*topics, bootstrap_servers=settings.kafka_bootstrap.split(","),
                             auto_offset_reset="earliest", allow_auto_create_topics=False,
                             **settings.kafka_client_options())
    with EventProducer(settings) as producer:
        producer.send_all(events)
        for bad in _BAD_INPUT:
            producer.send_raw(by_role("behavior"), b"c-anna", bad)
        producer.advance_watermark(until)
    print(f"sent {len(events)} sample events and {len(_BAD_INPUT)} bad messages; waiting for the worker", flush=True)
    expected_ids = {t.trigger_id for t in expected}
    received: dict[str, Trigger] = {}
    letters = 0
    deadline = time.monotonic() + timeout
    while (expected_ids - set(received) or letters < len(_BAD_INPUT)) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                if record.topic == topics[0]:
                    trigger = Trigger.model_validate_json(record.value)
                    received[trigger.trigger_id] = trigger
                    print(_describe(trigger), flush=True)
                else:
                    letters += 1
                    letter = DeadLetter.model_validate_json(record.value)
                    print(f"[dead letter] {letter.code}: {letter.reason}", flush=True)
    consumer.close()
    matched = set(received) == expected_ids
    print(f"{len(received)} triggers from the worker, {len(expected)} predicted by the pure core: "
          f"{'they match' if matched else 'MISMATCH'}; {letters} dead letters", flush=True)
    return 0 if matched and letters == len(_BAD_INPUT) else 1
