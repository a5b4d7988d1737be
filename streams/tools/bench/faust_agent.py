"""Faust's own ceiling: an app built like the worker's (``create_app``, the same settings) with one agent that
only iterates the input topics, raw bytes, and notes when it saw the first and the expected last record.

Run by the bench as ``python -m streams.tools.bench.faust_agent`` with the COMEBACK_* settings and
``COMEBACK_BENCH_EXPECT`` (records to count) and ``COMEBACK_BENCH_RESULT`` (the JSON file it writes then:
``messages``, ``first`` and ``last``, ``time.monotonic`` seconds, comparable across processes on Linux).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import faust

from streams.config import Settings
from streams.runtime.app import create_app
from streams.tools.bench.kafka_side import input_topics

__all__ = ["EXPECT_ENV", "RESULT_ENV", "build_app", "main"]

EXPECT_ENV = "COMEBACK_BENCH_EXPECT"
RESULT_ENV = "COMEBACK_BENCH_RESULT"


def build_app(settings: Settings, expect: int, result: Path) -> faust.App:
    """The app and its one agent; ``result`` is written once ``expect`` records were iterated."""
    app = create_app(settings)
    topic = app.topic(
        *input_topics(settings), key_serializer="raw", value_serializer="raw", partitions=settings.partitions
    )

    @app.agent(topic, name="bench_iterate")
    async def iterate(stream: Any) -> None:
        count, first = 0, 0.0
        async for _record in stream.events():
            count += 1
            if count == 1:
                first = time.monotonic()
            if count == expect:
                partial = result.with_suffix(".partial")
                partial.write_text(json.dumps({"messages": count, "first": first, "last": time.monotonic()}))
                os.replace(partial, result)

    return app


def main() -> int:
    settings = Settings()
    app = build_app(settings, int(os.environ[EXPECT_ENV]), Path(os.environ[RESULT_ENV]))
    faust.Worker(app, loglevel=settings.log_level).execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
