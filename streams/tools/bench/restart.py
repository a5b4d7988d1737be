"""How long a worker with N customers takes to be ready again, with the RocksDB store (``benchmarks/restart.py``).

The changelog is filled first (``streams.tools.bench.changelog``); then, from the process start to ``/readyz``:
a cold start (no local tables: the first start, and every start after a crash, which drops them) recovers the
whole changelog; a restart after a clean stop (SIGTERM: Faust flushes, commits and leaves the ``.clean-stop``
marker) keeps the local RocksDB tables. Both end with ``on_recover`` reading every state of the table back
(``CustomerShell.rebuild_timer_index``); the worker's log says how long the read and that rebuild took.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.runtime.app import create_app
from streams.runtime.local_store import CLEAN_STOP
from streams.tools.bench.changelog import Filled, changelog_name, fill_changelog
from streams.tools.bench.host import load_average, rss_bytes
from streams.tools.bench.kafka_side import wait_ready
from streams.tools.bench.throughput import Stack, Target
from streams.tools.bench.workload import DEFAULT_START, Workload
from streams.tools.dev import spawn, stop
from streams.tools.kafka_broker import ApacheKafka

__all__ = [
    "POOL_CUSTOMERS",
    "POOL_DAYS",
    "Fit",
    "Restarts",
    "Started",
    "directory_bytes",
    "fit",
    "measure_restarts",
    "restart_points",
    "restart_pool",
    "start_until_ready",
    "stop_cleanly",
]

POOL_CUSTOMERS, POOL_DAYS = 500, 365
_STOP_TIMEOUT = 300.0  # a clean stop of a worker holding many customers may take a while; SIGKILL would drop them
_READING, _RECOVERED, _REBUILT = "Restoring state from changelog topics", "Recovery complete", "timer index rebuilt"
_MARK = re.compile(rf"^\[(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}})\] .*?({_READING}|{_RECOVERED}|{_REBUILT})", re.M)


@dataclass(frozen=True)
class Started:
    """A worker started and ready: seconds from its process start to ready, and where they went (from its log)."""

    seconds: float
    read_s: float  # Faust reading the changelogs (0: nothing to read)
    rebuild_s: float  # from the end of that read to the timer index rebuilt
    child: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Restarts:
    """One N: the fill, both starts (seconds from process start to ready, and their parts) and the sizes."""

    customers: int
    partitions: int
    fill_s: float
    payload_bytes: int
    changelog_bytes: int | None  # its log segments on the broker's disk; None where its data directory is unknown
    rocksdb_bytes: int  # the worker's table directory after the clean stop
    cold_s: float
    cold_read_s: float
    cold_rebuild_s: float
    clean_s: float
    clean_rebuild_s: float
    rss_ready_bytes: int | None  # the cold-started worker's, once ready
    load_cold: tuple[float, float, float]  # load averages (1, 5, 15 min) before each start
    load_clean: tuple[float, float, float]


Fit = tuple[float, float]  # (a seconds, b seconds per customer)


def fit(points: list[tuple[int, float]]) -> Fit:
    """Least squares line through (customers, seconds): intercept a and slope b."""
    slope, intercept = statistics.linear_regression([n for n, _ in points], [s for _, s in points])
    return intercept, slope


def restart_points(figures: dict[str, Any]) -> dict[str, list[tuple[int, float]]]:
    """(customers, seconds) of each N in a ``benchmarks.restart --out`` file's figures (or a bench run's), for the
    cold starts and for the restarts after a clean stop."""
    return {
        "cold_start_points": [(run["customers"], run["cold_s"]) for run in figures["runs"]],
        "clean_restart_points": [(run["customers"], run["clean_s"]) for run in figures["runs"]],
    }


def restart_pool(seed: int, customers: int = POOL_CUSTOMERS, days: int = POOL_DAYS) -> list[CustomerState]:
    """The states every N is filled with (copied under new ids): those a simulated shop's reference run ends with,
    a year long by default, so the states are as big as a year's history makes them."""
    return list(Workload.simulate(seed, customers, days, DEFAULT_START, Policy()).states.values())


def directory_bytes(path: Path) -> int:
    """The size of every file under ``path`` (0 where it does not exist)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _phases(log: str) -> tuple[float, float]:
    """Seconds reading the changelogs and rebuilding the timer index, from one start's lines of a worker log."""
    at = {what: datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp, what in _MARK.findall(log)}
    recovered = at[_RECOVERED]
    return (recovered - at.get(_READING, recovered)).total_seconds(), (at[_REBUILT] - recovered).total_seconds()


def start_until_ready(target: Target, timeout: float) -> Started:
    """Start a worker with the target's settings and wait for ``/readyz``."""
    log = target.log("worker")
    offset = log.stat().st_size if log.exists() else 0  # the log is appended to by every start
    launched = time.monotonic()
    child = spawn(["-m", "streams", "worker"], target.env, log)
    try:
        ready_at = wait_ready(target.settings.web_port, child, log, timeout)
    except BaseException:
        stop(child)
        raise
    with log.open("rb") as lines:
        lines.seek(offset)
        read_s, rebuild_s = _phases(lines.read().decode(errors="replace"))
    return Started(ready_at - launched, read_s, rebuild_s, child)


def stop_cleanly(child: subprocess.Popen[bytes], target: Target) -> None:
    """SIGTERM, then check the worker kept its local tables (exit 0 and the clean-stop marker)."""
    stop(child, timeout=_STOP_TIMEOUT)
    marker = Path(create_app(target.settings).conf.tabledir) / CLEAN_STOP
    if child.returncode != 0 or not marker.exists():
        raise RuntimeError(f"the worker did not stop cleanly (exit {child.returncode}): {target.log('worker')}")


def _changelog_on_disk(stack: Stack, target: Target) -> int | None:
    if not isinstance(stack.broker, ApacheKafka) or stack.broker.run_dir is None:
        return None
    name = changelog_name(target.settings)
    return sum(f.stat().st_size for f in (stack.broker.run_dir / "data").glob(f"{name}-*/*.log"))


def measure_restarts(
    stack: Stack, pool: list[CustomerState], customers: int, partitions: int, timeout: float = 1800.0
) -> Restarts:
    """Fill a fresh changelog with ``customers`` states, start a worker cold, stop it cleanly, start it again."""
    target = stack.target(f"restart-{customers}", partitions, "event", store="rocksdb://", log_format="text")
    filled: Filled = fill_changelog(target.settings, pool, customers)
    load_cold = load_average()
    cold = start_until_ready(target, timeout)
    rss = rss_bytes(cold.child.pid)
    stop_cleanly(cold.child, target)
    rocksdb = directory_bytes(Path(create_app(target.settings).conf.tabledir))
    load_clean = load_average()
    clean = start_until_ready(target, timeout)
    stop_cleanly(clean.child, target)
    return Restarts(
        customers=customers,
        partitions=partitions,
        fill_s=filled.seconds,
        payload_bytes=filled.payload_bytes,
        changelog_bytes=_changelog_on_disk(stack, target),
        rocksdb_bytes=rocksdb,
        cold_s=cold.seconds,
        cold_read_s=cold.read_s,
        cold_rebuild_s=cold.rebuild_s,
        clean_s=clean.seconds,
        clean_rebuild_s=clean.rebuild_s,
        rss_ready_bytes=rss,
        load_cold=load_cold,
        load_clean=load_clean,
    )
