"""The shop's repurchase model in a worker: ``comeback fit`` -> COMEBACK_MODEL_FILE -> scored profiles."""

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

from streams.adapters.redis_view import connect, read_profile
from streams.config import ModelFileError, load_model
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from tests.factories import order
from tests.integration.helpers import Workers, eventually

pytestmark = pytest.mark.integration


def _get(port: str, customer_id: str) -> dict[str, Any] | None:
    """The profile once the worker answers 200; None until then (starting, rebalancing, not there yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/customers/{customer_id}", timeout=5) as response:
            return json.loads(response.read()) if response.status == 200 else None
    except (urllib.error.HTTPError, OSError):
        return None


def test_a_worker_given_the_fitted_model_scores_profiles_with_it(
    workers: Workers, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events, model_file = tmp_path / "shop.jsonl", tmp_path / "model.json"
    assert main(["simulate", "--seed", "7", "--customers", "200", "--out", str(events)]) == 0
    assert main(["fit", str(events), "--out", str(model_file), "--version", "it", "--replay", "fold"]) == 0
    model = load_model(model_file)
    assert model is not None and capsys.readouterr().out.startswith(model.fingerprint)

    settings = workers.start(clock="wall", redis_prefix=f"t{uuid.uuid4().hex[:8]}:", model_file=model_file)
    port = workers.env["COMEBACK_WEB_PORT"]
    now = datetime.now(UTC)
    with EventProducer(settings) as producer:
        producer.send_all(
            order(customer_id="c-scored", total=80.0, category="yoga", at=now - timedelta(days=days))
            for days in (120, 60, 20)
        )

    body = eventually(lambda: p if (p := _get(port, "c-scored")) and p["order_count"] == 3 else None)
    assert body["comeback_model"] == model.fingerprint
    assert body["comeback_horizon_days"] == model.horizon_days
    assert 0 <= body["comeback_probability"] <= 1 and 0 <= body["comeback_p_alive"] <= 1
    assert body["comeback_expected_orders"] >= 0 and body["comeback_band"] is not None

    client: redis.Redis = connect(settings.redis_url.get_secret_value())
    try:
        stored = eventually(lambda: p if (p := read_profile(client, settings.redis_prefix, "c-scored")) else None)
        assert stored.comeback_model == model.fingerprint and stored.comeback_probability is not None
    finally:
        client.close()

    # the audience by score band, from the Redis view
    for name in ("COMEBACK_REDIS_URL", "COMEBACK_REDIS_PREFIX"):
        monkeypatch.setenv(name, workers.env[name])
    capsys.readouterr()
    assert stored.comeback_band is not None and stored.value_band is not None
    assert main(["audience", "--comeback-band", stored.comeback_band, "--value-band", stored.value_band]) == 0
    assert "c-scored" in capsys.readouterr().out.split()
    other = next(band for band in ("low", "medium", "high") if band != stored.comeback_band)
    assert main(["audience", "--comeback-band", other]) == 0
    assert "c-scored" not in capsys.readouterr().out.split()


def test_a_bad_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text('{"schema_version": "1"}', encoding="utf-8")
    with pytest.raises(ModelFileError, match="model.json"):
        load_model(bad)
    with pytest.raises(ModelFileError, match="cannot read it"):
        load_model(tmp_path / "missing.json")
    assert load_model(None) is None
