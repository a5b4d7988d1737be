"""How long a worker with N customers takes to be ready again, with the RocksDB store (``benchmarks/restart.py``).

The changelog is filled first (``streams.tools.bench.changelog``); then, from the process start to ``/readyz``:
a cold start (no local tables: the first start, and every start after a crash, which drops them) recovers the
whole changelog; a restart after a clean stop (SIGTERM: Faust flushes, commits and leaves the ``.clean-stop``
marker) keeps the local RocksDB tables. Both end with ``on_recover`` reading every state of the table back.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from streams.domain.customer.state import CustomerState
from streams.runtime.app import create_app
from streams.runtime.local_store import CLEAN_STOP
from streams.tools.bench.changelog import Filled, changelog_name, fill_changelog
from streams.tools.bench.host import load_average, rss_bytes
from streams.tools.bench.kafka_side import wait_ready
from streams.tools.bench.throughput import Stack, Target
from streams.tools.dev import spawn, stop
from streams.tools.kafka_broker import ApacheKafka

__all__ = ["Restarts", "directory_bytes", "measure_restarts", "start_until_ready", "stop_cleanly"]

_STOP_TIMEOUT = 300.0  # a clean stop of a worker holding many customers may take a while; SIGKILL would drop them


@dataclass(frozen=True)
class Restarts:
    """One N: the fill, both starts (seconds from process start to ready) and the sizes."""

    customers: int
    partitions: int
    fill_s: float
    payload_bytes: int
    changelog_bytes: int | None  # its log segments on the broker's disk; None where its data directory is unknown
    rocksdb_bytes: int  # the worker's table directory after the clean stop
    cold_s: float
    clean_s: float
    rss_ready_bytes: int | None  # the cold-started worker's, once ready
    load_cold: tuple[float, float, float]  # load averages (1, 5, 15 min) before each start
    load_clean: tuple[float, float, float]


def directory_bytes(path: Path) -> int:
    """The size of every file under ``path`` (0 where it does not exist)."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def start_until_ready(target: Target, timeout: float) -> tuple[float, subprocess.Popen[bytes]]:
    """Start a worker with the target's settings; seconds from its start to ``/readyz`` ready, and the process."""
    launched = time.monotonic()
    child = spawn(["-m", "streams", "worker"], target.env, target.log("worker"))
    try:
        ready_at = wait_ready(target.settings.web_port, child, target.log("worker"), timeout)
    except BaseException:
        stop(child)
        raise
    return ready_at - launched, child


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
    target = stack.target(f"restart-{customers}", partitions, "event", store="rocksdb://")
    filled: Filled = fill_changelog(target.settings, pool, customers)
    load_cold = load_average()
    cold_s, child = start_until_ready(target, timeout)
    rss = rss_bytes(child.pid)
    stop_cleanly(child, target)
    rocksdb = directory_bytes(Path(create_app(target.settings).conf.tabledir))
    load_clean = load_average()
    clean_s, child = start_until_ready(target, timeout)
    stop_cleanly(child, target)
    return Restarts(
        customers=customers,
        partitions=partitions,
        fill_s=filled.seconds,
        payload_bytes=filled.payload_bytes,
        changelog_bytes=_changelog_on_disk(stack, target),
        rocksdb_bytes=rocksdb,
        cold_s=cold_s,
        clean_s=clean_s,
        rss_ready_bytes=rss,
        load_cold=load_cold,
        load_clean=load_clean,
    )
