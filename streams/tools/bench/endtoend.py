"""One event-time worker started on a workload produced before it: how fast it gets through.

The clock starts when the worker's own counter of input events taken in (``comeback_events_total``, outcome
``applied``, on ``/metrics``) first moves: the start-up before that (imports, group joins, recovery) is
reported apart. Then three ends: every input event taken in (the same counter reaches the workload's size; in
event time the shell holds an event in the state until the watermark passes it, so most of the work, the rules,
the product side and the triggers, is still to come), the input offsets committed (consumer group lag 0; Faust
commits every few seconds), and the last trigger the reference run expects arrived on the triggers topic: the
end to end figure. When an expected trigger never comes, the watch ends once every topic the worker reads is
drained, the listener has read the whole triggers topic and nothing came for ``_QUIET`` s; the last expected
trigger that did come counts, and the figures say how many are missing.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer

import streams.tools.bench.profile as spying
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.kafka_clients import admin_client, consumer
from streams.config import Settings
from streams.tools.bench.host import rss_bytes
from streams.tools.bench.kafka_side import LISTEN, applied_events, committed_lag, end_offsets, input_topics, stop_now
from streams.tools.bench.throughput import Target
from streams.tools.bench.workload import Workload
from streams.tools.dev import worker_process

__all__ = ["worker_end_to_end"]

_LOOK_EVERY = 0.25  # seconds between two looks at the counter and the group's committed offsets
_QUIET = 5.0
_INTERNAL = ("ticks", "watchers", "rerouted_customers", "rerouted_catalog")


def _described(workload: Workload, ids: set[str], most: int = 20) -> list[str]:
    """The type, customer and due time of (at most ``most`` of) the expected triggers that never came."""
    return [f"{t.type} {t.customer_id} due {t.due_at.isoformat()}" for t in workload.triggers if t.trigger_id in ids][
        :most
    ]


class _Watch:
    """The listener on the triggers topic and the looks at the worker and its group, with the times seen."""

    def __init__(self, settings: Settings, workload: Workload) -> None:
        self.settings = settings
        self.events = len(workload.events)
        self.expected = {t.trigger_id for t in workload.triggers}
        self.ends = end_offsets(settings, input_topics(settings))
        self.triggers_topic = settings.topic_name(by_role("triggers"))
        self.listener: KafkaConsumer = consumer(settings, self.triggers_topic, **LISTEN)
        self.admin: KafkaAdminClient = admin_client(settings)
        self.got: set[str] = set()
        self.first_taken: float | None = None
        self.all_taken: float | None = None
        self.lag_zero: float | None = None
        self.all_triggers: float | None = None
        self.last_expected: float | None = None
        self.last_arrival = 0.0

    def listen(self, timeout_ms: int = 100) -> None:
        for records in self.listener.poll(timeout_ms=timeout_ms).values():
            self.last_arrival = time.monotonic()
            for record in records:
                trigger_id = Trigger.model_validate_json(record.value).trigger_id
                if trigger_id in self.expected and trigger_id not in self.got:
                    self.last_expected = self.last_arrival
                self.got.add(trigger_id)
        if self.all_triggers is None and self.expected <= self.got:
            self.all_triggers = time.monotonic()

    def wait_first_taken(self, child: subprocess.Popen[bytes], timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.first_taken is None:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker took in no event (exit code {child.poll()})")
            if (applied_events(self.settings.web_port) or 0) > 0:
                self.first_taken = time.monotonic()
            else:
                self.listen(timeout_ms=0)
                time.sleep(0.05)
        return self.first_taken

    def _caught_up(self) -> bool:
        """The listener has read everything on the triggers topic so far."""
        ends = end_offsets(self.settings, [self.triggers_topic])
        return all(self.listener.position(tp) >= end for tp, end in ends.items() if end > 0)

    def _drained(self) -> bool:
        internal = [self.settings.topic_name(by_role(role)) for role in _INTERNAL]
        return committed_lag(self.admin, self.settings.app_id, end_offsets(self.settings, internal)) == 0

    def run(self, child: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        next_look = 0.0
        while time.monotonic() < deadline and child.poll() is None:
            self.listen()
            now = time.monotonic()
            if now < next_look:
                continue
            next_look = now + _LOOK_EVERY
            if self.all_taken is None and (applied_events(self.settings.web_port) or 0) >= self.events:
                self.all_taken = time.monotonic()
            if self.lag_zero is None and committed_lag(self.admin, self.settings.app_id, self.ends) == 0:
                self.lag_zero = time.monotonic()
            if self.lag_zero is not None and self.all_triggers is not None:
                return
            quiet = now - max(self.last_arrival, self.first_taken or 0.0) > _QUIET
            if self.lag_zero is not None and quiet and self._drained() and self._caught_up():
                return

    def close(self) -> None:
        self.listener.close()
        self.admin.close()


def worker_end_to_end(target: Target, workload: Workload, timeout: float, profile: bool = False) -> dict[str, Any]:
    """The worker end to end: events/s from its first event taken in to each end, RSS then and at the end;
    ``profile``: py-spy samples the worker from its first event to the end (``figures["profile"]``)."""
    settings = target.settings
    watch = _Watch(settings, workload)
    messages = sum(watch.ends.values())
    try:
        watch.listen(timeout_ms=500)  # joined and positioned before the worker starts
        launched = time.monotonic()
        with worker_process(target.env, target.log("worker")) as child:
            first = watch.wait_first_taken(child, timeout=180)
            rss_first = rss_bytes(child.pid)
            raw = target.run_dir / f"{target.name}-py-spy.txt"
            spy = spying.record(child.pid, timeout, raw) if profile else None
            watch.run(child, timeout)
            rss_end = rss_bytes(child.pid)
            if spy is not None:
                spying.finish(spy)
            stop_now(child)
    finally:
        watch.close()
    figures: dict[str, Any] = {
        "partitions": settings.partitions,
        "events": watch.events,
        "messages": messages,
        "expected_triggers": len(watch.expected),
        "triggers_received": len(watch.got & watch.expected),
        "triggers_missing": len(watch.expected - watch.got),
        "missing": _described(workload, watch.expected - watch.got),
        "unexpected_triggers": len(watch.got - watch.expected),
        "startup_s": first - launched,
        "rss_first_bytes": rss_first,
        "rss_end_bytes": rss_end,
    }
    ends = {
        "taken_in": watch.all_taken,
        "lag_zero": watch.lag_zero,
        "triggers": watch.all_triggers or watch.last_expected,
    }
    for what, at in ends.items():
        seconds = None if at is None else max(at - first, 1e-3)
        figures[f"{what}_s"] = seconds
        figures[f"{what}_events_per_s"] = None if seconds is None else watch.events / seconds
        figures[f"{what}_messages_per_s"] = None if seconds is None else messages / seconds
    if profile:
        figures["profile"] = spying.top_functions(raw) if raw.exists() else {"samples": 0, "note": "py-spy not found"}
    figures["complete"] = None not in (watch.all_taken, watch.lag_zero, watch.all_triggers)
    return figures
