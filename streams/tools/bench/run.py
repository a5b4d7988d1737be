"""``comeback bench``: throughput, latency and memory of one simulated workload on a local broker, in one run.

``run_bench`` starts the broker (embedded Tansu or Apache Kafka 3.9.1) and a redis-server, and measures on the
same simulated shop: the SDK producer; a raw aiokafka consumer and a trivial Faust agent reading the input
topics (Faust's ceiling); one event-time worker end to end, with 1 and with 4 partitions; the pure core on one
core; a wall-clock worker's welcome latency and timer lateness at a fixed offered load; the state bytes and the
worker's RSS per customer. It prints a table and writes every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.domain.policy import Policy
from streams.tools.bench.core import core_profile, core_rates, state_bytes
from streams.tools.bench.endtoend import worker_end_to_end
from streams.tools.bench.host import load_average, machine_info, percentile
from streams.tools.bench.latency import wall_clock
from streams.tools.bench.restart import measure_restarts, restart_points, restart_pool
from streams.tools.bench.table import format_run
from streams.tools.bench.targets import verdicts
from streams.tools.bench.throughput import (
    Stack,
    faust_agent,
    produce,
    raw,
)
from streams.tools.bench.workload import DEFAULT_START, Workload
from streams.tools.dev import BROKERS, BrokerKind, local_broker
from streams.tools.embedded import EmbeddedRedis
from streams.tools.kafka_broker import KAFKA_VERSION, kafka_available

__all__ = ["FULL", "QUICK", "Size", "main", "parser", "run_bench", "size_of"]


@dataclass(frozen=True)
class Size:
    """How much work a run does: the shop, the timed pure-core runs, the wall-clock load."""

    customers: int
    days: int
    core_runs: int
    rate: float  # records/s offered on the wall clock
    seconds: float  # for this long
    partitions: tuple[int, ...] = (1, 4)
    embedded_session_s: float | None = None  # the embedded broker holds a join for half the session timeout
    restart_customers: tuple[int, ...] = ()  # on Apache Kafka: a restarted worker with each N (RocksDB) timed


FULL = Size(customers=500, days=60, core_runs=3, rate=100, seconds=30, restart_customers=(10_000, 30_000, 100_000))
"""A few minutes per broker on 2 cores. 200 records/s on the wall clock saturate one worker there (latency then
measures its queue: p50 about 0.9 s on both brokers), so the default load is 100/s."""
QUICK = Size(customers=60, days=30, core_runs=1, rate=100, seconds=4, embedded_session_s=4)
"""--quick: the embedded broker's workers join in 2 s instead of 5 (a 4 s session timeout; the embedded stack's is
10 s), so a CI run spends less time starting Faust; the start-up figures are then not those of ``comeback dev``."""


_BEGAN = time.monotonic()


def _note(message: str) -> None:
    print(f"bench [{time.monotonic() - _BEGAN:5.0f} s]: {message}", file=sys.stderr, flush=True)


def run_bench(
    broker: BrokerKind,
    *,
    size: Size = FULL,
    seed: int = 1,
    start: datetime = DEFAULT_START,
    out: Path,
    keep: Sequence[dict[str, Any]] = (),
    logs: Path | None = None,
    profile: bool = False,
    restart: dict[str, Any] | None = None,
    note: Callable[[str], None] = _note,
) -> dict[str, Any]:
    """One run on ``broker``: every figure, also written to ``out`` as ``{"runs": [*keep, this run]}``. ``logs``:
    a folder that keeps the children's logs (else a temporary one, removed at the end). ``profile``: py-spy samples
    the worker with the most partitions end to end (it costs the worker some speed). ``restart``: the figures of a
    ``benchmarks.restart`` run, kept with the run's for the restart target; without them a run on Apache Kafka
    times the restarts itself, with ``size.restart_customers``."""
    load_before = load_average()
    began = time.monotonic()
    started_at = datetime.now(UTC)
    policy = Policy()
    note(f"{broker}: simulating {size.customers} customers x {size.days} days (seed {seed}) and the reference run")
    workload = Workload.simulate(seed, size.customers, size.days, start, policy)
    customer_events = workload.customer_events
    note(f"{broker}: {len(workload.events):,} events, {len(workload.triggers):,} triggers expected; the pure core")
    figures: dict[str, Any] = {
        "pure_core": core_rates(customer_events, policy, size.core_runs),
        "pure_core_profile": core_profile(customer_events, policy),
        "reference_run": {
            "events": len(workload.events),
            "seconds": workload.reference_seconds,
            "events_per_s": len(workload.events) / workload.reference_seconds,
        },
    }
    if restart is not None:
        figures["restart"] = restart_points(restart)
    sizes = state_bytes(workload.states.values())
    figures["state_bytes"] = {
        "customers": len(sizes),
        "p50": percentile(sizes, 50),
        "p90": percentile(sizes, 90),
        "max": max(sizes),
    }
    for name in ("produce", "raw_consume", "faust_agent", "worker"):
        figures[name] = {}
    with (
        tempfile.TemporaryDirectory(prefix="comeback-bench-") as tmp,
        local_broker(broker) as server,
        EmbeddedRedis(data_dir=Path(tmp) / "redis") as redis_server,
    ):
        run_dir = Path(tmp) if logs is None else logs / broker
        run_dir.mkdir(parents=True, exist_ok=True)
        overrides: dict[str, object] = {}
        if broker == "embedded" and size.embedded_session_s:
            overrides = {"session_timeout_seconds": size.embedded_session_s, "heartbeat_interval_seconds": 1}
        stack = Stack(server, redis_server, run_dir, overrides)
        timeout = max(300.0, len(workload.events) / 20)
        for partitions in size.partitions:
            key = str(partitions)
            target = stack.target(f"p{partitions}", partitions, "event")
            note(f"{broker}: {partitions} partition(s): producing")
            figures["produce"][key] = produce(target, workload)
            note(f"{broker}: {partitions} partition(s): raw consume, trivial Faust agent")
            figures["raw_consume"][key] = raw(target)
            figures["faust_agent"][key] = faust_agent(target)
            note(f"{broker}: {partitions} partition(s): the worker end to end")
            sampled = profile and partitions == max(size.partitions)
            figures["worker"][key] = worker_end_to_end(target, workload, timeout, profile=sampled)
        widest = max(size.partitions)
        note(f"{broker}: wall clock, {size.rate:g} records/s for {size.seconds:g} s")
        figures["wall_clock"] = wall_clock(stack, rate=size.rate, seconds=size.seconds, partitions=widest)
        end, baseline = figures["worker"][str(widest)]["rss_end_bytes"], figures["wall_clock"]["idle_rss_bytes"]
        customers = len(workload.states)
        figures["rss"] = {
            "partitions": widest,
            "customers": customers,
            "baseline_bytes": baseline,
            "end_bytes": end,
            "per_customer_bytes": None if end is None or baseline is None else (end - baseline) / customers,
        }
        if restart is None and broker == "kafka" and size.restart_customers:
            note(f"{broker}: restarts with {', '.join(f'{n:,}' for n in size.restart_customers)} customers (RocksDB)")
            pool = restart_pool(seed)
            runs = [asdict(measure_restarts(stack, pool, n, widest)) for n in size.restart_customers]
            figures["restart"] = restart_points({"runs": runs}) | {"runs": runs}
    run = {
        "broker": broker,
        "broker_detail": f"Apache Kafka {KAFKA_VERSION}" if broker == "kafka" else "embedded Tansu",
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": load_average()},
        "started_at": started_at.isoformat(),
        "took_s": time.monotonic() - began,
        "size": asdict(size) | {"seed": seed},
        "workload": workload.describe(),
        "figures": figures,
    }
    run["targets"] = [dict(zip(("target", "measured", "verdict", "why"), v, strict=True)) for v in verdicts(run)]
    write(out, [*keep, run])
    return run


def write(out: Path, runs: Sequence[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": list(runs)}, indent=2, default=str) + "\n", encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comeback bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--broker", choices=(*BROKERS, "both"), default="embedded")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a small run for CI ({QUICK.customers} customers x "
        f"{QUICK.days} days, {QUICK.rate:g}/s for {QUICK.seconds:g} s)",
    )
    parser.add_argument("--customers", type=int, help=f"default {FULL.customers} ({QUICK.customers} with --quick)")
    parser.add_argument("--days", type=int, help=f"default {FULL.days} ({QUICK.days} with --quick)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, help="records/s offered on the wall clock")
    parser.add_argument("--seconds", type=float, help="how long the wall-clock load lasts")
    parser.add_argument("--out", type=Path, default=Path("comeback-bench.json"), help="the JSON file written")
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy samples the 4-partition worker (pip install py-spy)"
    )
    parser.add_argument(
        "--restart",
        type=Path,
        help="the figures of a `python -m benchmarks.restart --out FILE` run: the restart target is judged from them "
        "(else a run on Apache Kafka times the restarts itself)",
    )
    return parser


def size_of(args: argparse.Namespace) -> Size:
    """The run's size: ``--quick``'s or the full one, with the sizes given on the command line."""
    base = QUICK if args.quick else FULL
    return replace(
        base,
        customers=args.customers or base.customers,
        days=args.days or base.days,
        rate=args.rate or base.rate,
        seconds=args.seconds or base.seconds,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    size = size_of(args)
    kinds: tuple[BrokerKind, ...] = BROKERS if args.broker == "both" else (args.broker,)
    runs: list[dict[str, Any]] = []
    status = 0
    for kind in kinds:
        if kind == "kafka" and (reason := kafka_available()):
            print(f"comeback bench: kafka skipped: {reason}", file=sys.stderr)
            status = 2
            continue
        restart = None if args.restart is None else json.loads(args.restart.read_text(encoding="utf-8"))
        run = run_bench(
            kind,
            size=size,
            seed=args.seed,
            out=args.out,
            keep=runs,
            logs=args.logs,
            profile=args.profile,
            restart=restart,
        )
        runs.append(run)
        print(format_run(run) + "\n", flush=True)
    if runs:
        print(f"figures: {args.out.resolve()}")
    return status if not runs or len(kinds) == 1 else 0
