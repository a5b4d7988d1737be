"""The chaos proof, short: workers killed with SIGKILL during an event-time replay lose nothing.

``comeback chaos`` runs the long version (10 kills, a 100-customer shop, either broker, memory or RocksDB). CI runs
Apache Kafka with both stores and the embedded broker with RocksDB; ``COMEBACK_CHAOS_EVERY=1`` adds the embedded
broker with the memory store (the same shell code as Kafka's memory run, on the development broker).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from streams.tools.chaos import run_chaos
from streams.tools.embedded import EmbeddedBroker
from streams.tools.kafka_broker import ApacheKafka
from tests.conftest import ComebackEnv

PRODUCT_ALERTS = {"back_in_stock", "price_drop", "favorite_low_stock"}


def _only_product_alerts(lost: list[str]) -> bool:
    """Whether every lost trigger (described as "id type of customer due ...") is a product alert."""
    return all(line.split()[1] in PRODUCT_ALERTS for line in lost)


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_two_workers_killed_during_a_replay_emit_exactly_the_reference_runs_triggers_and_states(
    broker: EmbeddedBroker | ApacheKafka, comeback_env: ComebackEnv, tmp_path: Path, store: str
) -> None:
    if isinstance(broker, EmbeddedBroker) and store == "memory" and not os.environ.get("COMEBACK_CHAOS_EVERY"):
        pytest.skip("the embedded broker with the memory store: set COMEBACK_CHAOS_EVERY=1 (CI's time budget)")
    result = run_chaos(
        comeback_env(),
        tmp_path,
        broker=type(broker).__name__,
        workers=2,
        kills=2,
        store=store,  # type: ignore[arg-type]
        customers=25,
        days=45,
        between=(2.0, 5.0),
        timeout=120,
    )
    print(result.table())
    if isinstance(broker, ApacheKafka) and result.lost and not result.extra and _only_product_alerts(result.lost):
        # Known, issue 14: on Apache Kafka a kill can still lose a product alert (none in 13 loaded short runs after
        # the cleared queues were fixed, but 2 of 1,122 triggers in a 10-kill run: a price_drop, a favorite_low_stock).
        pytest.xfail(f"issue 14: {len(result.lost)} product alert(s) lost on Apache Kafka:\n{result.table()}")
    assert result.expected_triggers > 50 and result.expected_decisions > result.expected_triggers
    assert (result.lost, result.extra, result.states_differing) == ([], [], [])
    assert (result.lost_decisions, result.extra_decisions) == (0, 0)
    assert len(result.recovery_seconds) == 2  # each killed worker was ready again
