"""``comeback bench --quick`` (``python -m streams.tools.bench``) on each broker: it prints its table and writes every
figure, with plausible values. Timings are not checked: only that rates are positive, spreads are ordered
(p50 <= p99 <= max) and the worker gave exactly the reference run's triggers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from streams.tools.bench.targets import TARGETS
from streams.tools.dev import BROKERS, BrokerKind
from streams.tools.kafka_broker import JARS_ENV, kafka_available
from tests.conftest import kafka_unavailable

pytestmark = pytest.mark.integration

LAYOUTS = ("1", "4")


def _positive(figure: dict[str, Any], *keys: str) -> None:
    for key in keys:
        assert isinstance(figure[key], int | float) and figure[key] > 0, (key, figure)


def _ordered(spread: dict[str, Any], expected_count: int | None = None) -> None:
    assert spread["count"] > 0, spread
    if expected_count is not None:
        assert spread["count"] == expected_count, spread
    assert 0 <= spread["p50_ms"] <= spread["p99_ms"] <= spread.get("max_ms", spread["p99_ms"]), spread


def _check(run: dict[str, Any], kind: BrokerKind) -> None:
    assert run["broker"] == kind
    assert run["machine"]["cpu"] and run["machine"]["cores"] >= 1 and run["machine"]["python"]
    assert len(run["load_average"]["before"]) == len(run["load_average"]["after"]) == 3
    workload, figures = run["workload"], run["figures"]
    assert workload["events"] > 0 and workload["expected_triggers"] > 0
    for layout in LAYOUTS:
        produced, raw, agent = (figures[name][layout] for name in ("produce", "raw_consume", "faust_agent"))
        _positive(produced, "messages", "messages_per_s")
        assert raw["messages"] == agent["messages"] == produced["messages"], (raw, agent, produced)
        _positive(raw, "messages_per_s", "seconds")
        _positive(agent, "messages_per_s", "seconds", "startup_s")
        worker = figures["worker"][layout]
        assert worker["partitions"] == int(layout)
        assert worker["complete"], worker
        assert worker["triggers_received"] == worker["expected_triggers"] == workload["expected_triggers"], worker
        assert worker["unexpected_triggers"] == 0, worker
        _positive(worker, "startup_s", "rss_first_bytes", "rss_end_bytes")
        for end in ("taken_in", "lag_zero", "triggers"):
            _positive(worker, f"{end}_s", f"{end}_events_per_s", f"{end}_messages_per_s")
    for step in ("evolve", "handle_event"):
        _positive(figures["pure_core"][step], "events_per_s", "us_per_event")
    _positive(figures["reference_run"], "events_per_s")
    wall = figures["wall_clock"]
    _positive(wall, "offered_per_s", "achieved_per_s", "orders", "views", "idle_rss_bytes")
    _ordered(wall["welcome"], wall["orders"])
    _ordered(wall["welcome_decided"], wall["orders"])
    _ordered(wall["timer_lateness"], wall["views"])
    _ordered(wall["timer_lateness_histogram"])
    sizes = figures["state_bytes"]
    assert 0 < sizes["p50"] <= sizes["p90"] <= sizes["max"], sizes
    rss = figures["rss"]
    _positive(rss, "baseline_bytes", "end_bytes", "customers")
    assert isinstance(rss["per_customer_bytes"], float), rss
    assert figures["pure_core_profile"] and all(0 < row["share"] <= 1 for row in figures["pure_core_profile"])
    assert [t["target"] for t in run["targets"]] == list(TARGETS)
    assert all(t["verdict"] in ("met", "NOT met", "not measured") and t["measured"] for t in run["targets"])


@pytest.mark.parametrize("kind", BROKERS)
def test_the_quick_bench_writes_every_figure(kind: BrokerKind, tmp_path: Path) -> None:
    if kind == "kafka" and (reason := kafka_available()):
        kafka_unavailable(reason)
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMEBACK_") or k == JARS_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "streams.tools.bench", "--quick", "--broker", kind, "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"comeback bench: broker {kind}" in done.stdout
    assert "trivial Faust agent" in done.stdout and "ratio to Faust agent" in done.stdout
    assert "targets (issue 13)" in done.stdout
    (run,) = json.loads(out.read_text())["runs"]
    _check(run, kind)
