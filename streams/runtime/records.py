"""Records in and out of the shells: decode or dead-letter a record, guard its handler, send and await acks."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import faust
from faust.exceptions import PartitionsMismatch
from pydantic import BaseModel, ValidationError

from schemas.headers import headers_for
from schemas.topics import TOPICS, TopicSpec
from streams.adapters import table_codec
from streams.config import Settings
from streams.domain.policy import Policy
from streams.runtime.clock import WallClock
from streams.runtime.intake import Rejection, dead_letter, decode
from streams.runtime.metrics import Metrics
from streams.runtime.routing import Origin

__all__ = ["Records", "identified", "readable"]

log = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 10.0
RETRIED = (PartitionsMismatch,)
"""Errors of the worker's view of the cluster, not of the record: the record is tried again, never dead-lettered.
Faust raises PartitionsMismatch on a table's first write from a source topic while the consumer's metadata
snapshot lacks the table's changelog (just created, by another worker or by this one: aiokafka counts a missing
topic as 0 partitions); it holds until the next metadata refresh, which ``Records`` asks for before each wait
(``streams.runtime.cluster_metadata``; aiokafka's own comes only every 5 minutes). Dead-lettering it lost the input of
every record in that window (hundreds, when two workers start on fresh topics)."""
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
"""The waits before each new try; the last repeats (a real mismatch, a changelog created with another partition
count, stalls the partition with a warning every few seconds and dead-letters nothing)."""


M = TypeVar("M", bound=BaseModel)


def _where(record: faust.types.EventT) -> str:
    """The record's place for a log line: topic[partition]@offset (built only when a line is logged)."""
    return f"{record.message.topic}[{record.message.partition}]@{record.message.offset}"


def identified(message: BaseModel, **counts: int) -> dict[str, Any]:
    """A debug line's fields: the message's type and ids (event, product, order), never its values, and
    ``counts`` (what it gave rise to)."""
    ids: dict[str, Any] = {"message_type": getattr(message, "type", type(message).__name__), **counts}
    for name in ("event_id", "product_id", "order_id"):
        if (value := getattr(message, name, None)) is not None:
            ids[name] = value
    return ids


def readable(model: type[M], table: Mapping[str, Any]) -> Iterator[M]:
    """The stored values of a table that still validate; one that does not is logged (not its key: it may be
    personal) and skipped, so a recovery goes on (a failing ``on_recover`` callback fails silently in Faust)."""
    for stored in table.values():
        if stored is None:
            continue
        try:
            yield table_codec.decode(model, stored)
        except ValueError as exc:  # a ValidationError, or a value that does not decompress
            errors = exc.error_count() if isinstance(exc, ValidationError) else 1
            log.error("a stored %s no longer validates (%d errors): skipped", model.__name__, errors)


class Records:
    """Decoding against the record's topic contract; rejected input and failed processing to the dead letters."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        dead_letters: faust.TopicT,
        metrics: Metrics,
        refresh_metadata: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._settings, self._policy, self.metrics = settings, policy, metrics
        self._refresh_metadata = refresh_metadata  # asked for fresh cluster metadata before a RETRIED record waits
        self._unlogged: Counter[str] = Counter()  # rejections since the last log line, by code
        self._logged_at = 0.0
        self._dead_letters = dead_letters
        self._specs: dict[str, TopicSpec] = {settings.topic_name(s): s for s in TOPICS}

    async def reject(self, record: faust.types.EventT, rejection: Rejection, origin: Origin) -> None:
        """Dead-letter the record, naming where it was first published (a forwarded record's origin)."""
        message = record.message
        topic, partition, offset = origin.topic, origin.partition, origin.offset
        letter = dead_letter(
            rejection,
            message.key,
            message.value,
            topic=topic,
            partition=partition,
            offset=offset,
            now=WallClock().now(),
        )
        self._log_rejection(rejection.code, topic, partition, offset)
        self.metrics.dead_letters.labels(rejection.code).inc()
        await self._dead_letters.send(
            key=message.key, value=letter.model_dump_json().encode(), headers=headers_for(letter)
        )

    def _log_rejection(self, code: str, topic: str, partition: int, offset: int) -> None:
        """One line per ``LOG_EVERY_SECONDS`` at most, with codes and counts: never the input's values (a
        phone number sent in a wrong field must not reach the log; the dead letter has the details)."""
        self._unlogged[code] += 1
        if time.monotonic() - self._logged_at < LOG_EVERY_SECONDS:
            return
        counts = ", ".join(f"{code} {n}" for code, n in sorted(self._unlogged.items()))
        log.warning(
            "dead-lettered %s (latest %s[%s]@%s)",
            counts,
            topic,
            partition,
            offset,
            extra={"dead_letters": dict(self._unlogged), "topic": topic, "partition": partition, "offset": offset},
        )
        self._unlogged.clear()
        self._logged_at = time.monotonic()

    async def decode_or_reject(self, record: faust.types.EventT, origin: Origin) -> BaseModel | None:
        """The record's message, checked against its origin topic's contract and for plausibility (times, the
        shop's currency: an amount in a currency the policy maps comes back converted), or None after
        dead-lettering it."""
        message = record.message
        spec = self._specs[origin.topic]
        limit, now = self._settings.max_message_bytes, WallClock().now()  # the future bound is on real time
        decoded = decode(message.key, message.value, spec, limit, policy=self._policy, now=now)
        if isinstance(decoded, Rejection):
            await self.reject(record, decoded, origin)
            return None
        return decoded

    async def guarded(
        self,
        record: faust.types.EventT,
        handler: Callable[[faust.types.EventT], Awaitable[None]],
        origin_of: Callable[[faust.types.EventT], Origin],
    ) -> None:
        """Run ``handler``; a record it cannot process is dead-lettered with the error, never dropped (under its
        origin: a forwarded record names the partition it was first published on). One that failed on an error
        of ``RETRIED`` is run again after a wait, as a redelivery would (a table write that raised wrote nothing)."""
        for attempt in itertools.count():
            try:
                with self.metrics.processing.time():
                    await handler(record)
                return
            except RETRIED as exc:
                wait = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
                where = _where(record)
                log.warning("processing %s waits for the cluster metadata (%s): again in %.1f s", where, exc, wait)
                if self._refresh_metadata is not None:
                    try:
                        await self._refresh_metadata()
                    except Exception as refresh_error:  # the wait below still lets aiokafka's own refresh come
                        log.warning("fresh cluster metadata could not be asked for: %s", type(refresh_error).__name__)
                await asyncio.sleep(wait)
            except Exception as exc:  # a bug on one record must not stop the worker
                await self._failed(record, exc, origin_of(record))
                return

    async def _failed(self, record: faust.types.EventT, exc: Exception, origin: Origin) -> None:
        frames = "".join(traceback.format_tb(exc.__traceback__))  # where it failed, not the values it saw
        log.error(
            "processing failed for %s: %s (the dead letter has the message)\n%s",
            _where(record),
            type(exc).__name__,
            frames,
            extra={
                "topic": record.message.topic,
                "partition": record.message.partition,
                "offset": record.message.offset,
                "error": type(exc).__name__,
            },
        )
        await self.reject(record, Rejection("processing_error", f"{type(exc).__name__}: {exc}"), origin)
