"""``comeback dev`` and ``comeback demo``: a local stack (broker, redis-server, worker) on 127.0.0.1.

The broker is the embedded one (Tansu, the default) or a real Apache Kafka (``--broker kafka``: java and,
once, mvn; streams/tools/kafka_broker.py). dev runs until Ctrl-C on the wall clock. demo runs in event
time: it feeds the built-in sample, prints each trigger and contact decision the worker publishes, checks
them against the reference run of the pure core, prints how many triggers had each outcome, and stops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Literal, get_args

from streams.adapters.kafka_admin import create_topics
from streams.config import Settings
from streams.tools.embedded import EmbeddedBroker, EmbeddedRedis, die_with_parent, free_port
from streams.tools.kafka_broker import ApacheKafka, kafka_available

__all__ = [
    "BROKERS",
    "BrokerKind",
    "child_process",
    "local_broker",
    "local_stack",
    "run_dev",
    "settings_env",
    "spawn",
    "stack_env",
    "stop",
    "worker_process",
]

BrokerKind = Literal["embedded", "kafka"]
BROKERS: tuple[BrokerKind, ...] = get_args(BrokerKind)


def local_broker(kind: BrokerKind) -> EmbeddedBroker | ApacheKafka:
    """A broker of that kind on a free port of 127.0.0.1, not started yet."""
    return ApacheKafka() if kind == "kafka" else EmbeddedBroker()


def settings_env(overrides: dict[str, object]) -> dict[str, str]:
    """Settings given by field name, as the COMEBACK_* environment variables that set them."""
    return {f"COMEBACK_{name.upper()}": str(value) for name, value in overrides.items()}


def stack_env(
    broker: EmbeddedBroker | ApacheKafka, redis_server: EmbeddedRedis, run_dir: Path, clock: str
) -> dict[str, str]:
    """The broker's own settings (its quirks' workarounds) and the stack's; the caller's env may override."""
    defaults = settings_env(
        {"store": "memory://", "data_dir": run_dir / "data", "web_port": free_port()} | broker.settings_overrides()
    )
    fixed = {
        "COMEBACK_KAFKA_BOOTSTRAP": broker.bootstrap,
        "COMEBACK_REDIS_URL": redis_server.url,
        "COMEBACK_CLOCK": clock,
    }
    return defaults | {k: v for k, v in os.environ.items() if k.startswith("COMEBACK_")} | fixed


def spawn(argv: list[str], env: Mapping[str, str], log_file: Path) -> subprocess.Popen[bytes]:
    """``python ARGV...`` as a child in its own session with ``env`` added, writing to ``log_file`` (appended)."""
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, *argv],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )


def stop(child: subprocess.Popen[bytes], timeout: float = 20, sig: signal.Signals = signal.SIGTERM) -> None:
    """``sig`` (SIGTERM by default), then SIGKILL after ``timeout`` seconds."""
    if child.poll() is not None:
        return
    child.send_signal(sig)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@contextmanager
def child_process(argv: list[str], env: Mapping[str, str], log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``spawn`` for the block: stopped (SIGTERM, then SIGKILL) when it ends."""
    child = spawn(argv, env, log_file)
    try:
        yield child
    finally:
        stop(child)


def worker_process(env: Mapping[str, str], log_file: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A ``comeback worker`` child that is stopped (SIGTERM, then SIGKILL) when the block ends."""
    return child_process(["-m", "streams", "worker"], env, log_file)


def ready(web_port: int) -> bool:
    """Whether the worker on ``web_port`` answers /readyz with 200 (assigned and recovered)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:  # URLError and HTTPError (503 while not ready) are OSErrors
        return False


@contextmanager
def local_stack(clock: str, broker_kind: BrokerKind = "embedded") -> Iterator[tuple[Settings, Path]]:
    """Broker, redis-server, topics and one worker; everything stops when the block ends."""
    with (
        tempfile.TemporaryDirectory(prefix="comeback-dev-") as tmp,
        local_broker(broker_kind) as broker,
        EmbeddedRedis(data_dir=Path(tmp) / "redis") as redis_server,
    ):
        run_dir = Path(tmp)
        env = stack_env(broker, redis_server, run_dir, clock)
        os.environ.update(env)
        settings = Settings()
        create_topics(settings)
        print(
            f"broker  {broker.bootstrap} ({broker_kind})\nredis   {redis_server.url}\n"
            f"worker  log {run_dir / 'worker.log'}",
            flush=True,
        )
        with worker_process(env, run_dir / "worker.log"):
            yield settings, run_dir


def run_dev(*, demo: bool, broker: BrokerKind = "embedded") -> int:
    if broker == "kafka" and (reason := kafka_available()):
        print(f"comeback: {reason}", file=sys.stderr)
        return 2
    if demo:
        from streams.tools.demo import run_demo

        with local_stack("event", broker) as (settings, run_dir):
            status = run_demo(settings)
            if status:
                tail = (run_dir / "worker.log").read_text(errors="replace").splitlines()[-60:]
                print("the worker's log ends with:", *tail, sep="\n", file=sys.stderr)
            return status
    with local_stack("wall", broker):
        try:
            print(f"{broker} stack running; Ctrl-C stops it", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
    return 0
