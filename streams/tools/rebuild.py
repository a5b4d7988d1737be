"""``comeback rebuild-profiles``: restore the Redis profile view from the ``customer_to_state`` changelog.

The changelog is read from the beginning to its end offsets at the start; it holds the states the workers had at
their last offset commit (they write their states behind, every few seconds). The latest value per key wins (keys
are JSON strings, values in ``streams.adapters.table_codec``'s form, a tombstone deletes). Profiles are derived
at the run's time (``run_clock``: the wall clock, or after an event-time replay its saved watermark), with the
model a worker would start with now (``COMEBACK_MODEL_FILE`` or the latest on the shop-models topic), and
written with the usual revision check, so a rebuild never overwrites a newer profile.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from kafka import TopicPartition

from streams.adapters import table_codec
from streams.adapters.kafka_clients import consumer
from streams.adapters.redis_view import connect, erase_profile, write_profile
from streams.adapters.shop_models import current_policy
from streams.config import Settings
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import CustomerState
from streams.runtime.clock import WallClock

__all__ = ["RebuildError", "RebuildResult", "latest_states", "rebuild_profiles"]


class RebuildError(RuntimeError):
    """The changelog is missing or could not be read to its end."""


@dataclass(frozen=True)
class RebuildResult:
    customers: int
    written: int
    erased: int


def latest_states(settings: Settings, *, idle_timeout: float = 30.0) -> Iterator[tuple[str, CustomerState | None]]:
    """(customer id, last state) of every customer in the state changelog (None for a tombstone), each decoded
    when it is reached: the stored forms are read first, the decoded states are not kept."""
    for key, value in latest_values(settings, "customer_to_state", idle_timeout=idle_timeout).items():
        yield key, None if value is None else table_codec.decode(CustomerState, value)


def run_clock(settings: Settings) -> datetime:
    """The time of the run being rebuilt: the wall clock, or in event time the slowest input partition's saved
    watermark (a replay's profiles as of its end, not as of today, when every customer would look lost)."""
    if settings.clock == "wall":
        return WallClock().now()
    saved = latest_values(settings, "source_to_watermark")
    marks = [datetime.fromisoformat(json.loads(value)) for value in saved.values() if value is not None]
    if not marks:
        raise RebuildError("event time, but no watermark was saved: send the replay's final watermark first")
    return min(marks)


def latest_values(settings: Settings, table: str, *, idle_timeout: float = 30.0) -> dict[str, bytes | None]:
    """The last value of every key of a table's changelog (None for a tombstone)."""
    topic = f"{settings.app_id}-{table}-changelog"
    reader = consumer(settings, enable_auto_commit=False)
    try:
        partitions = reader.partitions_for_topic(topic)
        if not partitions:
            raise RebuildError(f"no topic {topic}: has a worker with app id {settings.app_id!r} run?")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        reader.assign(tps)
        reader.seek_to_beginning(*tps)
        end = reader.end_offsets(tps)
        latest: dict[str, bytes | None] = {}
        deadline = time.monotonic() + idle_timeout
        while any(reader.position(tp) < end[tp] for tp in tps):
            batches = reader.poll(timeout_ms=500)
            if not batches and time.monotonic() > deadline:
                raise RebuildError(f"{topic} not read to its end: nothing received for {idle_timeout:.0f}s")
            for records in batches.values():
                deadline = time.monotonic() + idle_timeout
                latest.update((json.loads(record.key), record.value) for record in records)
        return latest
    finally:
        reader.close()


def rebuild_profiles(settings: Settings) -> RebuildResult:
    """Write the profile of every customer in the changelog; delete the entries of deleted or erased ones."""
    policy = current_policy(settings)
    now = run_clock(settings)
    customers = written = erased = 0
    with connect(settings.redis_url.get_secret_value()) as client:
        for customer_id, state in latest_states(settings):
            customers += 1
            if state is None or state.erased_at is not None:
                erased += erase_profile(client, settings.redis_prefix, customer_id)
            else:
                profile = derive_profile(state, now, policy)
                written += write_profile(client, settings.redis_prefix, profile)
    return RebuildResult(customers, written, erased)
