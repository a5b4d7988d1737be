"""Producer helpers for platform teams (kafka-python): validate, key and route events before sending."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from schemas.base import Envelope
from schemas.control import WatermarkAdvanced
from schemas.events import EVENT_ADAPTER
from schemas.topics import INPUT_TOPICS, TopicSpec
from streams.adapters.kafka_clients import producer
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

    By default records are batched: ``send`` returns before the broker's acknowledgement, and ``flush``
    (called by ``send_all``, ``send_in_time_order``, ``close`` and the end of a ``with`` block) waits for
    every pending one and raises the first send that failed. A failure is also raised by the next ``send``
    once it is known. With ``ack_each`` (default: ``settings.producer_ack_each``) each send waits for its
    acknowledgement, so a batch holds one record: restored tables and end offsets stay exact on the
    embedded broker (see shared/embedded-broker.md). Sends are idempotent unless
    ``settings.producer_idempotence`` is off; then one request at a time keeps retries from reordering a
    partition (event time needs each partition in time order).
    """

    def __init__(self, settings: Settings, *, ack_each: bool | None = None, **kafka_options: Any) -> None:
        self._settings = settings
        self._ack_each = settings.producer_ack_each if ack_each is None else ack_each
        self._failure: BaseException | None = None
        options: dict[str, Any] = {
            "linger_ms": 0 if self._ack_each else 5,
            "enable_idempotence": settings.producer_idempotence,
        }
        if not settings.producer_idempotence:
            options["max_in_flight_requests_per_connection"] = 1
        self._producer = producer(settings, **(options | kafka_options))

    def send(self, event: Envelope | dict[str, Any]) -> Envelope:
        """Validate (a dict; a model is valid already) and send; returns the event. Raises on invalid input."""
        model = event if isinstance(event, Envelope) else EVENT_ADAPTER.validate_python(event)
        spec = _topic_for(type(model).model_fields["type"].default)  # every event class has its own type
        key = getattr(model, spec.key)
        self.send_raw(spec, key.encode(), model.model_dump_json().encode())
        return model

    def send_all(self, events: Iterable[Envelope | dict[str, Any]]) -> int:
        """Send every event, then flush; the number sent."""
        count = 0
        for event in events:
            self.send(event)
            count += 1
        self.flush()
        return count

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
        self.flush()
        return count

    def send_raw(self, spec: TopicSpec, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are (tests and tools that need to send bad input)."""
        self._send(self._settings.topic_name(spec), key, value)

    def advance_watermark(self, at: datetime) -> None:
        """Event-time mode: no event before ``at`` is still to come, on any partition of any input topic."""
        value = WatermarkAdvanced(at=at).model_dump_json().encode()
        for spec in INPUT_TOPICS:
            if spec.accepts("watermark_advanced"):
                topic = self._settings.topic_name(spec)
                for partition in sorted(self._producer.partitions_for(topic)):
                    self._send(topic, b"watermark", value, partition)

    def _send(self, topic: str, key: bytes | None, value: bytes, partition: int | None = None) -> None:
        self._raise_failure()
        future = self._producer.send(topic, key=key, value=value, partition=partition)
        if self._ack_each:
            future.get(timeout=30)
        else:
            future.add_errback(self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._failure = self._failure or exc

    def _raise_failure(self) -> None:
        if (failure := self._failure) is not None:
            self._failure = None
            raise failure

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every record sent is acknowledged; raise the first send that failed."""
        self._producer.flush(timeout=timeout)
        self._raise_failure()

    def close(self) -> None:
        """Flush (raising a failed send), then close the connection."""
        try:
            self.flush()
        finally:
            self._producer.close()

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
        else:  # the block's own exception, not a flush failure, is the one to see
            self._producer.close()
