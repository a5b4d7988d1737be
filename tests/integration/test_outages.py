"""Dependencies failing during a run, on Apache Kafka: Redis stopped (and back empty) while a worker leaves and
its partitions move, then the broker restarted. The workers keep running or resume by themselves, no order is
lost (every profile counts every order), every first order has its one welcome, and the Redis view catches up
without a manual rebuild, the moved partitions' customers included.

The outage lasts ``COMEBACK_OUTAGE_SECONDS`` (10 s in CI; the issue's figure: 30).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.redis_view import connect, read_profile
from streams.config import Settings
from streams.sdk.producer import EventProducer
from streams.tools.dev import settings_env
from streams.tools.embedded import EmbeddedRedis, free_port
from streams.tools.kafka_broker import ApacheKafka
from tests.factories import order
from tests.integration.helpers import Workers, eventually, open_contact_policy, read_topic, write_policy

pytestmark = pytest.mark.integration
OUTAGE_SECONDS = float(os.environ.get("COMEBACK_OUTAGE_SECONDS", "10"))
CUSTOMERS = [f"out{n}" for n in range(12)]


def _send_orders(settings: Settings, phase: int) -> None:
    with EventProducer(settings) as producer:
        for customer in CUSTOMERS:
            producer.send(order(customer, order_id=f"{customer}-{phase}", at=datetime.now(UTC)))


def _wait_for_order_counts(redis_url: str, prefix: str, orders: int, timeout: float) -> None:
    """Until every customer's Redis profile counts ``orders`` orders; a timeout names each count seen last."""
    last: dict[str, int | None] = {}

    def probe() -> bool | None:
        with connect(redis_url) as client:
            found = {customer: read_profile(client, prefix, customer) for customer in CUSTOMERS}
        last.update({customer: p.order_count if p else None for customer, p in found.items()})
        return True if all(count == orders for count in last.values()) else None

    try:
        eventually(probe, timeout=timeout)
    except AssertionError:
        raise AssertionError(f"not every profile counts {orders} orders after {timeout} s: {last}") from None


def test_redis_down_a_worker_gone_and_the_broker_restarted_lose_nothing_and_the_view_catches_up(
    kafka_required: None, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    with (
        ApacheKafka(run_dir=tmp_path / "kafka") as kafka,  # its own run dir: a restart keeps the topics
        EmbeddedRedis(data_dir=tmp_path / "redis") as redis_server,  # persistence off: it comes back empty
    ):
        base = {
            "app_id": f"comeback-test-{run}",
            "topic_prefix": f"t{run}.",
            "kafka_bootstrap": kafka.bootstrap,
            "redis_url": redis_server.url,
            "redis_prefix": f"{run}:",
            "store": "memory://",
            "partitions": 2,
            "clock": "wall",
            "policy_file": write_policy(tmp_path / "policy.yaml", open_contact_policy()),
        } | kafka.settings_overrides()
        envs = [settings_env(base | {"data_dir": tmp_path / f"data-{n}", "web_port": free_port()}) for n in range(2)]
        staying, leaving = Workers(lambda **_: envs[0], tmp_path / "w0"), Workers(lambda **_: envs[1], tmp_path / "w1")
        (tmp_path / "w0").mkdir(), (tmp_path / "w1").mkdir()
        try:
            settings = staying.start(envs[0])
            leaving.start(envs[1])
            _send_orders(settings, 1)
            _wait_for_order_counts(redis_server.url, f"{run}:", 1, timeout=120)

            redis_server.stop()
            down_since = time.monotonic()
            _send_orders(settings, 2)
            leaving.stop_all()  # its partitions move to the staying worker while Redis is down
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
            redis_server.start()
            _wait_for_order_counts(redis_server.url, f"{run}:", 2, timeout=120)

            kafka.stop()
            kafka.start()
            _send_orders(settings, 3)
            _wait_for_order_counts(redis_server.url, f"{run}:", 3, timeout=180)

            topic = settings.topic_name(by_role("triggers"))
            triggers = map(Trigger.model_validate_json, read_topic(settings, topic, lambda v: False, 10))
            welcomes = {(t.customer_id, t.trigger_id) for t in triggers if t.type == "welcome"}
            assert sorted(customer for customer, _ in welcomes) == sorted(CUSTOMERS)  # one id each (repeats share it)
        finally:
            staying.stop_all()
            leaving.stop_all()
            staying.print_logs()
            leaving.print_logs()
