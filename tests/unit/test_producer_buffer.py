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
        for _ in range(messages):
            buffer.put(asyncio.get_running_loop().create_future())  # type: ignore[arg-type]
        if held_back:

            async def write_held_back(stopping: bool) -> None:
                for _ in range(0 if stopping else held_back):
                    buffer.put(asyncio.get_running_loop().create_future())  # type: ignore[arg-type]

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


def test_stored_waits_until_every_message_put_so_far_is_acknowledged() -> None:
    """What the watermarks wait for: the states written before them acknowledged by the broker."""

    class Handing(DrainingProducerBuffer):
        async def _send_pending(self, fut: object) -> None:
            """Handed to the client at once; the test acknowledges each write."""

    async def scenario() -> list[str]:
        log: list[str] = []
        buffer = Handing()
        buffer.app = faust.App("buffer-test", broker="kafka://127.0.0.1:1")  # never started: no connection
        await buffer.start()
        loop = asyncio.get_running_loop()
        first, second = loop.create_future(), loop.create_future()
        buffer.put(first)  # type: ignore[arg-type]
        buffer.put(second)  # type: ignore[arg-type]
        waiting = asyncio.ensure_future(buffer.stored())
        first.set_result(None)
        await asyncio.sleep(0.15)
        log.append("first acknowledged")
        second.set_result(None)
        await waiting
        log.append("stored")
        failed = loop.create_future()
        buffer.put(failed)  # type: ignore[arg-type]
        failed.set_exception(TimeoutError("no ack"))
        with pytest.raises(TimeoutError):
            await buffer.stored()
        await buffer.flush()  # Faust's flush does not raise on a failed write: the buffer keeps it
        with pytest.raises(TimeoutError):
            await buffer.stored()
        log.append("a failed write raises, also after a flush")
        await buffer.stop()
        return log

    assert asyncio.run(scenario()) == ["first acknowledged", "stored", "a failed write raises, also after a flush"]


def test_stored_raises_when_the_buffer_stops_first() -> None:
    """A stopped buffer never sends what is left in it: waiting would never end."""

    async def scenario() -> None:
        buffer = DrainingProducerBuffer()
        buffer.app = faust.App("buffer-test", broker="kafka://127.0.0.1:1")
        buffer.put(asyncio.get_running_loop().create_future())  # type: ignore[arg-type]
        await buffer.stop()
        await buffer.stored()

    with pytest.raises(RuntimeError):
        asyncio.run(scenario())
