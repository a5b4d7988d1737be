"""The worker's logging set-up: Faust's coloured lines, or one JSON object per line for log collectors.

The level applies to the service's own loggers (``streams``, ``agents``). Faust's, aiokafka's and
kafka-python's loggers never go below info: their debug lines print whole records, personal data included.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["OWN_LOGGERS", "logging_config"]

OWN_LOGGERS = ("streams", "agents")


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for Faust's worker: ``log_format`` json makes the fields a record carries
    in ``extra`` (trigger, decision and event ids) keys; text merges into Faust's own coloured set-up."""
    own = logging.getLevelName(level.upper())
    levels: dict[str, Any] = {
        "root": {"level": max(own, logging.INFO)},
        "loggers": {name: {"level": own} for name in OWN_LOGGERS},
    }
    if log_format != "json":
        return {"merge": True, **levels}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            }
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": levels["root"] | {"handlers": ["json"]},
        "loggers": levels["loggers"],
    }
