"""Run one stream worker in this process."""

from __future__ import annotations

import faust

from streams.config import Settings

__all__ = ["run_worker"]


def run_worker(settings: Settings) -> int:
    import agents  # noqa: F401  (registers the agents and timers on the app)
    from streams.runtime.app import app

    worker = faust.Worker(app, loglevel=settings.log_level)
    worker.execute_from_commandline()
    return 0
