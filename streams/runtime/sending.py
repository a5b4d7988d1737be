"""Sends the shells await: the broker acknowledges a message before what caused it is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

import faust
from pydantic import BaseModel

from schemas.headers import headers_for

__all__ = ["send", "send_acked", "send_to_every_partition"]


async def send(topic: faust.TopicT, key: str, message: BaseModel) -> Awaitable[object]:
    """Send ``message`` keyed by ``key`` (JSON, with its headers); returns the delivery, acknowledged when done."""
    return await topic.send(key=key.encode(), value=message.model_dump_json().encode(), headers=headers_for(message))


async def send_acked(messages: Iterable[tuple[faust.TopicT, str, BaseModel]]) -> None:
    """Send (topic, key, message) and wait for the broker's acks: what caused them is stored only after."""
    deliveries = [await send(topic, key, message) for topic, key, message in messages]
    await asyncio.gather(*deliveries)


async def send_to_every_partition(topic: faust.TopicT, message: BaseModel, partitions: int) -> None:
    """An event-time announcement (key ``progress``) on every partition of ``topic``, acknowledged."""
    value, headers = message.model_dump_json().encode(), headers_for(message)
    deliveries = [
        await topic.send(key=b"progress", value=value, partition=partition, headers=headers)
        for partition in range(partitions)
    ]
    await asyncio.gather(*deliveries)
