"""Helpers for pipeline tests: worker processes, and reading a topic from its start."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar
from unittest import mock

from streams.adapters.kafka_admin import create_topics, wait_for_topics
from streams.adapters.kafka_clients import consumer
from streams.config import Settings
from streams.tools.dev import worker_process

__all__ = ["Workers", "eventually", "read_topic", "settings_from"]


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
        for log in self.logs:
            print(f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-60:], sep="\n")


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
