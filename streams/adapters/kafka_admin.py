"""Topic administration with kafka-python's KafkaAdminClient (behind ``comeback topics create``)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, for_code

from schemas.topics import TOPICS, TopicSpec
from streams.adapters.kafka_clients import admin_client
from streams.config import Settings

__all__ = ["TopicLayoutError", "create_topics", "wait_for_topics"]

_CO_PARTITIONED = tuple(t for t in TOPICS if t.key in ("customer_id", "product_id"))


class TopicLayoutError(RuntimeError):
    """Existing topics do not match the settings (customer-keyed topics must be co-partitioned)."""


@contextmanager
def _admin(settings: Settings, timeout: float) -> Iterator[KafkaAdminClient]:
    """A connected client; kafka-python itself retries the bootstrap for ``timeout`` seconds."""
    admin = admin_client(settings, bootstrap_timeout_ms=int(timeout * 1000))
    try:
        yield admin
    finally:
        admin.close()


def create_topics(settings: Settings, *, timeout: float = 30.0) -> list[str]:
    """Create every topic of TOPICS that is missing; return the names created.

    Each gets ``settings.partitions`` partitions (or its spec's fixed count; compacted when its spec says so)
    and ``settings.replication_factor`` replicas.
    Existing topics are kept, but a customer-keyed one (co-partitioned with the ticks topic and
    the tables) whose partition count differs raises TopicLayoutError. Retriable errors are
    retried until ``timeout`` seconds have passed.
    """
    deadline = time.monotonic() + timeout
    with _admin(settings, timeout) as admin:
        created = _create_missing(admin, settings, deadline)
        admin.wait_for_topics(created, timeout_ms=int(timeout * 1000))
        _check_co_partitioned(admin, settings)
    return created


def _layout(settings: Settings, spec: TopicSpec | None) -> dict[str, Any]:
    """Partitions, replicas and configs of a topic to create (``spec`` None: a routed trigger topic)."""
    layout: dict[str, Any] = {
        "num_partitions": (spec and spec.partitions) or settings.partitions,
        "replication_factor": settings.replication_factor,
    }
    if spec is not None and spec.compacted:
        layout["configs"] = {"cleanup.policy": "compact"}
    return layout


def _create_missing(admin: KafkaAdminClient, settings: Settings, deadline: float) -> list[str]:
    pending = settings.all_topic_names()
    specs = {settings.topic_name(spec): spec for spec in TOPICS}
    created: list[str] = []
    while pending:
        request = {name: _layout(settings, specs.get(name)) for name in pending}
        retry: list[str] = []
        for result in admin.create_topics(request, raise_errors=False)["topics"]:
            name, code = result["name"], result["error_code"]
            if code == 0:
                created.append(name)
            elif code != TopicAlreadyExistsError.errno:
                error = for_code(code)
                if not error.retriable or time.monotonic() > deadline:
                    raise error(f"creating topic {name}: {result['error_message']}")
                retry.append(name)
        pending = retry
        if pending:
            time.sleep(0.2)
    return created


def _check_co_partitioned(admin: KafkaAdminClient, settings: Settings) -> None:
    names = [settings.topic_name(spec) for spec in _CO_PARTITIONED]
    counts = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
    wrong = {name: n for name, n in counts.items() if n != settings.partitions}
    if wrong:
        raise TopicLayoutError(
            f"customer-keyed topics must have COMEBACK_PARTITIONS={settings.partitions} partitions "
            f"to stay co-partitioned, but found {wrong}"
        )


def wait_for_topics(settings: Settings, names: Iterable[str], timeout: float = 10.0) -> None:
    """Block until every topic exists with a leader for each partition (KafkaTimeoutError after ``timeout``)."""
    with _admin(settings, timeout) as admin:
        admin.wait_for_topics(list(names), timeout_ms=int(timeout * 1000))
