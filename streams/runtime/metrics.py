"""Prometheus metrics on the web port (``/metrics``): Faust's own sensor (messages, sends, rebalances, end and
committed offsets per partition, for consumer lag) and the engine's: events by type and outcome, dead
letters by code, triggers by type, contact decisions by type and outcome, pending timers, timer lateness
and processing latency."""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0, 3600.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    events: Counter  # labels: type, outcome (applied, forwarded, rejected)
    dead_letters: Counter  # labels: code
    triggers: Counter  # labels: type
    contact: Counter  # labels: type, outcome (sent, held_out, deferred, capped, outranked, expired, suppressed)
    timers_pending: Gauge
    timer_lateness: Histogram  # seconds from due (or the deferred send_after) to emitted (wall clock)
    processing: Histogram  # seconds per record, decode to stored

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry,
            Counter(
                "comeback_events", "Input records by message type and outcome", ["type", "outcome"], registry=registry
            ),
            Counter("comeback_dead_letters", "Rejected records by rejection code", ["code"], registry=registry),
            Counter("comeback_triggers", "Triggers published, by trigger type", ["type"], registry=registry),
            Counter(
                "comeback_contact_decisions",
                "Contact-policy decisions published, by trigger type and outcome",
                ["type", "outcome"],
                registry=registry,
            ),
            Gauge("comeback_timers_pending", "Customers with a timer or held record pending", registry=registry),
            Histogram(
                "comeback_timer_lateness_seconds",
                "Trigger emitted minus due (or the send_after it was deferred to)",
                buckets=_LATENESS_BUCKETS,
                registry=registry,
            ),
            Histogram(
                "comeback_processing_seconds", "Time to process one record", buckets=_LATENCY_BUCKETS, registry=registry
            ),
        )

    def serve(self, app: faust.App) -> None:
        """``/metrics`` on the app's web port, with Faust's sensor in the same registry."""
        setup_prometheus_sensors(app, registry=self.registry, name_prefix="faust")
