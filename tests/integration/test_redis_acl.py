"""Redis with an ACL user and password: the worker writes the profile view as that user, limited to its key
prefix, and the password appears neither in the worker's log nor in ``comeback config``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import redis

from streams.adapters.redis_view import connect, read_profile
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from streams.tools.embedded import EmbeddedRedis
from tests.factories import order
from tests.integration.helpers import Workers, eventually

pytestmark = pytest.mark.integration
PASSWORD = "acl-pw-5d1e0b"


def test_the_worker_writes_profiles_as_an_acl_user_limited_to_its_prefix(
    workers: Workers,
    embedded_redis: EmbeddedRedis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user, prefix = f"comeback-{uuid.uuid4().hex[:6]}", f"t{uuid.uuid4().hex[:8]}:"
    with connect(embedded_redis.url) as admin:
        admin.acl_setuser(user, enabled=True, passwords=[f"+{PASSWORD}"], keys=[f"{prefix}*"], commands=["+@all"])
    address = urlsplit(embedded_redis.url)
    url = f"redis://{user}:{PASSWORD}@{address.hostname}:{address.port}/0"
    with connect(url) as limited, pytest.raises(redis.exceptions.NoPermissionError):
        limited.set("outside-the-prefix", "1")  # the ACL holds

    settings = workers.start(clock="wall", redis_url=url, redis_prefix=prefix)
    with EventProducer(settings) as producer:
        producer.send(order("c-acl", at=datetime.now(UTC)))
    with connect(url) as client:
        stored = eventually(lambda: read_profile(client, prefix, "c-acl"))
    assert stored.order_count == 1

    for key, value in workers.env.items():
        monkeypatch.setenv(key, value)
    assert main(["config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert PASSWORD not in json.dumps(shown) and shown["redis_url"].startswith(f"redis://{user}:****@")
    workers.stop_all()
    assert PASSWORD not in "\n".join(path.read_text(errors="replace") for path in workers.logs)
