"""The worker's logging set-up: Faust's coloured lines, or one JSON object per line for log collectors."""

from __future__ import annotations

from typing import Any

__all__ = ["logging_config"]


def logging_config(log_format: str, level: str) -> dict[str, Any] | None:
    """A ``logging.config.dictConfig`` for ``log_format`` json (the fields a record carries in ``extra``, such
    as trigger and decision ids, become keys); None keeps Faust's own set-up."""
    if log_format != "json":
        return None
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
        "root": {"level": level.upper(), "handlers": ["json"]},
    }
