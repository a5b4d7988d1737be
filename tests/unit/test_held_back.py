"""HeldBack: the sends' acks awaited together at a flush, then the writes they caused, in order; a failed send
stops every later write."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from schemas.control import TimerTick
from streams.runtime.held_back import HeldBack
from tests.factories import T0


@dataclass
class Topic:
    """Stands in for a Faust topic: each send's delivery is a future the test settles."""

    deliveries: list[asyncio.Future[None]] = field(default_factory=list)

    async def send(self, *, key: bytes, value: bytes, headers: Any) -> asyncio.Future[None]:
        self.deliveries.append(asyncio.get_running_loop().create_future())
        return self.deliveries[-1]


@dataclass
class Table:
    """A table written behind: what it holds back is a name; the log says what was written when."""

    name: str
    log: list[str]

    def held_back(self) -> Callable[[], None]:
        return lambda: self.log.append(self.name)


def test_the_writes_wait_for_every_send_before_the_flush_then_go_in_order() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        held, topic = HeldBack(), Topic()
        held.write_behind(Table("states", log), Table("watermarks", log))
        await held.send([(topic, "c1", TimerTick(customer_id="c1", at=T0))] * 2)  # type: ignore[list-item]
        flushing = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        topic.deliveries[0].set_result(None)
        await asyncio.sleep(0.01)
        log.append("first acked")
        topic.deliveries[1].set_result(None)
        await flushing
        return log

    assert asyncio.run(scenario()) == ["first acked", "states", "watermarks"]


def test_a_send_that_failed_stops_every_later_write() -> None:
    async def scenario() -> tuple[list[str], int]:
        log: list[str] = []
        held, topic = HeldBack(), Topic()
        held.write_behind(Table("states", log))
        await held.send([(topic, "c1", TimerTick(customer_id="c1", at=T0))])  # type: ignore[list-item]
        topic.deliveries[0].set_exception(TimeoutError("no ack"))
        failures = 0
        for _ in range(2):
            with pytest.raises(TimeoutError):
                await held.flush()
            failures += 1
        return log, failures

    assert asyncio.run(scenario()) == ([], 2)


def test_a_flush_during_another_flush_writes_only_once_the_first_ones_sends_are_acknowledged() -> None:
    """A rebalance's producer flush can run while a commit's waits for its acks."""

    async def scenario() -> list[str]:
        log: list[str] = []
        held, topic = HeldBack(), Topic()
        held.write_behind(Table("states", log))
        await held.send([(topic, "c1", TimerTick(customer_id="c1", at=T0))])  # type: ignore[list-item]
        first, second = asyncio.ensure_future(held.flush()), asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        log.append("nothing written yet")
        topic.deliveries[0].set_result(None)
        await asyncio.gather(first, second)
        return log

    assert asyncio.run(scenario()) == ["nothing written yet", "states", "states"]
