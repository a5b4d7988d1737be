"""Run one stream worker in this process: the start-up of settings, policy, runtime and agents."""

from __future__ import annotations

import faust

import agents
from streams.config import Settings, shop_policy
from streams.runtime.app import build_runtime
from streams.tools.logs import logging_config

__all__ = ["run_worker"]


def run_worker(settings: Settings) -> int:
    runtime = build_runtime(settings, shop_policy(settings))
    agents.register(runtime)
    worker = faust.Worker(
        runtime.app,
        loglevel=settings.log_level,
        logging_config=logging_config(settings.log_format, settings.log_level),
    )
    worker.execute_from_commandline()
    return 0
