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


FETCH_MAX_WAIT_MS = 100
"""How long the broker may hold a fetch with nothing new (Faust fixes 1,500 ms). The Kafka client keeps one fetch
in flight per broker and leaves out of it the partitions whose records it still holds: a record coming to one of
those waits for that fetch to end. The engine's own topics (cycle lookups and their answers, ticks, alerts) are
hops of a chain, so each hop waited up to 1.5 s: a customer with 26 orders took 36 s to replay."""


def fetch_without_long_waits(app: faust.App, wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
    """Before the app starts: its Kafka consumer lets the broker hold a fetch ``wait_ms`` at most."""
    thread: Any = app.consumer._thread  # type: ignore[attr-defined]  # the aiokafka driver's consumer thread
    create = thread._create_worker_consumer

    def create_with_short_waits(transport: Any) -> Any:
        consumer = create(transport)
        consumer._fetch_max_wait_ms = wait_ms  # read when the consumer starts (its fetcher is built then)
        return consumer

    thread._create_worker_consumer = create_with_short_waits
