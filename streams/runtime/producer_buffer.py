"""A producer buffer whose flush first writes the tables' changes held back, then waits until every buffered
message is handed to the Kafka client.

Faust sends a table change to its changelog through the producer's buffer, and before each offset commit it
flushes the producer: the buffer, then the client (which waits for the broker's acks). Faust's buffer flush
returns as soon as no message has left the buffer for 0.1 s, with messages still in it, so under load an
input offset could be committed before the state change it made was sent. A clean stop then lost that change
(the buffer's sending task ends once the stop begins): a worker leaving under load lost customers' orders, and
the local RocksDB store was left ahead of its changelog.

The shells write their states behind (``streams.runtime.held_back``): at the start of each flush the sends since
the last one are acknowledged and the changes they caused written, so they are in the changelog before the
offsets of the records that made them are committed, and before a rebalance or a stop ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import faust
from faust.transport.producer import ProducerBuffer

__all__ = ["DrainingProducerBuffer", "drain_before_commits"]

_POLL_SECONDS = 0.1


class DrainingProducerBuffer(ProducerBuffer):
    """Faust's buffer, with a flush that first runs ``before_flush`` (the tables' held-back writes) and waits while
    messages are still being sent."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.before_flush: list[Callable[[], Awaitable[object]]] = []

    async def flush(self) -> None:
        """Write what is held back, then wait until the buffer is empty, as long as its sending task runs (a
        stopping or crashed buffer sends nothing more: then nothing is written, and Faust's flush, best effort;
        the held-back changes were made after the last commit, so their records are read again)."""
        if not self.should_stop:
            for write in self.before_flush:
                await write()
        while self.size and not self.should_stop:
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.message_sent.wait(), timeout=_POLL_SECONDS)
        await super().flush()


def drain_before_commits(app: faust.App) -> DrainingProducerBuffer:
    """Before the app starts: give its producer a :class:`DrainingProducerBuffer`, returned so the shells can add
    their held-back writes to ``before_flush``."""
    producer = app.producer
    buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
    buffer.app = app
    producer.buffer = buffer
    return buffer
