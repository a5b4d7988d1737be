"""``comeback explain CUSTOMER``: what the contact policy did with a customer's triggers, and why.

The worker publishes every contact decision (``schemas/decisions.py:ContactDecision``) to the decisions topic,
keyed by customer, with the producer's default partitioner (murmur2, ``streams/runtime/routing.py:
owner_partition``). So a customer's records are all on one partition: only that one is read, with kafka-python
and no consumer group (nothing is committed), from its end backwards in growing windows until ``limit`` of the
customer's records are found or the partition's start is reached. They are shown in the order the worker
published them, newest last; a record published twice (a worker that stopped after sending and before storing
the state) is shown once, by its decision id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError
from pydantic import ValidationError

from schemas.decisions import ContactDecision
from schemas.topics import by_role
from streams.adapters.kafka_clients import consumer
from streams.config import Settings
from streams.runtime.routing import owner_partition

__all__ = ["DEFAULT_LIMIT", "Explained", "NoDecisionsTopic", "format_decisions", "recent_decisions", "to_json"]

DEFAULT_LIMIT = 20
_FIRST_WINDOW = 512  # records read back from the end first; each further window is twice as long
_UTC = ZoneInfo("UTC")


class NoDecisionsTopic(RuntimeError):
    """The decisions topic does not exist (``comeback topics create`` makes it)."""


@dataclass(frozen=True)
class Explained:
    """A customer's latest decision records, oldest first, and where they were read."""

    customer_id: str
    topic: str
    partition: int
    decisions: tuple[ContactDecision, ...]
    scanned: int  # records read on the partition, every customer's
    unreadable: int  # the customer's records that did not validate as a ContactDecision (skipped)


def _read(reader: KafkaConsumer, tp: TopicPartition, start: int, end: int, deadline: float) -> list[Any]:
    """The records (kafka-python ConsumerRecords) at offsets [start, end) of the assigned partition ``tp``."""
    reader.seek(tp, start)
    found: list[Any] = []
    while reader.position(tp) < end:
        if time.monotonic() > deadline:
            raise KafkaTimeoutError(f"reading {tp.topic}[{tp.partition}] offsets {start}..{end} took too long")
        found += [r for r in reader.poll(timeout_ms=200).get(tp, []) if start <= r.offset < end]
    return found


def recent_decisions(
    settings: Settings, customer_id: str, limit: int = DEFAULT_LIMIT, *, timeout: float = 60.0
) -> Explained:
    """The customer's ``limit`` latest decision records on the decisions topic (fewer if there are fewer)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    topic = settings.topic_name(by_role("decisions"))
    key = customer_id.encode()
    deadline = time.monotonic() + timeout
    reader = consumer(settings, group_id=None, enable_auto_commit=False)
    try:
        partitions = reader.partitions_for_topic(topic)
        if not partitions:
            raise NoDecisionsTopic(f"topic {topic} does not exist (create it with `comeback topics create`)")
        tp = TopicPartition(topic, owner_partition(key, len(partitions)))
        reader.assign([tp])
        begin, end = reader.beginning_offsets([tp])[tp], reader.end_offsets([tp])[tp]
        mine: dict[int, bytes] = {}
        scanned, window, high = 0, max(_FIRST_WINDOW, 20 * limit), end
        newest = True
        while len(mine) < limit and high > begin:
            low = max(begin, high - window)
            records = _read(reader, tp, low, high, deadline)
            if newest:  # a broker's latest offset can lag behind what a fetch sees (the embedded one's does)
                newest, beyond = False, reader.highwater(tp) or high
                if beyond > high:
                    records += _read(reader, tp, high, beyond, deadline)
            scanned += len(records)
            mine.update((r.offset, r.value) for r in records if r.key == key)
            high, window = low, 2 * window
    finally:
        reader.close()
    decisions: dict[str, ContactDecision] = {}
    unreadable = 0
    for offset in sorted(mine):
        try:
            record = ContactDecision.model_validate_json(mine[offset])
        except ValidationError:
            unreadable += 1
            continue
        decisions.setdefault(record.decision_id, record)  # the first publication of a repeated record
    latest = tuple(decisions.values())[-limit:]
    return Explained(customer_id, topic, tp.partition, latest, scanned, unreadable)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _UTC


def _minute(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _next_try(record: ContactDecision, zone: ZoneInfo) -> str:
    """When it is tried again (deferred, capped, outranked); nothing for a final outcome."""
    if record.send_after is None or record.outcome in ("sent", "held_out"):
        return "-"
    return f"{_minute(record.send_after, zone)} ({_minute(record.send_after, _UTC)} UTC)"


def format_decisions(explained: Explained) -> str:
    """One row per record (UTC time, the time in the customer's zone, type, outcome, reason, channel, next try in
    the customer's zone and UTC), its detail on the line below; newest last."""
    header = ("decided (UTC)", "local time", "zone", "type", "outcome", "reason", "channel", "next try (local)")
    rows: list[tuple[str, ...]] = []
    details: list[str] = []
    for record in explained.decisions:
        zone = _zone(record.timezone)
        rows.append(
            (
                _minute(record.decided_at, _UTC),
                _minute(record.decided_at, zone),
                record.timezone,
                record.type,
                record.outcome,
                record.reason,
                record.channel.value if record.channel else "-",
                _next_try(record, zone),
            )
        )
        details.append(record.detail)
    widths = [max(len(cells[i]) for cells in (header, *rows)) for i in range(len(header))]
    lines = [
        f"customer {explained.customer_id}: {len(rows)} latest contact decision{'s' if len(rows) != 1 else ''}, "
        "newest last "
        f"({explained.topic} partition {explained.partition})",
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
    ]
    for cells, detail in zip(rows, details, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        lines.append(f"    {detail}")
    return "\n".join(lines)


def to_json(decisions: Sequence[ContactDecision]) -> str:
    """The records as a JSON array, newest last (the decisions topic's own JSON)."""
    return json.dumps([d.model_dump(mode="json") for d in decisions], indent=2, ensure_ascii=False)
