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

    changes: list[str] = field(default_factory=list)

    def held_back(self) -> Callable[[], None]:
        return lambda: self.log.append(self.name)

    def unwritten(self) -> list[str]:
        return self.changes


def _ticks(topic: Topic, key: str, count: int = 1) -> Any:
    """``count`` sends of a TimerTick keyed ``key`` on ``topic``, as ``HeldBack.send`` takes them."""
    return [(topic, key, TimerTick(customer_id=key, at=T0))] * count


async def _one_send_then_states(log: list[str]) -> tuple[HeldBack, Topic]:
    """A HeldBack that writes one table, "states", behind, with one send out (not acknowledged yet)."""
    held, topic = HeldBack(), Topic()
    held.write_behind(Table("states", log))
    await held.send(_ticks(topic, "c1"))
    return held, topic


def test_the_writes_wait_for_every_send_before_the_flush_then_go_in_order() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        held, topic = HeldBack(), Topic()
        held.write_behind(Table("states", log), Table("products", log))
        await held.send(_ticks(topic, "c1", count=2))
        flushing = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        topic.deliveries[0].set_result(None)
        await asyncio.sleep(0.01)
        log.append("first acked")
        topic.deliveries[1].set_result(None)
        await flushing
        return log

    assert asyncio.run(scenario()) == ["first acked", "states", "products"]


def test_the_watermarks_are_written_in_the_same_flush_once_the_states_are_stored() -> None:
    """The client sends each partition's batches on its own: a watermark waits for the states' acks."""

    async def scenario() -> list[str]:
        log: list[str] = []
        acked = asyncio.Event()

        async def stored() -> None:
            log.append("waiting for the states' acks")
            await acked.wait()

        held = HeldBack(stored=stored)
        held.write_behind(Table("states", log), after_stored=[Table("watermarks", log, changes=["orders|0"])])
        flushing = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        log.append("states acked")
        acked.set()
        await flushing
        return log

    assert asyncio.run(scenario()) == ["states", "waiting for the states' acks", "states acked", "watermarks"]


def test_a_failed_table_write_fails_the_flush_before_the_watermarks() -> None:
    """Faust's own producer flush does not raise on a failed write: without this it would commit the offsets."""

    async def scenario() -> list[str]:
        log: list[str] = []

        async def stored() -> None:
            raise TimeoutError("a state was not acknowledged")

        held = HeldBack(stored=stored)
        held.write_behind(Table("states", log), after_stored=[Table("watermarks", log, changes=["orders|0"])])
        with pytest.raises(TimeoutError):
            await held.flush()
        return log

    assert asyncio.run(scenario()) == ["states"]


def test_a_send_that_failed_stops_every_later_write() -> None:
    async def scenario() -> tuple[list[str], int]:
        log: list[str] = []
        held, topic = await _one_send_then_states(log)
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
        held, topic = await _one_send_then_states(log)
        first, second = asyncio.ensure_future(held.flush()), asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        log.append("nothing written yet")
        topic.deliveries[0].set_result(None)
        await asyncio.gather(first, second)
        return log

    assert asyncio.run(scenario()) == ["nothing written yet", "states", "states"]


def test_a_flush_cancelled_while_waiting_waits_for_the_same_sends_next_time() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []
        held, topic = await _one_send_then_states(log)
        first = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        first.cancel()  # Faust's recovery gives up waiting for the producer
        await asyncio.gather(first, return_exceptions=True)
        again = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        log.append("still waiting")
        topic.deliveries[0].set_result(None)
        await again
        return log

    assert asyncio.run(scenario()) == ["still waiting", "states"]


def test_a_stopping_producer_fails_the_flush_when_anything_is_held_back() -> None:
    """Faust then commits nothing: the records whose sends or states were held back are read again."""

    async def scenario() -> None:
        held, table = HeldBack(), Table("states", [])
        held.write_behind(table)
        await held.flush(stopping=True)  # nothing held back: the stop goes on
        table.changes.append("c1")
        with pytest.raises(RuntimeError):
            await held.flush(stopping=True)
        table.changes.clear()
        await held.send(_ticks(Topic(), "c1"))
        with pytest.raises(RuntimeError):
            await held.flush(stopping=True)

    asyncio.run(scenario())


def test_a_send_still_waiting_for_room_when_a_flush_swaps_the_deliveries_keeps_every_other_send() -> None:
    """A customer's send waits for room in the client's batch while a flush takes the deliveries so far and a
    product's send goes out: the product's delivery must still be awaited by the next flush."""

    class Waiting(Topic):
        room = asyncio.Event()

        async def send(self, *, key: bytes, value: bytes, headers: Any) -> asyncio.Future[None]:
            await self.room.wait()
            return await super().send(key=key, value=value, headers=headers)

    async def scenario() -> list[str]:
        log: list[str] = []
        held, slow, fast = HeldBack(), Waiting(), Topic()
        held.write_behind(Table("states", log))
        customer = asyncio.ensure_future(held.send(_ticks(slow, "c1")))
        await asyncio.sleep(0)
        await held.flush()  # nothing sent yet
        await held.send(_ticks(fast, "p1"))
        Waiting.room.set()
        await customer
        slow.deliveries[0].set_result(None)
        flushing = asyncio.ensure_future(held.flush())
        await asyncio.sleep(0.01)
        log.append("the product's send not acked yet")
        fast.deliveries[0].set_result(None)
        await flushing
        return log

    assert asyncio.run(scenario()) == ["states", "the product's send not acked yet", "states"]
