"""What the shells hold back between two producer flushes: the sends whose acks are not awaited yet, and the
table writes they caused, made at the flush once the sends are acknowledged.

A record's triggers, contact decisions and messages to the other side go out at once; their acks are awaited
together, at the next producer flush (Faust runs one before every offset commit, and during a rebalance and a
stop), and only then are the states they caused written (``streams.runtime.decoded``). The watermarks
(``streams.runtime.watermarks``) are written last, once the broker has acknowledged those states: the client
sends each partition's batches on its own, so an order of writes alone would not keep a stored watermark from
running ahead of the stored states. A crash before that loses the unwritten states and the uncommitted offsets
together: the records are read again and their sends repeated (same ids), never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

import faust
from pydantic import BaseModel

from streams.runtime.sending import send

__all__ = ["HeldBack", "WrittenBehind"]

log = logging.getLogger(__name__)


class WrittenBehind(Protocol):
    def held_back(self) -> Callable[[], None]:
        """The writes not made yet, as they are now, made by the function returned."""

    def unwritten(self) -> list[str]:
        """The keys with a change not written yet."""


async def _written_at_once() -> None:
    """Tables that are plain mappings (the tests') hold their writes as soon as they are made."""


class HeldBack:
    """The sends not acknowledged yet and the tables written behind, in the order they are written.

    ``stored``: waits until every table write made so far is acknowledged, and raises if one failed
    (``DrainingProducerBuffer.stored``)."""

    def __init__(self, stored: Callable[[], Awaitable[None]] = _written_at_once) -> None:
        self._stored = stored
        self._deliveries: list[Awaitable[object]] = []
        self._tables: list[WrittenBehind] = []
        self._after_stored: list[WrittenBehind] = []
        self._failed: Exception | None = None
        self._settling = asyncio.Lock()  # one wait at a time: a flush must not write while another's acks are out

    def write_behind(self, *tables: WrittenBehind, after_stored: Iterable[WrittenBehind] = ()) -> None:
        """Write these tables' changes at each flush, in this order, and those of ``after_stored`` once the broker
        has acknowledged them (or any table write failed: then nothing more is written, and Faust's commit
        fails)."""
        self._tables += tables
        self._after_stored += after_stored

    async def send(self, messages: Iterable[tuple[faust.TopicT, str, BaseModel]]) -> None:
        """Send (topic, key, message) now; the acks are awaited at the next flush (or :meth:`settle`)."""
        sent = [await send(topic, key, message) for topic, key, message in messages]
        self._deliveries.extend(sent)  # not `+=` around the awaits: a flush may swap the list in between

    async def settle(self) -> None:
        """Wait until every send made so far is acknowledged. A send that failed (after the producer's own retries)
        raises here and at every later call: nothing more is written or committed, and the worker stops (Faust
        crashes on a failed commit); its records are read again by the next owner."""
        async with self._settling:
            await self._settle()

    async def flush(self, stopping: bool = False) -> None:
        """The tables' changes as they are now, written once every send made before is acknowledged (also those a
        concurrent flush, a rebalance's during a commit's, is still waiting for). ``stopping``: the producer sends
        nothing more, so anything held back raises, and Faust commits nothing."""
        tables = [*self._tables, *self._after_stored]
        if stopping:
            if self._failed is not None or self._deliveries or any(t.unwritten() for t in tables):
                raise RuntimeError("the producer is stopping with sends or writes held back: nothing is committed")
            return
        async with self._settling:
            writes = [table.held_back() for table in self._tables]
            later = [table.held_back() for table in self._after_stored]
            await self._settle()
            for write in writes:
                write()
            await self._stored()  # also raises on a failed write (Faust would commit after it)
            for write in later:
                write()

    async def _settle(self) -> None:
        if self._failed is not None:
            raise self._failed
        deliveries, self._deliveries = self._deliveries, []
        try:
            for delivery in deliveries:  # all in flight already: one wait for the slowest
                if isinstance(delivery, asyncio.Future) and delivery.done():
                    delivery.result()  # raises what a failed one failed with
                else:
                    await asyncio.shield(delivery)  # a cancelled wait must not cancel the delivery
        except asyncio.CancelledError:  # Faust gave up waiting (a timeout, a rebalance): wait for them next time
            self._deliveries = deliveries + self._deliveries
            raise
        except Exception as exc:
            log.error("a send was not acknowledged (%s): this worker writes and commits nothing more", exc)
            self._failed = exc
            raise
