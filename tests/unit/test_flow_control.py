"""A worker's flow control empties the agents' queues when it resumes after a suspension (a rebalance's stale
records), never when it is resumed while already flowing (records read while a recovery ends)."""

from __future__ import annotations

import asyncio

import faust
from mode.utils.queues import FlowControlQueue

from streams.runtime.flow_control import keep_queued_records_on_resume


def test_a_resume_while_flowing_keeps_the_queued_records_and_one_after_a_suspension_clears_them() -> None:
    async def scenario() -> list[int]:
        app = faust.App("flow-control-test", broker="kafka://127.0.0.1:1")  # never started: nothing connects
        keep_queued_records_on_resume(app)
        queue: FlowControlQueue[int] = FlowControlQueue(flow_control=app.flow_control, clear_on_resume=True)
        sizes = []
        app.flow_control.resume()  # the recovery starts reading
        queue.put_nowait(1)
        queue.put_nowait(2)
        app.flow_control.resume()  # Faust's resume at the end of the recovery, already flowing
        sizes.append(queue.qsize())
        app.flow_control.suspend()  # a rebalance
        app.flow_control.resume()
        sizes.append(queue.qsize())
        return sizes

    assert asyncio.run(scenario()) == [2, 0]
