"""The shop's repurchase model in a worker: ``comeback fit`` -> COMEBACK_MODEL_FILE -> scored profiles, and
``comeback fit --publish`` / ``comeback refit`` -> the shop-models topic -> every worker not pinned to a file."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis

from schemas.shop_model import ShopModel
from schemas.topics import by_role
from streams.adapters.kafka_admin import create_topics
from streams.adapters.kafka_clients import producer
from streams.adapters.redis_view import connect, read_profile
from streams.adapters.shop_models import KEY, latest_model, publish_model
from streams.config import ModelFileError, load_model
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from tests.contract.examples import examples
from tests.factories import order
from tests.integration.helpers import Workers, eventually, settings_from

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


def _history(customer: int) -> list[int]:
    """Days ago of a customer's orders: one to four, at a rhythm of its own."""
    return [7 + customer * 3 + k * (20 + 9 * customer) for k in range(1 + customer % 4)]


def _with_orders(port: str, customer_id: str, orders: int) -> dict[str, Any] | None:
    body = _get(port, customer_id)
    return body if body is not None and body["order_count"] == orders else None


def _scored_with(port: str, customer_id: str, fingerprint: str | None) -> dict[str, Any] | None:
    body = _get(port, customer_id)
    return body if body is not None and body["comeback_model"] == fingerprint else None


def test_workers_follow_the_published_model_then_the_refit_from_their_own_states(
    workers: Workers, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_file, events, model_file = tmp_path / "policy.yaml", tmp_path / "shop.jsonl", tmp_path / "model.json"
    policy_file.write_text("comeback:\n  min_buyers_to_fit: 5\n", encoding="utf-8")
    settings = workers.start(
        clock="wall", redis_prefix=f"t{uuid.uuid4().hex[:8]}:", policy_file=policy_file, model_poll_seconds=1
    )
    for name, value in workers.env.items():
        monkeypatch.setenv(name, value)
    port, now = workers.env["COMEBACK_WEB_PORT"], datetime.now(UTC)
    customers = {f"c{i:02d}": _history(i) for i in range(12)}
    with EventProducer(settings) as producer:
        producer.send_all(
            order(customer_id=cid, total=40.0 + 15 * k, category="tea", at=now - timedelta(days=days))
            for cid, history in customers.items()
            for k, days in enumerate(history)
        )
    for cid, history in customers.items():
        body = eventually(partial(_with_orders, port, cid, len(history)))
        assert body["comeback_model"] is None  # nothing published yet

    assert main(["simulate", "--seed", "7", "--customers", "200", "--out", str(events)]) == 0
    assert main(["fit", str(events), "--out", str(model_file), "--version", "a", "--replay", "fold", "--publish"]) == 0
    published = load_model(model_file)
    assert published is not None and latest_model(settings) == published
    eventually(lambda: _scored_with(port, "c03", published.fingerprint))

    def refit_of_everyone() -> ShopModel | None:  # the changelog may lag the web view
        refitted = latest_model(settings) if main(["refit", "--once", "--version", "b"]) == 0 else None
        return refitted if refitted is not None and refitted.customers == len(customers) else None

    capsys.readouterr()
    refitted = eventually(refit_of_everyone)
    assert refitted.version == "b" and refitted.fitted_at >= now and refitted.buyers == len(customers)
    assert refitted.fingerprint in capsys.readouterr().out
    body = eventually(lambda: _scored_with(port, "c03", refitted.fingerprint))
    assert 0 <= body["comeback_probability"] <= 1 and body["comeback_horizon_days"] == refitted.horizon_days


def test_a_reader_skips_a_record_it_cannot_read_and_a_tombstone_withdraws_the_model(
    comeback_env: Callable[..., dict[str, str]],
) -> None:
    settings = settings_from(comeback_env())
    create_topics(settings)
    assert latest_model(settings) is None
    model = next(m for m in examples() if isinstance(m, ShopModel))
    publish_model(settings, model)
    topic = settings.topic_name(by_role("shop_models"))
    with closing(producer(settings, acks="all")) as sender:
        for value in (b"not json", json.dumps(model.model_dump(mode="json") | {"schema_version": "2.0"}).encode()):
            sender.send(topic, key=KEY, value=value).get(30)
        assert latest_model(settings) == model  # both skipped: the one before stays
        sender.send(topic, key=KEY, value=None).get(30)
    assert latest_model(settings) is None


def test_a_bad_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text('{"schema_version": "1"}', encoding="utf-8")
    with pytest.raises(ModelFileError, match="model.json"):
        load_model(bad)
    with pytest.raises(ModelFileError, match="cannot read it"):
        load_model(tmp_path / "missing.json")
    assert load_model(None) is None
