"""Throughput on a broker, one topic layout at a time: the workload produced, then read by the raw consumer and
by the trivial Faust agent; the stack and the isolated settings of each run."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.adapters.kafka_admin import create_topics
from streams.config import Settings
from streams.sdk.producer import EventProducer
from streams.tools.bench.faust_agent import EXPECT_ENV, RESULT_ENV
from streams.tools.bench.kafka_side import (
    end_offsets,
    input_topics,
    raw_consume,
    stop_now,
)
from streams.tools.bench.workload import Workload
from streams.tools.dev import child_process, settings_env
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis, free_port
from streams.tools.kafka_broker import ApacheKafka

__all__ = ["Stack", "Target", "faust_agent", "produce", "raw"]


@dataclass(frozen=True)
class Stack:
    """The broker and redis-server of one bench run, and its folder (logs, data)."""

    broker: EmbeddedBroker | ApacheKafka
    redis: EmbeddedRedis
    run_dir: Path
    overrides: Mapping[str, object] = field(default_factory=dict)  # settings of every run, over the broker's

    def target(self, name: str, partitions: int, clock: str, **overrides: object) -> Target:
        """Settings of a fresh, isolated run: its own app id (consumer group), topic prefix, data dir, port."""
        run = f"{name}-{uuid.uuid4().hex[:6]}"
        fields: dict[str, object] = {
            "app_id": f"bench-{run}",
            "topic_prefix": f"bench-{run}.",
            "kafka_bootstrap": self.broker.bootstrap,
            "redis_url": self.redis.url,
            "redis_prefix": f"bench-{run}:",
            "store": "memory://",
            "data_dir": self.run_dir / run,
            "web_port": free_port(),
            "partitions": partitions,
            "clock": clock,
        }
        fields |= self.broker.settings_overrides() | dict(self.overrides) | overrides
        return Target(run, self.run_dir, fields)


@dataclass(frozen=True)
class Target:
    name: str
    run_dir: Path
    fields: dict[str, object]

    @property
    def env(self) -> dict[str, str]:
        return settings_env(self.fields)

    @property
    def settings(self) -> Settings:
        return Settings(**self.fields)  # type: ignore[arg-type]  # validated like the environment

    def log(self, what: str) -> Path:
        return self.run_dir / f"{self.name}-{what}.log"


def produce(target: Target, workload: Workload) -> dict[str, Any]:
    """Create the topics and send the workload in time order (the SDK producer), then the final watermark."""
    settings = target.settings
    create_topics(settings)
    began = time.monotonic()
    with EventProducer(settings) as producer:
        producer.send_in_time_order(workload.events)
        producer.advance_watermark(workload.until)
    took = time.monotonic() - began
    ends = end_offsets(settings, input_topics(settings))
    messages = sum(ends.values())
    return {"events": len(workload.events), "messages": messages, "seconds": took, "messages_per_s": messages / took}


def raw(target: Target) -> dict[str, Any]:
    settings = target.settings
    return raw_consume(settings, end_offsets(settings, input_topics(settings)))


def faust_agent(target: Target, timeout: float = 300.0) -> dict[str, Any]:
    """The trivial agent (``streams.tools.bench.faust_agent``) over the input topics: first to last record."""
    settings = target.settings
    expected = sum(end_offsets(settings, input_topics(settings)).values())
    result = target.run_dir / f"{target.name}-agent.json"
    own = settings_env({"app_id": f"{settings.app_id}-agent", "web_port": free_port()})  # its own group: the
    # worker must find no committed offsets
    env = target.env | own | {EXPECT_ENV: str(expected), RESULT_ENV: str(result)}
    launched = time.monotonic()
    with child_process(["-m", "streams.tools.bench.faust_agent"], env, target.log("agent")) as child:
        deadline = launched + timeout
        while not result.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the trivial Faust agent did not count {expected} records: {target.log('agent')}")
            time.sleep(0.05)
        stop_now(child)
    got = json.loads(result.read_text())
    took = got["last"] - got["first"]
    return {
        "messages": got["messages"],
        "seconds": took,
        "messages_per_s": (got["messages"] - 1) / took if took > 0 else None,
        "startup_s": got["first"] - launched,
    }
