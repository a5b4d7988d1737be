"""Producer helpers for platform teams (kafka-python): validate, key and route events before sending."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from kafka import KafkaProducer

from schemas.base import Envelope
from schemas.control import WatermarkAdvanced
from schemas.events import EVENT_ADAPTER
from schemas.topics import INPUT_TOPICS, TopicSpec
from streams.config import Settings

__all__ = ["MARK_EVERY", "EventProducer", "stable_event_id"]


MARK_EVERY = timedelta(days=1)  # event time between the watermarks a time-ordered send adds
_EVENT_NAMESPACE = uuid.UUID("0b7f6a8e-2f0c-4d5e-9a61-5c3e8d2b1f47")


def stable_event_id(event_type: str, *natural_key: object) -> str:
    """An event id derived from what identifies the fact on the platform (e.g. the order id), so a
    producer that retries or re-exports sends the same id and the engine drops the repeat."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, "|".join((event_type, *map(str, natural_key)))))


def _topic_for(event_type: str) -> TopicSpec:
    """The input topic of an event type."""
    return next(spec for spec in INPUT_TOPICS if spec.accepts(event_type))


class EventProducer:
    """Sends validated events to their topic, keyed by their customer or product id.

    Each send waits for the broker's acknowledgement, so a batch holds one record: restored tables and end
    offsets stay exact on the embedded broker (see shared/embedded-broker.md).
    """

    def __init__(self, settings: Settings, **kafka_options: Any) -> None:
        self._settings = settings
        self._producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap.split(","),
            linger_ms=0,
            **settings.kafka_client_options(),
            **kafka_options,
        )

    def send(self, event: Envelope | dict[str, Any]) -> Envelope:
        """Validate (a dict; a model is valid already) and send; returns the event. Raises on invalid input."""
        model = event if isinstance(event, Envelope) else EVENT_ADAPTER.validate_python(event)
        spec = _topic_for(model.type)
        key = getattr(model, spec.key)
        self.send_raw(spec, key.encode(), model.model_dump_json().encode())
        return model

    def send_all(self, events: Iterable[Envelope | dict[str, Any]]) -> int:
        return sum(1 for event in events if self.send(event))

    def send_in_time_order(
        self,
        events: Iterable[Envelope],
        mark_every: timedelta | None = MARK_EVERY,
        sent: Callable[[], None] = lambda: None,
    ) -> int:
        """Send events sorted by time (``ValueError`` on one older than the last), advancing the watermark on
        every input partition each time event time has moved on by ``mark_every`` (``None``: never). A
        partition that gets nothing (a quiet catalog or profile topic) then holds event-time workers back
        by that much at most instead of until the end. ``sent`` is called after each event."""
        count, latest, marked = 0, None, None
        for event in events:
            if latest is not None and event.occurred_at < latest:
                raise ValueError(f"event {event.event_id} at {event.occurred_at} is older than one sent before")
            latest = event.occurred_at
            if marked is None:
                marked = latest
            elif mark_every is not None and latest - marked >= mark_every:
                self.advance_watermark(latest)
                marked = latest
            self.send(event)
            sent()
            count += 1
        return count

    def send_raw(self, spec: TopicSpec, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are (tests and tools that need to send bad input)."""
        self._producer.send(self._settings.topic_name(spec), key=key, value=value).get(timeout=30)

    def advance_watermark(self, at: datetime) -> None:
        """Event-time mode: no event before ``at`` is still to come, on any partition of any input topic."""
        value = WatermarkAdvanced(at=at).model_dump_json().encode()
        for spec in INPUT_TOPICS:
            if spec.accepts("watermark_advanced"):
                topic = self._settings.topic_name(spec)
                for partition in sorted(self._producer.partitions_for(topic)):
                    self._producer.send(topic, key=b"watermark", value=value, partition=partition).get(timeout=30)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
