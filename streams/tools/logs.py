"""The worker's logging set-up: Faust's coloured lines, or one JSON object per line for log collectors.

The level applies to the service's own loggers (``streams``, ``agents``). Faust's, aiokafka's and
kafka-python's loggers never go below info: their debug lines print whole records, personal data included.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["OWN_LOGGERS", "logging_config", "worker_warnings"]

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


_TEXT_LINE = re.compile(r"^\[[^]]+\] \[\d+\] \[([A-Z]+)\] (.*)$")
_SEVERE = ("WARNING", "ERROR", "CRITICAL")


def _level_and_message(line: str) -> tuple[str, str] | None:
    """A worker log line's level and message, in either log format (text or json); None for other lines."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return None
        return str(record.get("level")), str(record.get("message"))
    match = _TEXT_LINE.match(line)
    return (match[1], match[2]) if match else None


def worker_warnings(logs: list[Path]) -> list[str]:
    """Each distinct warning or error of the worker ``logs`` with its count, most frequent first; numbers in a
    message are shown as ``#`` so that its repeats count as one."""
    counted: Counter[tuple[str, str]] = Counter()
    for log in logs:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if (logged := _level_and_message(line)) and logged[0] in _SEVERE:
                counted[log.name, re.sub(r"\d+", "#", " ".join(logged))[:200]] += 1
    return [f"  {count:>5}  {name}  {message}" for (name, message), count in counted.most_common()]
