"""A fetch returns records only of the partitions active when it started, even if the set of active partitions
empties meanwhile (a recovery pausing the changelogs it read): aiokafka takes an empty set as "every partition",
and Faust would drop the stream records it returned, after the client had moved past them. And the broker holds a
fetch with nothing new for a short while only."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from faust.types import TP

from streams.runtime.fetching import (
    FETCH_MAX_WAIT_MS,
    fetch_the_partitions_active_at_the_start,
    fetch_without_long_waits,
)

CHANGELOG = TP("fetching-test-product_to_watchers-changelog", 0)
WATCHERS = TP("comeback.product-watchers", 0)


def _fetch_while_the_changelog_is_paused(patched: bool) -> set[TP]:
    async def scenario() -> set[TP]:
        app = faust.App("fetching-test", broker="kafka://127.0.0.1:1")  # never started: nothing connects
        if patched:
            fetch_the_partitions_active_at_the_start(app)
        consumer: Any = app.consumer
        prefetched = {CHANGELOG: ["changelog record"], WATCHERS: ["watch change"]}

        async def client_getmany(active_partitions: Any, timeout: float) -> dict[TP, list[str]]:
            await asyncio.sleep(0)  # the records come back later; aiokafka reads the partitions only then
            wanted = active_partitions or prefetched  # an empty set: every partition
            return {tp: records for tp, records in prefetched.items() if tp in wanted}

        consumer._thread.getmany = client_getmany
        consumer._set_active_tps({CHANGELOG})  # the recovery reads the changelog, the stream partitions wait
        fetch = asyncio.ensure_future(consumer._wait_next_records(1.0))
        await asyncio.sleep(0)
        consumer.pause_partitions({CHANGELOG})  # "Done reading from changelog topics"
        records, _ = await fetch
        return set(records)

    return asyncio.run(scenario())


def test_a_fetch_pending_when_the_recovery_pauses_its_changelogs_returns_no_stream_records() -> None:
    assert _fetch_while_the_changelog_is_paused(patched=True) == {CHANGELOG}


def test_without_the_snapshot_the_client_hands_back_the_stream_records_too() -> None:
    """The failure the snapshot prevents: Faust drops these as not active, the client has moved past them."""
    assert _fetch_while_the_changelog_is_paused(patched=False) == {CHANGELOG, WATCHERS}


def _fetch_max_wait_ms(patched: bool) -> int:
    async def scenario() -> int:
        app = faust.App("fetching-wait-test", broker="kafka://127.0.0.1:1")  # never started: nothing connects
        if patched:
            fetch_without_long_waits(app)
        client: Any = app.consumer._thread._create_worker_consumer(app.transport)  # type: ignore[attr-defined]
        return int(client._fetch_max_wait_ms)

    return asyncio.run(scenario())


def test_the_broker_holds_a_fetch_at_most_the_short_wait_not_fausts_one_and_a_half_seconds() -> None:
    assert (_fetch_max_wait_ms(patched=False), _fetch_max_wait_ms(patched=True)) == (1500, FETCH_MAX_WAIT_MS)
