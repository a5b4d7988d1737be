"""Run one stream worker in this process: the start-up of settings, policy, runtime and agents."""

from __future__ import annotations

import logging

import faust
from kafka.errors import KafkaError

import agents
from schemas.shop_model import ShopModel
from streams.adapters.shop_models import start_model
from streams.config import Settings, load_policy
from streams.runtime.app import build_runtime
from streams.runtime.local_store import mark_clean_stop, open_local_store
from streams.tools.logs import logging_config

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def _first_model(settings: Settings) -> ShopModel | None:
    try:
        return start_model(settings)
    except KafkaError as exc:  # the broker is not up yet: Faust waits for it; the model follows on a later read
        log.warning("shop-models topic not read at start (%s): starting without a model", exc)
        return None


def run_worker(settings: Settings) -> int:
    runtime = build_runtime(settings, load_policy(settings.policy_file), _first_model(settings))
    agents.register(runtime)
    open_local_store(runtime.app)
    worker = faust.Worker(
        runtime.app,
        loglevel=settings.log_level,
        logging_config=logging_config(settings.log_format, settings.log_level),
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as stopped:  # Faust exits 0 after a clean stop and re-raises what crashed it
        if stopped.code in (0, None):
            mark_clean_stop(runtime.app)
        raise
    return 0
