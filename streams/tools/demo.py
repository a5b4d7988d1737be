"""The demo: the built-in sample through the real broker and worker, checked against the pure core."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from importlib import resources
from pathlib import Path

from schemas.base import Envelope
from schemas.dead_letter import DeadLetter
from schemas.events import EVENT_ADAPTER
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.kafka_clients import consumer
from streams.config import Settings, load_policy
from streams.engine.reference import run_reference
from streams.sdk.producer import EventProducer
from streams.tools.report.figures import compute_report
from streams.tools.report.files import write_report
from streams.tools.simulator import simulate_shop

__all__ = ["demo_events", "load_sample", "run_demo"]

_BAD_INPUT = (
    b"{this is not json",
    json.dumps(
        {
            "type": "product_viewed",
            "event_id": "bad-1",
            "occurred_at": "2026-11-02T09:00:00",
            "customer_id": "c-anna",
            "product_id": "p-yoga-mat",
            "category": "yoga",
        }
    ).encode(),
)


def load_sample() -> list[Envelope]:
    text = resources.files("streams").joinpath("data/sample.jsonl").read_text(encoding="utf-8")
    return [EVENT_ADAPTER.validate_json(line) for line in text.splitlines() if line.strip()]


def _describe(trigger: Trigger) -> str:
    products = ", ".join(p.product_id for p in trigger.products)
    return (
        f"[trigger] {trigger.type:<16} {trigger.customer_id:<8} due {trigger.due_at.isoformat()} "
        f"tier={trigger.customer.tier} products: {products}\n          {trigger.reason}"
    )


def demo_events() -> list[Envelope]:
    """The hand-written sample day, after 60 simulated days of a small shop (its customers are c0000N)."""
    sample = load_sample()
    first = min(e.occurred_at for e in sample)
    history = simulate_shop(seed=11, customers=30, days=60, start=first - timedelta(days=61))
    return sorted([*history, *sample], key=lambda e: e.occurred_at)


def _consume(settings: Settings, expected: tuple[Trigger, ...], timeout: float) -> tuple[dict[str, Trigger], int]:
    """Triggers and dead letters as they arrive: sample customers' triggers printed in full."""
    topics = [settings.topic_name(by_role(role)) for role in ("triggers", "dead_letters")]
    reader = consumer(settings, *topics, auto_offset_reset="earliest")
    wanted = {t.trigger_id for t in expected}
    received: dict[str, Trigger] = {}
    letters = 0
    deadline = time.monotonic() + timeout
    while (wanted - set(received) or letters < len(_BAD_INPUT)) and time.monotonic() < deadline:
        for records in reader.poll(timeout_ms=500).values():
            for record in records:
                if record.topic == topics[1]:
                    letters += 1
                    letter = DeadLetter.model_validate_json(record.value)
                    print(f"[dead letter] {letter.code}: {letter.reason}", flush=True)
                    continue
                trigger = Trigger.model_validate_json(record.value)
                received[trigger.trigger_id] = trigger
                if trigger.customer_id.startswith("c-"):
                    print(_describe(trigger), flush=True)
    reader.close()
    return received, letters


def run_demo(settings: Settings, report_dir: Path = Path("comeback-report"), timeout: float = 100.0) -> int:
    """Feed the demo events and two bad messages through the worker, print what comes out, check it
    against the pure core and write the report; 0 when the worker matched."""
    events = demo_events()
    policy = load_policy(settings.policy_file)
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    _, expected = run_reference(events, policy, until)
    with EventProducer(settings) as producer:
        producer.send_in_time_order(events)
        for bad in _BAD_INPUT:
            producer.send_raw(by_role("behavior"), b"c-anna", bad)
        producer.advance_watermark(until)
    print(f"sent {len(events)} events and {len(_BAD_INPUT)} bad messages; waiting for the worker", flush=True)
    received, letters = _consume(settings, expected, timeout)
    matched = set(received) == {t.trigger_id for t in expected}  # product alerts included
    tally = ", ".join(f"{kind} {n}" for kind, n in sorted(Counter(t.type for t in received.values()).items()))
    print(
        f"{len(received)} triggers from the worker ({tally}); {len(expected)} predicted by the pure core: "
        f"{'they match' if matched else 'MISMATCH'}; {letters} dead letters",
        flush=True,
    )
    html, figures = write_report(compute_report(events, policy, tuple(received.values())), report_dir)
    print(f"report: {html.resolve()}\nfigures: {figures.resolve()}", flush=True)
    return 0 if matched and letters == len(_BAD_INPUT) else 1
