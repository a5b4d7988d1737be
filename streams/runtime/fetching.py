"""Each fetch hands the Kafka client the partitions active when it starts, as a set nothing changes meanwhile.

Faust passes its own set of active partitions to aiokafka, which reads it when the fetched records come back,
and pausing or resuming partitions changes that very set. When a table recovery ends, Faust pauses the
changelog partitions it read: a fetch still waiting for them then asks for an empty set, which aiokafka takes
as "every assigned partition". It returns the records it had prefetched for the stream partitions too, and
moves their positions past them; Faust drops them as not active. The seek to the committed offsets that
follows brings a partition back only if it has a committed offset: one nobody has committed yet (an internal
topic early in a run, when a worker was killed before its first commit) went on after the dropped records, and
the next commit made the loss final. A lost watch change cost the customer a product alert for good (issue 14,
cause B). With a snapshot, a fetch returns only records of partitions that were active when it started.

This replaces a private method of faust-streaming 0.15's consumer (``Consumer._getmany``).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import faust
from faust.types import TP

__all__ = ["fetch_the_partitions_active_at_the_start"]


def fetch_the_partitions_active_at_the_start(app: faust.App) -> None:
    """Before the app starts: its consumer fetches for a frozen copy of the active partitions."""
    consumer: Any = app.consumer
    getmany = consumer._getmany

    async def getmany_for_a_snapshot(active_partitions: Set[TP] | None, timeout: float) -> Any:
        snapshot = None if active_partitions is None else frozenset(active_partitions)
        return await getmany(active_partitions=snapshot, timeout=timeout)

    consumer._getmany = getmany_for_a_snapshot
