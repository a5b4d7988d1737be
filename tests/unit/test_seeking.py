"""Before streams resume, a stream partition without a committed offset is sought to its first offset (aiokafka
would leave it where the client was, past records fetched and never processed); one with a committed offset
goes there as before, and a table changelog is left to the recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import faust
from faust.types import TP

from streams.runtime.seeking import seek_uncommitted_to_the_beginning

WATCHERS = TP("comeback.product-watchers", 1)  # nobody committed yet
TICKS = TP("comeback.ticks", 1)  # committed at 12


def _seeks_before_streams_resume(patched: bool) -> dict[TP, int]:
    async def scenario() -> dict[TP, int]:
        app = faust.App("seeking-test", broker="kafka://127.0.0.1:1")  # never started: nothing connects
        app.Table("seeking_table", partitions=4)
        changelog = TP("seeking-test-seeking_table-changelog", 1)
        if patched:
            seek_uncommitted_to_the_beginning(app)
        consumer: Any = app.consumer
        sought: dict[TP, int] = {}

        async def seek_to_committed() -> Mapping[TP, int | None]:  # aiokafka: no seek without a commit
            sought[TICKS] = 12
            return {WATCHERS: None, TICKS: 12, changelog: None}

        async def earliest_offsets(*partitions: TP) -> Mapping[TP, int]:
            return dict.fromkeys(partitions, 0)

        async def seek_wait(partitions: Mapping[TP, int]) -> None:
            sought.update(partitions)

        consumer._thread.seek_to_committed = seek_to_committed
        consumer._thread.earliest_offsets = earliest_offsets
        consumer._thread.seek_wait = seek_wait
        await consumer.perform_seek()  # what Faust does when a recovery ends
        return sought

    return asyncio.run(scenario())


def test_a_partition_nobody_committed_is_read_again_from_its_first_offset() -> None:
    assert _seeks_before_streams_resume(patched=True) == {TICKS: 12, WATCHERS: 0}


def test_without_it_the_partition_stays_where_the_client_was() -> None:
    """The failure the seek prevents: the records fetched there before the rebalance are never read."""
    assert _seeks_before_streams_resume(patched=False) == {TICKS: 12}
