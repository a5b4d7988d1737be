"""Streams resume from the beginning of a partition nobody has committed yet, not from where the client was.

Before streams resume after a rebalance, Faust seeks every partition to its committed offset, so that records
fetched but never processed (cleared from the agents' queues when the rebalance began, dropped by a fetch cut
short) are read again. aiokafka skips a partition that has no committed offset, and keeps its position when
the worker keeps the partition: the records it had fetched there were never read. Early in a run, before the
first commit of an internal topic's partition, a watch change was lost that way, and with it a product alert
(issue 14, cause B). Such a partition is now sought to its first offset: the engine drops what it had applied.

This wraps the consumer of faust-streaming 0.15 (``Consumer.seek_to_committed``, which ``perform_seek`` calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.types import TP

__all__ = ["seek_uncommitted_to_the_beginning"]


def seek_uncommitted_to_the_beginning(app: faust.App) -> None:
    """Before the app starts: its consumer's seek to the committed offsets sends every stream partition without
    one (table changelogs aside: the recovery seeks those itself) to its first offset."""
    consumer: Any = app.consumer
    seek_to_committed = consumer.seek_to_committed

    async def seek_to_committed_or_the_beginning() -> Mapping[TP, int | None]:
        committed: Mapping[TP, int | None] = await seek_to_committed()
        changelogs = app.tables.changelog_topics
        uncommitted = [tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs]
        if uncommitted:
            first = await consumer.earliest_offsets(*uncommitted)
            await consumer.seek_wait({tp: offset for tp, offset in first.items() if offset is not None})
        return committed

    consumer.seek_to_committed = seek_to_committed_or_the_beginning
