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
from faust.types.tuples import FutureMessage

__all__ = ["DrainingProducerBuffer", "drain_before_commits"]

_POLL_SECONDS = 0.1


class DrainingProducerBuffer(ProducerBuffer):
    """Faust's buffer, with a flush that first runs ``before_flush`` (the tables' held-back writes) and waits while
    messages are still being sent; :meth:`stored` waits until the messages put so far are acknowledged."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.before_flush: list[Callable[[bool], Awaitable[object]]] = []  # given whether the buffer stops
        self._unacknowledged: list[FutureMessage] = []

    def put(self, fut: FutureMessage) -> None:
        self._unacknowledged.append(fut)
        super().put(fut)

    async def stored(self) -> None:
        """Wait until the broker has acknowledged every message put here so far (the tables' writes). Raises
        what a failed one failed with, or if the buffer stops first (what is left in it is never sent)."""
        pending: set[FutureMessage] = set(self._unacknowledged)
        while pending:
            if self.should_stop:
                raise RuntimeError("the producer buffer stopped before the tables' writes were acknowledged")
            done, pending = await asyncio.wait(pending, timeout=_POLL_SECONDS)
            for fut in done:
                fut.result()

    async def flush(self) -> None:
        """Write what is held back, then wait until the buffer is empty, as long as its sending task runs. A
        stopping or crashed buffer sends nothing more: the hooks then raise if anything is held back, so Faust
        does not commit (the records are read again), and otherwise Faust's flush, best effort."""
        for write in self.before_flush:
            await write(self.should_stop)
        while self.size and not self.should_stop:
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.message_sent.wait(), timeout=_POLL_SECONDS)
        await super().flush()
        self._unacknowledged = [fut for fut in self._unacknowledged if not _delivered(fut)]  # failed ones raise later


def _delivered(fut: FutureMessage) -> bool:
    return fut.done() and not fut.cancelled() and fut.exception() is None


def drain_before_commits(app: faust.App) -> DrainingProducerBuffer:
    """Before the app starts: give its producer a :class:`DrainingProducerBuffer`, returned so the shells can add
    their held-back writes to ``before_flush``."""
    producer = app.producer
    buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
    buffer.app = app
    producer.buffer = buffer
    return buffer
