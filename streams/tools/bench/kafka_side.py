"""What the bench reads from the broker and the child processes: end offsets, a group's lag, the raw consumer,
a child's readiness and ``/metrics``."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import KafkaError

from schemas.topics import INPUT_TOPICS
from streams.adapters.kafka_clients import consumer
from streams.config import Settings
from streams.tools.dev import ready

__all__ = [
    "LISTEN",
    "applied_events",
    "committed_lag",
    "end_offsets",
    "fetch_text",
    "input_topics",
    "raw_consume",
    "stop_now",
    "wait_ready",
]


LISTEN = {"auto_offset_reset": "earliest", "fetch_max_wait_ms": 20}
"""Options of the bench's own readers of the triggers topic: from the start, and a fetch answered within 20 ms
when the broker holds it (the embedded broker waits out ``fetch_max_wait_ms`` even when records arrive), so the
reader adds little to a latency it measures."""

_APPLIED = re.compile(r"^comeback_events_total\{([^}]*)\} ([0-9.e+]+)$", re.M)


def input_topics(settings: Settings) -> list[str]:
    """The input topics producers write (orders, behavior, customers, catalog), with the settings' prefix."""
    return [settings.topic_name(spec) for spec in INPUT_TOPICS]


def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """Every partition of the topics and its end offset (the topics must exist)."""
    reader = consumer(settings)
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic) or ())
        ]
        return dict(reader.end_offsets(partitions))
    finally:
        reader.close()


def committed_lag(admin: KafkaAdminClient, group: str, ends: Mapping[TopicPartition, int]) -> int:
    """Records of ``ends`` the group has not committed yet (a partition without a commit counts whole)."""
    try:
        committed = admin.list_group_offsets({group: list(ends)}).get(group, {})
    except KafkaError:  # e.g. the group's coordinator is still loading: nothing known to be committed yet
        committed = {}
    lag = 0
    for tp, end in ends.items():
        meta = committed.get(tp)
        offset = meta.offset if meta is not None and meta.offset >= 0 else 0
        lag += max(end - offset, 0)
    return lag


async def _raw(settings: Settings, ends: Mapping[TopicPartition, int], timeout: float) -> dict[str, float]:
    from aiokafka.structs import TopicPartition as AioTopicPartition

    expected = sum(ends.values())
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        security_protocol=settings.kafka_security_protocol,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await reader.start()
    try:
        partitions = [AioTopicPartition(tp.topic, tp.partition) for tp in ends]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        count, began = 0, time.monotonic()
        deadline = began + timeout
        while count < expected and time.monotonic() < deadline:
            batches = await reader.getmany(timeout_ms=500)
            count += sum(len(records) for records in batches.values())
        took = time.monotonic() - began
    finally:
        await reader.stop()
    return {"messages": count, "expected": expected, "seconds": took, "messages_per_s": count / took}


def raw_consume(settings: Settings, ends: Mapping[TopicPartition, int], timeout: float = 300.0) -> dict[str, float]:
    """aiokafka reading every partition of ``ends`` from the start, without a group and without decoding: from
    the first fetch to the last record."""
    return asyncio.run(_raw(settings, ends, timeout))


def stop_now(child: subprocess.Popen[bytes]) -> None:
    """Kill a measured child at once (SIGKILL and reap): its graceful stop takes seconds and measures nothing, and
    each run has its own group, topics and data, so nothing it leaves behind is read again."""
    if child.poll() is None:
        child.kill()
        child.wait()


def fetch_text(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """HTTP status and body of a GET (0 and the error when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)


def applied_events(port: int, event_type: str | None = None) -> int | None:
    """A worker's count of input events applied (``comeback_events_total``, outcome ``applied``; of one type if
    given) from its ``/metrics``; None while its web port does not answer."""
    status, text = fetch_text(f"http://127.0.0.1:{port}/metrics", timeout=1.0)
    if status != 200:
        return None
    wanted = ('outcome="applied"',) + ((f'type="{event_type}"',) if event_type else ())
    return int(sum(float(v) for labels, v in _APPLIED.findall(text) if all(w in labels for w in wanted)))


def wait_ready(port: int, child: subprocess.Popen[bytes], log_file: Path, timeout: float = 120.0) -> float:
    """Poll a worker's ``/readyz`` (every 50 ms) until it says ready; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the worker exited with code {child.returncode}; its log:\n{_tail(log_file)}")
        if ready(port):
            return time.monotonic()
        time.sleep(0.05)
    raise TimeoutError(f"the worker was not ready after {timeout:.0f} s; its log:\n{_tail(log_file)}")


def _tail(log_file: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
