"""The worker's logging set-up: the level is the service's own; the libraries never log below info."""

from __future__ import annotations

import logging
import logging.config

import pytest

from streams.tools.logs import OWN_LOGGERS, logging_config


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_debug_applies_to_the_services_loggers_and_the_libraries_stay_at_info(log_format: str) -> None:
    config = logging_config(log_format, "debug")
    assert config["root"]["level"] == logging.INFO
    assert {name: logger["level"] for name, logger in config["loggers"].items()} == dict.fromkeys(
        OWN_LOGGERS, logging.DEBUG
    )
    assert config.get("merge", False) is (log_format == "text")  # text keeps Faust's coloured handler


def test_a_level_above_info_applies_to_every_logger() -> None:
    config = logging_config("json", "warning")
    assert config["root"]["level"] == config["loggers"]["streams"]["level"] == logging.WARNING


def test_the_json_set_up_is_a_valid_dict_config() -> None:
    saved = logging.root.handlers[:], logging.root.level, {name: logging.getLogger(name).level for name in OWN_LOGGERS}
    try:
        logging.config.dictConfig(logging_config("json", "debug"))
        assert logging.getLogger("streams.runtime").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("aiokafka.conn").isEnabledFor(logging.DEBUG)
    finally:
        logging.root.handlers[:], level, own = saved
        logging.root.setLevel(level)
        for name, own_level in own.items():
            logging.getLogger(name).setLevel(own_level)
