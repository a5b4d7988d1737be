"""On the wall clock, at a fixed offered load: how long after an order its customer's ``welcome`` arrives on the
triggers topic, and how late ``browse_followup`` timers fire (arrival minus the trigger's ``due_at``, and the
worker's own ``comeback_timer_lateness_seconds`` histogram from ``/metrics``).

Every customer is new and gives a consent first (a ``customer_profile_changed``, all sent and processed before
the paced load starts); then, paced at ``rate`` records/s, most customers place their first order and the rest
view a product and buy nothing. The policy file turns quiet hours off (quiet_start == quiet_end, so the hour of
the day does not matter), puts nobody in a control group for the two types and makes browse_followup's delay
short; the caps stay (one trigger per customer is within them).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from schemas import events as ev
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.kafka_admin import create_topics
from streams.adapters.kafka_clients import consumer
from streams.config import Settings
from streams.domain.policy import Policy
from streams.sdk.producer import EventProducer
from streams.tools.bench.host import percentile, rss_bytes
from streams.tools.bench.kafka_side import LISTEN, applied_events, fetch_text, stop_now, wait_ready
from streams.tools.bench.throughput import Stack
from streams.tools.dev import worker_process

__all__ = ["histogram_quantile", "wall_clock", "wall_policy"]


def wall_policy(delay_hours: float) -> dict[str, Any]:
    """The policy file of the wall-clock run (as a file holds it)."""
    policy = {
        "version": "bench-wall",
        "browse_followup": {"delay_hours": delay_hours},
        "contact": {
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "types": {"welcome": {"holdout_percent": 0}, "browse_followup": {"holdout_percent": 0}},
        },
    }
    Policy.model_validate(policy)
    return policy


class _Listener(threading.Thread):
    """Reads the triggers topic from the start and notes each trigger's first arrival (``time.time()``)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="bench-trigger-listener", daemon=True)
        self._reader = consumer(settings, settings.topic_name(by_role("triggers")), **LISTEN)
        self._stopping = threading.Event()
        self.arrived: dict[str, tuple[Trigger, float]] = {}
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                for records in self._reader.poll(timeout_ms=50).values():
                    now = time.time()
                    with self._lock:
                        for record in records:
                            trigger = Trigger.model_validate_json(record.value)
                            self.arrived.setdefault(trigger.trigger_id, (trigger, now))
        finally:
            self._reader.close()

    def of_type(self, kind: str) -> list[tuple[Trigger, float]]:
        with self._lock:
            return [(t, at) for t, at in self.arrived.values() if t.type == kind]

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


def _wait(until: Any, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _spread_ms(seconds: Iterable[float]) -> dict[str, float]:
    values = [s * 1000 for s in seconds]
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values),
    }


def histogram_quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """Prometheus's ``histogram_quantile``: cumulative (upper bound, count) buckets, linear inside a bucket; the
    highest finite bound when the quantile falls in +Inf; None for an empty histogram."""
    buckets = sorted(buckets)
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = bound, count
    return lower


def _lateness_histogram(metrics_text: str) -> dict[str, Any]:
    buckets: list[tuple[float, float]] = []
    count = 0.0
    for family in text_string_to_metric_families(metrics_text):
        if family.name != "comeback_timer_lateness_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                buckets.append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                count = sample.value
    quantiles = {f"p{q}_ms": histogram_quantile(buckets, q / 100) for q in (50, 99)}
    return {"count": int(count)} | {k: None if v is None else v * 1000 for k, v in quantiles.items()}


def wall_clock(
    stack: Stack, *, rate: float, seconds: float, partitions: int, browse_every: int = 5, delay_hours: float = 0.001
) -> dict[str, Any]:
    """The wall-clock run: one worker, ``rate`` records/s for ``seconds`` s, one in ``browse_every`` a view. Its RSS
    once ready, before any record, is the idle worker's (the baseline of RSS per customer)."""
    policy_file = stack.run_dir / "bench-wall-policy.yaml"
    policy_file.write_text(yaml.safe_dump(wall_policy(delay_hours), sort_keys=False), encoding="utf-8")
    target = stack.target("wall", partitions, "wall", policy_file=policy_file)
    settings = target.settings
    create_topics(settings)
    total = max(int(rate * seconds), 1)
    kinds = ["view" if i % browse_every == browse_every - 1 else "order" for i in range(total)]
    customers = [f"{'b' if kind == 'view' else 'w'}{i:07d}" for i, kind in enumerate(kinds)]
    sent: dict[str, float] = {}
    with worker_process(target.env, target.log("worker")) as child:
        wait_ready(settings.web_port, child, target.log("worker"))
        time.sleep(1.0)  # the first timer rounds and fetches
        idle_rss = rss_bytes(child.pid)
        listener = _Listener(settings)
        listener.start()
        try:
            with EventProducer(settings) as producer:
                _consent(producer, settings, target.name, customers)
                first, last = _paced(producer, target.name, kinds, customers, rate, sent)
            wanted = {"welcome": kinds.count("order"), "browse_followup": kinds.count("view")}
            _wait(lambda: all(len(listener.of_type(k)) >= n for k, n in wanted.items()), delay_hours * 3600 + 60)
            status, metrics_text = fetch_text(f"http://127.0.0.1:{settings.web_port}/metrics")
            stop_now(child)
        finally:
            listener.stop()
    welcome = [(t, at) for t, at in listener.of_type("welcome") if t.customer_id in sent]
    browse = listener.of_type("browse_followup")
    return {
        "partitions": partitions,
        "idle_rss_bytes": idle_rss,
        "offered_per_s": rate,
        "achieved_per_s": (total - 1) / (last - first) if last > first else None,
        "seconds": seconds,
        "orders": kinds.count("order"),
        "views": kinds.count("view"),
        "browse_followup_delay_s": delay_hours * 3600,
        "welcome": _spread_ms(at - sent[t.customer_id] for t, at in welcome),
        "welcome_decided": _spread_ms(t.emitted_at.timestamp() - sent[t.customer_id] for t, _ in welcome),
        "timer_lateness": _spread_ms(at - t.due_at.timestamp() for t, at in browse),
        "timer_lateness_histogram": _lateness_histogram(metrics_text) if status == 200 else {"count": 0},
    }


def _consent(producer: EventProducer, settings: Settings, run: str, customers: list[str]) -> None:
    """Every customer opts in to push, before the load; waits until the worker has applied every consent."""
    now = datetime.now(UTC)
    for customer_id in customers:
        producer.send(
            ev.CustomerProfileChanged(
                event_id=f"{run}-consent-{customer_id}",
                customer_id=customer_id,
                occurred_at=now,
                consents={ev.Channel.PUSH: True},
            )
        )
    producer.flush()

    def applied() -> bool:
        return (applied_events(settings.web_port, "customer_profile_changed") or 0) >= len(customers)

    if not _wait(applied, timeout=120, every=0.1):
        raise TimeoutError("the wall-clock worker did not apply the consents within 120 s")


def _paced(
    producer: EventProducer, run: str, kinds: list[str], customers: list[str], rate: float, sent: dict[str, float]
) -> tuple[float, float]:
    """Send one record every 1/rate s (at once when behind); note each order's send time; first and last send."""
    began = time.monotonic()
    first = last = 0.0
    for i, (kind, customer_id) in enumerate(zip(kinds, customers, strict=True)):
        wait = began + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        now = datetime.now(UTC)
        if kind == "order":
            line = ev.OrderLine(product_id="p-bench-order", category="bench-order", unit_price=25.0)
            event: ev.CustomerEvent = ev.OrderPlaced(
                event_id=f"{run}-order-{customer_id}",
                customer_id=customer_id,
                occurred_at=now,
                order_id=f"{run}-{customer_id}",
                lines=(line,),
                total=25.0,
            )
        else:
            event = ev.ProductViewed(
                event_id=f"{run}-view-{customer_id}",
                customer_id=customer_id,
                occurred_at=now,
                product_id="p-bench-view",
                category="bench-view",
            )
        stamp = time.time()
        producer.send(event)
        if kind == "order":
            sent[customer_id] = stamp
        last = time.monotonic()
        first = first or last
    producer.flush()
    return first, last
