"""The profile view end to end: events -> two workers -> Redis, the routed web view, the CLI, a rebuild."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from schemas.profile import CustomerProfile
from streams.adapters.redis_view import audience, connect, read_profile
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from streams.tools.embedded import free_port
from tests.factories import erasure, order, view
from tests.integration.helpers import Workers, eventually

pytestmark = pytest.mark.integration

BUYERS = {f"c-{n}": 100.0 * n for n in range(1, 6)}  # largest order 100..500: member, vip (200, 300), super_vip


def _get(port: str, customer_id: str, status: int) -> dict[str, Any] | None:
    """The JSON body once the worker answers with ``status``; None until then (starting, rebalancing)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/customers/{customer_id}", timeout=5) as response:
            code, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        code, body = error.code, error.read()
    except OSError:
        return None
    return json.loads(body) if code == status else None


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_profiles_reach_redis_the_routed_web_view_and_survive_a_rebuild(
    workers: Workers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = workers.start(clock="wall", redis_prefix=f"t{uuid.uuid4().hex[:8]}:")
    first_env = workers.env
    workers.start(first_env | {"COMEBACK_WEB_PORT": str(free_port()), "COMEBACK_DATA_DIR": str(tmp_path / "second")})
    ports = [first_env["COMEBACK_WEB_PORT"], workers.env["COMEBACK_WEB_PORT"]]
    for key, value in first_env.items():
        monkeypatch.setenv(key, value)
    now = datetime.now(UTC) - timedelta(minutes=5)
    with EventProducer(settings) as producer:
        producer.send_all(order(customer_id=c, total=total, category="yoga", at=now) for c, total in BUYERS.items())
        producer.send_all([view(customer_id="c-browser", at=now), view(customer_id="c-gone", at=now)])
    client: redis.Redis = connect(settings.redis_url.get_secret_value())
    prefix = settings.redis_prefix
    eventually(lambda: read_profile(client, prefix, "c-gone"))
    with EventProducer(settings) as producer:  # on another topic than the view: sent once the view is in
        producer.send(erasure(customer_id="c-gone", at=now + timedelta(seconds=1)))

    def stored() -> dict[str, CustomerProfile] | None:
        profiles = {c: read_profile(client, prefix, c) for c in [*BUYERS, "c-browser"]}
        return None if None in profiles.values() else profiles  # type: ignore[return-value]

    profiles = eventually(stored)
    assert {c: (p.order_count, p.tier) for c, p in profiles.items()} == {
        "c-1": (1, "member"),
        "c-2": (1, "vip"),
        "c-3": (1, "vip"),
        "c-4": (1, "super_vip"),
        "c-5": (1, "super_vip"),
        "c-browser": (0, "none"),
    }
    eventually(lambda: True if read_profile(client, prefix, "c-gone") is None else None)  # erased
    assert audience(client, prefix, tier=["vip", "super_vip"], category="yoga") == ["c-2", "c-3", "c-4", "c-5"]

    code, out = _cli(capsys, "profile", "c-4")
    assert code == 0 and CustomerProfile.model_validate_json(out) == profiles["c-4"]
    assert main(["profile", "c-nobody"]) == 1
    code, out = _cli(capsys, "audience", "--tier", "super_vip", "--tier", "vip", "--lifecycle", "new")
    assert code == 0 and out.split() == ["c-2", "c-3", "c-4", "c-5"]

    for port in ports:  # each worker answers for every customer, forwarding to the owner when needed
        for customer_id in BUYERS:
            body = eventually(lambda: _get(port, customer_id, 200))
            assert body["order_count"] == 1 and body["tier"] == profiles[customer_id].tier
        body = eventually(lambda: _get(port, "c-browser", 200))
        assert "browse_followup" in [timer["kind"] for timer in body["pending_timers"]]
        assert eventually(lambda: _get(port, "c-nobody", 404)) == {"error": "unknown customer c-nobody"}
        assert eventually(lambda: _get(port, "c-gone", 404)) == {"error": "unknown customer c-gone"}  # erased

    client.flushdb()

    def rebuilt_from_the_changelog() -> dict[str, CustomerProfile] | None:
        """The workers write their states to the changelog at each commit (written behind): a rebuild run before
        the first commit after the last record misses what it changed."""
        code, out = _cli(capsys, "rebuild-profiles")
        assert code == 0, out
        return stored()

    rebuilt = eventually(rebuilt_from_the_changelog, timeout=30)
    assert read_profile(client, prefix, "c-gone") is None  # an erased customer is not brought back
    assert {c: (p.revision, p.order_count, p.tier) for c, p in rebuilt.items()} == {
        c: (p.revision, p.order_count, p.tier) for c, p in profiles.items()
    }
    client.close()
