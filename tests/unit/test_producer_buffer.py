"""The worker's producer buffer: a flush returns only when every buffered message was handed on."""

from __future__ import annotations

import asyncio

import faust
import pytest
from faust.transport.producer import ProducerBuffer

from streams.runtime.producer_buffer import DrainingProducerBuffer


async def _left_after_flush(
    kind: type[ProducerBuffer], messages: int = 3, send_seconds: float = 0.15, held_back: int = 0
) -> int:
    """Buffer ``messages`` that each take ``send_seconds`` to hand on, flush, and count what is still buffered.
    ``held_back``: messages a table writes only when the flush begins (``before_flush``)."""

    class Slow(kind):  # type: ignore[misc,valid-type]
        async def _send_pending(self, fut: object) -> None:
            await asyncio.sleep(send_seconds)  # the client waiting for metadata or room in its batch

    buffer = Slow()
    buffer.app = faust.App("buffer-test", broker="kafka://127.0.0.1:1")  # never started: no connection
    await buffer.start()
    try:
        for n in range(messages):
            buffer.put(n)  # type: ignore[arg-type]
        if held_back:

            async def write_held_back() -> None:
                for n in range(held_back):
                    buffer.put(n)  # type: ignore[arg-type]

            buffer.before_flush.append(write_held_back)
        await buffer.flush()
        return buffer.size
    finally:
        while buffer.size:  # a buffer stopped with messages in it raises
            await asyncio.sleep(send_seconds)
        await buffer.stop()


def test_fausts_own_buffer_flush_returns_with_messages_still_buffered() -> None:
    assert asyncio.run(_left_after_flush(ProducerBuffer)) > 0  # the reason for the subclass


@pytest.mark.parametrize("messages", [1, 5])
def test_the_draining_buffer_flush_returns_when_the_buffer_is_empty(messages: int) -> None:
    assert asyncio.run(_left_after_flush(DrainingProducerBuffer, messages)) == 0


def test_the_writes_held_back_are_made_when_the_flush_begins_and_flushed_with_the_rest() -> None:
    assert asyncio.run(_left_after_flush(DrainingProducerBuffer, messages=1, held_back=2)) == 0
