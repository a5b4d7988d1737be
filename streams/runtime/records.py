"""Records in and out of the shells: decode or dead-letter a record, guard its handler, send and await acks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

import faust
from pydantic import BaseModel

from schemas.topics import TOPICS, TopicSpec
from streams.config import Settings
from streams.runtime.clock import WallClock
from streams.runtime.intake import Rejection, dead_letter, decode

__all__ = ["Records", "send_acked"]

log = logging.getLogger(__name__)


async def send_acked(messages: Iterable[tuple[faust.TopicT, str, BaseModel]]) -> None:
    """Send (topic, key, message) and wait for the broker's acks: what caused them is stored only after."""
    deliveries = [
        await topic.send(key=key.encode(), value=message.model_dump_json().encode()) for topic, key, message in messages
    ]
    await asyncio.gather(*deliveries)


class Records:
    """Decoding against the record's topic contract; rejected input and failed processing to the dead letters."""

    def __init__(self, settings: Settings, dead_letters: faust.TopicT) -> None:
        self._settings = settings
        self._dead_letters = dead_letters
        self._specs: dict[str, TopicSpec] = {settings.topic_name(s): s for s in TOPICS}

    async def reject(self, record: faust.types.EventT, rejection: Rejection) -> None:
        message = record.message
        letter = dead_letter(
            rejection,
            message.key,
            message.value,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            now=WallClock().now(),
        )
        log.warning("dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, rejection.reason)
        await self._dead_letters.send(key=message.key, value=letter.model_dump_json().encode())

    async def decode_or_reject(self, record: faust.types.EventT) -> BaseModel | None:
        """The record's message, or None after dead-lettering it with the reason."""
        message = record.message
        spec = self._specs[message.topic]
        decoded = decode(message.key, message.value, spec, self._settings.max_message_bytes)
        if isinstance(decoded, Rejection):
            await self.reject(record, decoded)
            return None
        return decoded

    async def guarded(
        self, record: faust.types.EventT, handler: Callable[[faust.types.EventT], Awaitable[None]]
    ) -> None:
        """Run ``handler``; a record it cannot process is dead-lettered with the error, never dropped."""
        try:
            await handler(record)
        except Exception as exc:
            log.exception("processing failed for %s@%s", record.message.topic, record.message.offset)
            await self.reject(record, Rejection("processing_error", f"{type(exc).__name__}: {exc}"))
