"""Operator settings: the profile endpoint is never open to the network without a token, secrets are masked."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from streams.config import Settings, masked


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "worker-1.internal", "::"])
def test_a_web_host_off_loopback_needs_a_token(host: str) -> None:
    with pytest.raises(ValidationError, match="COMEBACK_WEB_TOKEN"):
        Settings(web_host=host)
    assert Settings(web_host=host, web_token="t0ken").web_host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.9.9.9", "localhost", "::1"])
def test_loopback_needs_no_token(host: str) -> None:
    assert Settings(web_host=host).web_token is None


def test_the_token_and_passwords_are_masked() -> None:
    shown = json.loads(
        masked(Settings(web_token="t0ken", kafka_sasl_password="pw", redis_url="redis://u:secret@h:6379/0"))
    )
    assert (shown["web_token"], shown["kafka_sasl_password"], shown["redis_url"]) == (
        "****",
        "****",
        "redis://u:****@h:6379/0",
    )
