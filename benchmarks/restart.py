"""How long a restarted worker with N customers takes to be ready again (RocksDB store, Apache Kafka 3.9.1).

For each N of ``--customers`` the ``customer_to_state`` changelog is filled with N states (copies, under new ids, of
the states a simulated shop's reference run ends with), then one worker is started cold (no local tables: a full
changelog recovery, as after a crash) and, after a clean stop (SIGTERM), started again (local tables kept); each
start is timed from the process start to ``/readyz`` ready, with two parts from the worker's log: reading the
changelog, and rebuilding the timer index (``on_recover`` reads every state). A straight line,
seconds = a + b * N, is fitted to each series (least squares) and extrapolated to ``--target`` customers.
The worker's settings come from the environment (e.g. ``COMEBACK_CONSUMER_MAX_FETCH_BYTES=1048576``, Faust's own
fetch size; the default is 16 MiB).
Run: ``python -m benchmarks.restart --customers 10000,30000,100000``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from benchmarks.common import machine, percentile
from streams.tools.bench.changelog import stored_value
from streams.tools.bench.host import load_average
from streams.tools.bench.restart import POOL_CUSTOMERS, POOL_DAYS, Restarts, fit, measure_restarts, restart_pool
from streams.tools.bench.throughput import Stack
from streams.tools.dev import local_broker
from streams.tools.embedded import EmbeddedRedis
from streams.tools.kafka_broker import KAFKA_VERSION, kafka_available

__all__ = ["main"]

_MB = 1e6


def _sizes(text: str) -> list[int]:
    return sorted(int(n) for n in text.replace("_", "").split(","))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=_sizes, default="10000,30000,100000", help="N, comma-separated")
    parser.add_argument("--partitions", type=int, default=4, help="of every topic; one worker holds them all")
    parser.add_argument(
        "--shop-customers", type=int, default=POOL_CUSTOMERS, help="the simulated shop the states come from"
    )
    parser.add_argument("--days", type=int, default=POOL_DAYS, help="the simulated shop's length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", type=int, default=1_000_000, help="customers to extrapolate to")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds the target must be ready within")
    parser.add_argument("--out", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (worker logs, RocksDB, Kafka)")
    return parser


def _row(r: Restarts) -> str:
    changelog = "n/a" if r.changelog_bytes is None else f"{r.changelog_bytes / _MB:,.0f}"
    rss = "n/a" if r.rss_ready_bytes is None else f"{r.rss_ready_bytes / _MB:,.0f}"
    return (
        f"| {r.customers:,} | {r.cold_s:.1f} ({r.cold_read_s:.1f} / {r.cold_rebuild_s:.1f}) "
        f"| {r.clean_s:.1f} ({r.clean_rebuild_s:.1f}) | {changelog} | {r.rocksdb_bytes / _MB:,.0f} | {rss} "
        f"| {r.fill_s:.0f} | {r.load_cold[0]:.2f} / {r.load_clean[0]:.2f} |"
    )


def _extrapolate(name: str, points: list[tuple[int, float]], target: int, budget: float) -> str:
    if len(points) < 2:
        return f"{name}: one N only, no line fitted"
    a, b = fit(points)
    if b <= 0:
        return f"{name}: seconds = {a:.2f} + {b:.3g} * N does not grow: the N are too small for the noise"
    at = a + b * target
    verdict = "under" if at < budget else "OVER"
    return (
        f"{name}: seconds = {a:.2f} + {b:.3g} * N; at {target:,} customers {at:,.0f} s, "
        f"{verdict} the {budget:g} s target (each 1,000 more customers: {b * 1000:.2f} s)"
    )


def main() -> int:
    args = _parser().parse_args()
    if reason := kafka_available():
        print(f"benchmarks.restart: Apache Kafka cannot run: {reason}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}")
    print(f"load average at the start: {load_average()}")
    print(f"states from: seed {args.seed}, {args.shop_customers} customers x {args.days} days (reference run)")
    pool = restart_pool(args.seed, args.shop_customers, args.days)
    sizes = [len(stored_value(s)) for s in pool]
    print(
        f"stored state bytes: median {percentile(sizes, 50):,} p90 {percentile(sizes, 90):,} max {max(sizes):,} "
        f"({len(pool)} states, copied under new ids)"
    )
    print(f"broker: Apache Kafka {KAFKA_VERSION}, {args.partitions} partitions, one worker, RocksDB store")
    results: list[Restarts] = []
    with tempfile.TemporaryDirectory(prefix="comeback-restart-") as tmp:
        run_dir = args.keep or Path(tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        with local_broker("kafka") as broker, EmbeddedRedis(data_dir=run_dir / "redis") as redis_server:
            stack = Stack(broker, redis_server, run_dir)
            for customers in args.customers:
                print(f"N = {customers:,}: filling the changelog, then a cold start and a clean restart", flush=True)
                results.append(measure_restarts(stack, pool, customers, args.partitions))
    print(
        "\n| customers | cold start s (read / rebuild) | clean restart s (rebuild) | changelog MB | RocksDB MB "
        "| worker RSS MB | fill s | load (1 min) cold / clean |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(_row(r))
    print()
    for name, series in (("cold start", "cold_s"), ("clean restart", "clean_s")):
        points = [(r.customers, getattr(r, series)) for r in results]
        print(_extrapolate(name, points, args.target, args.budget))
    print(f"load average at the end: {load_average()}")
    if args.out:
        args.out.write_text(json.dumps({"runs": [asdict(r) for r in results]}, indent=2) + "\n", encoding="utf-8")
        print(f"figures: {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
