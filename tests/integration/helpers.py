"""Helpers for pipeline tests: worker processes, and reading a topic from its start."""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import yaml

from schemas.base import Envelope
from streams.adapters.kafka_admin import create_topics, wait_for_topics
from streams.adapters.kafka_clients import consumer
from streams.config import Settings
from streams.domain.policy import Policy
from streams.engine.reference import Checkpoint, checkpoints
from streams.tools.dev import worker_process
from streams.tools.logs import worker_warnings
from tests.factories import OPEN_CONTACT

__all__ = [
    "Workers",
    "check_demo_output",
    "eventually",
    "open_contact_policy",
    "read_topic",
    "reference_end",
    "settings_from",
    "write_policy",
]


def open_contact_policy(**sections: Any) -> dict[str, Any]:
    """A policy (as a file holds it) whose contact stage sends every candidate at once, at any hour of the wall
    clock, to every customer (consent assumed, no caps, quiet hours, slots or control groups): for tests of
    timers and transport, not of the contact policy. ``sections`` change other sections (or the contact one)."""
    return {"version": "open-contact", "contact": dict(OPEN_CONTACT)} | sections


def write_policy(path: Path, policy: dict[str, Any]) -> Path:
    """``policy`` as a YAML policy file at ``path`` (checked: it must load as a Policy)."""
    Policy.model_validate(policy)
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def reference_end(events: Iterable[Envelope], policy: Policy, until: datetime) -> Checkpoint:
    """The reference run's last checkpoint: every state, trigger and contact decision until ``until``."""
    (end,) = deque(checkpoints(events, policy, until), maxlen=1)
    return end


def settings_from(env: dict[str, str]) -> Settings:
    """The settings a worker started with ``env`` reads (parsed exactly as from its environment)."""
    with mock.patch.dict(os.environ, env):
        return Settings()


class Workers:
    """Worker processes of one test; ``start(env)`` with an earlier env restarts "the same" worker."""

    def __init__(self, make_env: Callable[..., dict[str, str]], log_dir: Path) -> None:
        self._make_env = make_env
        self._log_dir = log_dir
        self._running = ExitStack()
        self.logs: list[Path] = []
        self.env: dict[str, str] = {}

    def start(self, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Create the topics (idempotent) and start a worker with ``env`` or a fresh isolated one."""
        self.env = env or self._make_env(**overrides)
        settings = settings_from(self.env)
        create_topics(settings)
        self.logs.append(self._log_dir / f"worker-{len(self.logs)}.log")
        self._running.enter_context(worker_process(self.env, self.logs[-1]))
        return settings

    def stop_all(self) -> None:
        self._running.close()

    def print_logs(self) -> None:
        """The last lines of each worker's log, then every warning and error they logged, counted."""
        for log in self.logs:
            print(f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-60:], sep="\n")
        print("--- warnings and errors (count, log, message)", *worker_warnings(self.logs), sep="\n")


def read_topic(
    settings: Settings, topic: str, done: Callable[[list[bytes]], bool], timeout: float = 60.0
) -> list[bytes]:
    """Values on ``topic`` from the start, read until ``done(values)`` or the timeout.

    The topic must exist: reading never creates it (a broker would give it its default partition count).
    """
    wait_for_topics(settings, [topic], timeout=timeout)
    reader = consumer(settings, topic, auto_offset_reset="earliest")
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(values) and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=250).values():
                values.extend(record.value for record in records)
    finally:
        reader.close()
    return values


T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    """``probe()`` once it is not None, polled every 0.2 s (AssertionError after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while (result := probe()) is None:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def check_demo_output(stdout: str) -> dict[str, dict[str, int]]:
    """``comeback demo`` said its triggers and contact decisions match the reference run's, saw the two dead
    letters, and printed the outcome table; that table by type (and ``total``): column -> count."""
    triggers = re.search(r"^(\d+) triggers from the worker .*predicted by the pure core: they match$", stdout, re.M)
    decisions = re.search(r"^(\d+) contact decisions from the worker.*: they match; 2 dead letters$", stdout, re.M)
    assert triggers and decisions, stdout[-3000:]
    header = re.search(r"^type +(triggers .*)$", stdout, re.M)
    assert header, stdout[-3000:]
    columns = header.group(1).split()
    table = {
        row[0]: dict(zip(columns, map(int, row[1:]), strict=True))
        for line in stdout[header.end() :].splitlines()[1:]
        if len(row := line.split()) == len(columns) + 1 and row[1].isdigit()
    }
    assert table["total"]["sent"] == int(triggers.group(1)), stdout[-3000:]  # each sent trigger is on the topic
    return table
