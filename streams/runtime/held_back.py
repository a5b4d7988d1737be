"""What the shells hold back between two producer flushes: the sends whose acks are not awaited yet, and the
table writes they caused, made at the flush once the sends are acknowledged.

A record's triggers, contact decisions and messages to the other side go out at once; their acks are awaited
together, at the next producer flush (Faust runs one before every offset commit, and during a rebalance and a
stop), and only then are the states they caused written (``streams.runtime.decoded``), the watermarks last
(``streams.runtime.watermarks``). A crash before that loses the unwritten states and the uncommitted offsets
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


class HeldBack:
    """The sends not acknowledged yet and the tables written behind, in the order they are written."""

    def __init__(self) -> None:
        self._deliveries: list[Awaitable[object]] = []
        self._tables: list[WrittenBehind] = []
        self._failed: Exception | None = None
        self._settling = asyncio.Lock()  # one wait at a time: a flush must not write while another's acks are out

    def write_behind(self, *tables: WrittenBehind) -> None:
        """Write these tables' changes at each flush, in this order, after the ones given before."""
        self._tables += tables

    async def send(self, messages: Iterable[tuple[faust.TopicT, str, BaseModel]]) -> None:
        """Send (topic, key, message) now; the acks are awaited at the next flush (or :meth:`settle`)."""
        self._deliveries += [await send(topic, key, message) for topic, key, message in messages]

    async def settle(self) -> None:
        """Wait until every send made so far is acknowledged. A send that failed (after the producer's own retries)
        raises here and at every later call: nothing more is written or committed, and the worker stops (Faust
        crashes on a failed commit); its records are read again by the next owner."""
        async with self._settling:
            await self._settle()

    async def flush(self) -> None:
        """The tables' changes as they are now, written once every send made before is acknowledged (also those a
        concurrent flush, a rebalance's during a commit's, is still waiting for)."""
        async with self._settling:
            writes = [table.held_back() for table in self._tables]
            await self._settle()
            for write in writes:
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
                    await delivery
        except Exception as exc:
            log.error("a send was not acknowledged (%s): this worker writes and commits nothing more", exc)
            self._failed = exc
            raise
