"""A foreign client: Debian's kcat (librdkafka) produces hand-written JSON events and consumes the triggers.

kcat partitions by CRC32 (librdkafka's default), not murmur2, so with two partitions some records land on
a partition their key's owner does not read: the worker forwards them. Apache Kafka only: Debian's kcat
(librdkafka 2.0.2) cannot connect to the embedded broker (it misreads its ApiVersions reply).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.topics import by_role
from streams.config import Settings
from streams.runtime.routing import owner_partition
from streams.tools.embedded import EmbeddedBroker
from streams.tools.kafka_broker import ApacheKafka
from tests.integration.helpers import Workers, open_contact_policy, read_topic, write_policy

pytestmark = pytest.mark.integration


def _kcat() -> str:
    found = shutil.which("kcat")
    if found is None:
        if os.environ.get("COMEBACK_REQUIRE_KAFKA") == "1":
            pytest.fail("kcat is not installed (.ci/run installs Debian's kcat)", pytrace=False)
        pytest.skip("kcat is not installed (apt-get install kcat)")
    return found


def _produce(kcat: str, settings: Settings, role: str, lines: list[tuple[str, dict[str, object]]]) -> None:
    """Key and JSON value per line, as an integrator would send them with ``kcat -P -K'|'``."""
    text = "".join(f"{key}|{json.dumps(value)}\n" for key, value in lines)
    topic = settings.topic_name(by_role(role))
    command = [kcat, "-P", "-b", settings.kafka_bootstrap, "-t", topic, "-K", "|"]
    subprocess.run(command, input=text, text=True, check=True, timeout=30)


def _triggers(kcat: str, settings: Settings, expected: int, timeout: float = 60.0) -> list[dict[str, object]]:
    """The triggers topic read from the start with kcat's JSON envelope (key, headers, payload)."""
    topic = settings.topic_name(by_role("triggers"))
    command = [kcat, "-C", "-b", settings.kafka_bootstrap, "-t", topic, "-o", "beginning", "-e", "-J", "-q"]
    deadline, found = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout
        found = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(found) >= expected:
            break
        time.sleep(1)
    return found


def test_kcat_sends_hand_written_events_and_reads_the_triggers_with_their_headers(
    workers: Workers, broker: EmbeddedBroker | ApacheKafka, tmp_path: Path
) -> None:
    if not isinstance(broker, ApacheKafka):
        pytest.skip("Debian's kcat cannot connect to the embedded broker (librdkafka 2.0.2 ApiVersions bug)")
    kcat = _kcat()
    policy = write_policy(tmp_path / "policy.yaml", open_contact_policy())  # every welcome at once, at any hour
    settings = workers.start(clock="wall", partitions=2, policy_file=policy)
    now = datetime.now(UTC).isoformat()
    customers = [f"k{n}" for n in range(6)]
    strays = [c for c in customers if zlib.crc32(c.encode()) % 2 != owner_partition(c.encode(), 2)]
    assert strays  # kcat puts some of them on a partition their owner does not read
    orders = [
        (
            customer,
            {
                "event_id": f"kcat-{customer}",
                "type": "order_placed",
                "schema_version": "1.0",
                "occurred_at": now,
                "customer_id": customer,
                "order_id": f"o-{customer}",
                "lines": [{"product_id": "p1", "category": "tea", "unit_price": 50.0, "quantity": 1}],
                "total": 50.0,
            },
        )
        for customer in customers
    ]
    _produce(kcat, settings, "orders", orders)

    found = _triggers(kcat, settings, expected=len(customers))
    forwarded = read_topic(settings, settings.topic_name(by_role("rerouted_customers")), lambda v: len(v) >= 1, 30)
    assert len(forwarded) == len(strays)  # the strays went to their owner's partition, and only they
    welcomes = [t for t in found if json.loads(str(t["payload"]))["type"] == "welcome"]
    assert sorted(str(t["key"]) for t in welcomes) == customers
    headers = welcomes[0]["headers"]
    assert isinstance(headers, list)
    named = dict(zip(headers[::2], headers[1::2], strict=True))
    assert named["comeback-trigger-type"] == "welcome" and named["content-type"] == "application/json"
