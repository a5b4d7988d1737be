"""A producer buffer whose flush waits until every buffered message is handed to the Kafka client.

Faust sends a table change to its changelog through the producer's buffer, and before each offset commit it
flushes the producer: the buffer, then the client (which waits for the broker's acks). Faust's buffer flush
returns as soon as no message has left the buffer for 0.1 s, with messages still in it, so under load an
input offset could be committed before the state change it made was sent. A clean stop then lost that change
(the buffer's sending task ends once the stop begins): a worker leaving under load lost customers' orders, and
the local RocksDB store was left ahead of its changelog.
"""

from __future__ import annotations

import asyncio
import contextlib

import faust
from faust.transport.producer import ProducerBuffer

__all__ = ["DrainingProducerBuffer", "drain_before_commits"]

_POLL_SECONDS = 0.1


class DrainingProducerBuffer(ProducerBuffer):
    """Faust's buffer, with a flush that waits while messages are still being sent."""

    async def flush(self) -> None:
        """Wait until the buffer is empty, as long as its sending task runs (a stopping or crashed buffer sends
        nothing more: then Faust's flush, best effort)."""
        while self.size and not self.should_stop:
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.message_sent.wait(), timeout=_POLL_SECONDS)
        await super().flush()


def drain_before_commits(app: faust.App) -> None:
    """Before the app starts: give its producer a :class:`DrainingProducerBuffer`."""
    producer = app.producer
    buffer = DrainingProducerBuffer(loop=producer.loop, beacon=producer.beacon)
    buffer.app = app
    producer.buffer = buffer
