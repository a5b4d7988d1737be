"""Fresh cluster metadata on demand, for a table changelog the consumer does not see yet.

Kafka answers CreateTopics before every broker's metadata lists the new topic, so a worker that creates its
changelogs and at once fetches metadata can miss one ("Topic ... not found in cluster metadata", "Ignoring
missing topic"). aiokafka then counts it as 0 partitions until its next refresh, ``metadata_max_age_ms`` (5
minutes) later, and Faust raises ``PartitionsMismatch`` at every write to that table until then: a stalled
partition (seen in the bench, a source_to_watermark changelog missed by 0.2 s). Asking the consumer's client for
new metadata ends it in a second. Reaches into faust-streaming 0.15's consumer thread (``Consumer._thread``) and
aiokafka 0.14's client: check both on an upgrade (tests/unit/test_cluster_metadata.py).
"""

from __future__ import annotations

from typing import Any

import faust

__all__ = ["refresh_metadata"]


async def refresh_metadata(app: faust.App) -> bool:
    """Have the consumer's Kafka client fetch the cluster metadata now, in the consumer's own thread; False when
    the consumer has not started (nothing to refresh)."""
    thread: Any = getattr(app.consumer, "_thread", None)
    consumer: Any = getattr(thread, "_consumer", None)
    if consumer is None:
        return False

    async def update() -> None:
        await consumer._client.force_metadata_update()

    await thread.call_thread(update)
    return True
