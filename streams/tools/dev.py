"""``comeback dev`` and ``comeback demo``: the embedded stack (broker, redis-server, worker) on 127.0.0.1.

dev runs until Ctrl-C on the wall clock. demo runs in event time: it feeds the built-in sample, prints
each trigger the worker publishes, checks them against the reference run of the pure core, and stops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streams.adapters.kafka_admin import create_topics
from streams.config import Settings
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis, die_with_parent, free_port

__all__ = ["run_dev"]


def _stack_env(broker: EmbeddedBroker, redis_server: EmbeddedRedis, run_dir: Path, clock: str) -> dict[str, str]:
    """Settings for the embedded broker's quirks (shared/embedded-broker.md); the caller's env may override."""
    defaults = {
        "COMEBACK_STORE": "memory://",
        "COMEBACK_PRODUCER_MAX_BATCH_SIZE": "1",
        "COMEBACK_SESSION_TIMEOUT_SECONDS": "10",
        "COMEBACK_HEARTBEAT_INTERVAL_SECONDS": "1",
        "COMEBACK_DATA_DIR": str(run_dir / "data"),
        "COMEBACK_WEB_PORT": str(free_port()),
    }
    fixed = {
        "COMEBACK_KAFKA_BOOTSTRAP": broker.bootstrap,
        "COMEBACK_REDIS_URL": redis_server.url,
        "COMEBACK_CLOCK": clock,
    }
    return defaults | {k: v for k, v in os.environ.items() if k.startswith("COMEBACK_")} | fixed


@contextmanager
def worker_process(env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A ``comeback worker`` child that is stopped (SIGTERM, then SIGKILL) when the block ends."""
    with log_file.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "streams", "worker"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        try:
            yield child
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def embedded_stack(clock: str) -> Iterator[tuple[Settings, Path]]:
    """Broker, redis-server, topics and one worker; everything stops when the block ends."""
    with (
        tempfile.TemporaryDirectory(prefix="comeback-dev-") as tmp,
        EmbeddedBroker() as broker,
        EmbeddedRedis(data_dir=Path(tmp) / "redis") as redis_server,
    ):
        run_dir = Path(tmp)
        env = _stack_env(broker, redis_server, run_dir, clock)
        os.environ.update(env)
        settings = Settings()
        create_topics(settings)
        print(
            f"broker  {broker.bootstrap}\nredis   {redis_server.url}\nworker  log {run_dir / 'worker.log'}", flush=True
        )
        with worker_process(env, run_dir / "worker.log"):
            yield settings, run_dir


def run_dev(*, demo: bool) -> int:
    if demo:
        from streams.tools.demo import run_demo

        with embedded_stack("event") as (settings, run_dir):
            status = run_demo(settings)
            if status:
                tail = (run_dir / "worker.log").read_text(errors="replace").splitlines()[-60:]
                print("the worker's log ends with:", *tail, sep="\n", file=sys.stderr)
            return status
    with embedded_stack("wall"):
        try:
            print("embedded stack running; Ctrl-C stops it", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
    return 0
