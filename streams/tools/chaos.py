"""``comeback chaos``: kill -9 workers at random moments of an event-time replay and count what came out.

A simulated shop is replayed through a local broker (embedded or Apache Kafka) and one or two workers,
while a worker is killed with SIGKILL and started again (same data directory) every few seconds. Then
the triggers and decision records on their topics and the final customer states in the table's changelog
are compared with the reference run of the pure core: lost (expected, never came), extra (an id the
reference never makes), repeated (the same id more than once, which consumers drop), states that differ,
and how long each restarted worker took to be ready again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Literal, get_args

from kafka import KafkaConsumer

from schemas.decisions import ContactDecision
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters import table_codec
from streams.adapters.kafka_admin import create_topics
from streams.adapters.kafka_clients import consumer
from streams.config import Settings, shop_policy
from streams.domain.customer.state import CustomerState
from streams.engine.reference import checkpoints
from streams.sdk.producer import EventProducer
from streams.tools.dev import BROKERS, local_broker, ready, settings_env, spawn, stack_env, stop
from streams.tools.embedded import EmbeddedRedis, free_port
from streams.tools.kafka_broker import kafka_available
from streams.tools.logs import worker_warnings
from streams.tools.simulator import simulate_shop

__all__ = ["ChaosResult", "run_chaos"]

Store = Literal["memory", "rocksdb"]
_START = datetime(2026, 1, 1, 9, 0)
_SESSION_SECONDS = 10
"""Group session of the chaos workers: a killed member's partitions move after this long (Faust's 60 s default
would make each kill a minute's stall)."""


@dataclass
class ChaosResult:
    broker: str
    workers: int
    store: str
    kills: int
    events: int
    expected_triggers: int
    received_triggers: int
    lost: list[str]  # id, type, customer and due time of each
    extra: list[str]
    repeated: int
    expected_decisions: int
    lost_decisions: int
    extra_decisions: int
    states_differing: list[str]
    recovery_seconds: list[float] = field(default_factory=list)
    elapsed_seconds: float = 0
    worker_warnings: list[str] = field(default_factory=list)  # the workers' warnings and errors, counted

    @property
    def passed(self) -> bool:
        return not (self.lost or self.extra or self.lost_decisions or self.extra_decisions or self.states_differing)

    def table(self) -> str:
        recovery = self.recovery_seconds
        spread = f"{min(recovery):.1f} / {median(recovery):.1f} / {max(recovery):.1f} s" if recovery else "-"
        rows = [
            ("broker, workers, store", f"{self.broker}, {self.workers}, {self.store}"),
            ("kills (SIGKILL)", str(self.kills)),
            ("events replayed", str(self.events)),
            ("triggers expected / received", f"{self.expected_triggers} / {self.received_triggers}"),
            ("lost triggers", str(len(self.lost))),
            ("extra trigger ids", str(len(self.extra))),
            ("repeated deliveries", str(self.repeated)),
            ("decision records lost / extra", f"{self.lost_decisions} / {self.extra_decisions}"),
            ("final states differing", str(len(self.states_differing))),
            ("ready again after restart (min / median / max)", spread),
            ("elapsed", f"{self.elapsed_seconds:.0f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        details = [f"  {line}" for line in (*self.lost, *self.extra, *self.states_differing)][:20]
        if not self.passed:
            details += ["workers' warnings and errors (count, worker log, message):", *self.worker_warnings[:30]]
        return "\n".join([*(f"{name:<{width}}  {value}" for name, value in rows), *details])


class _Worker:
    """One worker process that can be killed and started again with the same environment."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.env, self.log_file = env, log_file
        self.web_port = int(env["COMEBACK_WEB_PORT"])
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.child = spawn(["-m", "streams", "worker"], self.env, self.log_file)

    def kill(self) -> None:
        if self.child is not None:
            self.child.send_signal(signal.SIGKILL)
            self.child.wait()

    def stop(self) -> None:
        if self.child is not None:
            stop(self.child)

    def ready(self) -> bool:
        return ready(self.web_port)


class _Tally:
    """Everything read from an output topic so far, in a background thread."""

    def __init__(self, reader: KafkaConsumer, key: Callable[[bytes], str]) -> None:
        self._reader, self._key = reader, key
        self.seen: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for records in self._reader.poll(timeout_ms=300).values():
                for record in records:
                    self.seen[self._key(record.value)] += 1
        self._reader.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextmanager
def _workers(count: int, base_env: dict[str, str], store: Store, run_dir: Path) -> Iterator[list[_Worker]]:
    workers = []
    for index in range(count):
        data_dir = run_dir / f"worker-{index}"
        env = base_env | settings_env(
            {
                "store": "rocksdb://" if store == "rocksdb" else "memory://",
                "data_dir": data_dir,
                "web_port": free_port(),
                "session_timeout_seconds": _SESSION_SECONDS,
                "heartbeat_interval_seconds": 1,
            }
        )
        workers.append(_Worker(env, run_dir / f"worker-{index}.log"))
    for worker in workers:
        worker.start()
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def _wait(probe: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _latest_states(settings: Settings, timeout: float, wanted: dict[str, CustomerState]) -> dict[str, CustomerState]:
    """The last state per customer in the table's changelog, read until it equals ``wanted`` or the timeout."""
    reader = consumer(settings, f"{settings.app_id}-customer_to_state-changelog", auto_offset_reset="earliest")
    states: dict[str, CustomerState] = {}
    deadline = time.monotonic() + timeout
    try:
        target = _comparable(wanted)
        while time.monotonic() < deadline and _comparable(states) != target:
            for records in reader.poll(timeout_ms=500).values():
                for record in records:
                    if record.value not in (None, b"null"):
                        state = table_codec.decode(CustomerState, record.value)
                        states[state.customer_id] = state  # the latest per customer wins
    finally:
        reader.close()
    return states


def _comparable(states: Mapping[str, CustomerState]) -> dict[str, CustomerState]:
    """States as compared: without the revision counter. A product alert reaches an event-time worker after the
    customer's own later events (it crosses the catalog), so the counter moves differently; every fact is the
    same (the remembered triggers too: they are kept in due-time order)."""
    return {c: s.model_copy(update={"revision": 0}) for c, s in states.items()}


def _differences(got: CustomerState | None, wanted: CustomerState | None) -> str:
    """The state fields that differ, the worker's value first (or which side is missing)."""
    if got is None or wanted is None:
        return "missing in the worker" if got is None else "not in the reference run"
    fields = [name for name in CustomerState.model_fields if getattr(got, name) != getattr(wanted, name)]
    return "; ".join(f"{name}: {_short(getattr(got, name))} != {_short(getattr(wanted, name))}" for name in fields)


def _described(trigger: Trigger) -> str:
    return f"{trigger.trigger_id} {trigger.type} of {trigger.customer_id} due {trigger.due_at.isoformat()}"


def _short(value: object, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 3]}..."


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """``env`` in this process's environment for the block (Settings reads it as a worker does)."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_chaos(
    env: dict[str, str],
    run_dir: Path,
    *,
    broker: str,
    workers: int = 2,
    kills: int = 10,
    store: Store = "memory",
    seed: int = 1,
    customers: int = 100,
    days: int = 120,
    between: tuple[float, float] = (3.0, 8.0),
    timeout: float = 600.0,
) -> ChaosResult:
    """Replay a simulated shop through ``workers`` event-time workers started with ``env`` (COMEBACK_*: the
    broker, Redis, topic prefix), with ``kills`` SIGKILLs of a random worker ``between`` seconds apart
    (random, from ``seed``), then wait (up to ``timeout`` in all, at least 30 s more for the states) for
    the outputs and states of the reference run."""
    started = time.monotonic()
    events = list(simulate_shop(seed=seed, customers=customers, days=days, start=_START))
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    rng = random.Random(seed)
    env = env | settings_env({"clock": "event"})
    with _environment(env):
        settings = Settings()
    policy = shop_policy(settings)
    (end,) = deque(checkpoints(events, policy, until), maxlen=1)
    expected = {t.trigger_id: t for t in end.triggers}
    expected_decisions = {d.decision_id for d in end.decisions}
    create_topics(settings)
    triggers = _Tally(
        consumer(settings, settings.topic_name(by_role("triggers")), auto_offset_reset="earliest"),
        lambda v: Trigger.model_validate_json(v).trigger_id,
    )
    decisions = _Tally(
        consumer(settings, settings.topic_name(by_role("decisions")), auto_offset_reset="earliest"),
        lambda v: ContactDecision.model_validate_json(v).decision_id,
    )
    recovery: list[float] = []
    try:
        with _workers(workers, env, store, run_dir) as running:
            _wait(lambda: all(w.ready() for w in running), 120)
            producer_done = threading.Event()

            def produce() -> None:
                with EventProducer(settings) as producer:
                    producer.send_in_time_order(events)
                    producer.advance_watermark(until)
                producer_done.set()

            threading.Thread(target=produce, daemon=True).start()
            for _ in range(kills):
                time.sleep(rng.uniform(*between))
                victim = rng.choice(running)
                victim.kill()
                restarted = time.monotonic()
                victim.start()
                if _wait(victim.ready, 180):
                    recovery.append(round(time.monotonic() - restarted, 1))
            deadline = started + timeout
            _wait(
                lambda: producer_done.is_set() and expected.keys() <= triggers.seen.keys(), deadline - time.monotonic()
            )
            _wait(lambda: expected_decisions <= set(decisions.seen), max(0.0, deadline - time.monotonic()))
            states = _latest_states(settings, max(30.0, deadline - time.monotonic()), dict(end.customers))
            time.sleep(2)  # repeats published just before the end
    finally:
        triggers.close()
        decisions.close()
    got, wanted = _comparable(states), _comparable(end.customers)
    differing = sorted(
        f"{c}: {_differences(got.get(c), wanted.get(c))}" for c in set(got) | set(wanted) if got.get(c) != wanted.get(c)
    )
    return ChaosResult(
        broker=broker,
        workers=workers,
        store=store,
        kills=kills,
        events=len(events),
        expected_triggers=len(expected),
        received_triggers=len(set(triggers.seen)),
        lost=[_described(expected[t]) for t in sorted(expected.keys() - triggers.seen.keys())],
        extra=sorted(triggers.seen.keys() - expected.keys()),
        repeated=sum(n - 1 for n in triggers.seen.values()),
        expected_decisions=len(expected_decisions),
        lost_decisions=len(expected_decisions - set(decisions.seen)),
        extra_decisions=len(set(decisions.seen) - expected_decisions),
        states_differing=differing,
        recovery_seconds=recovery,
        elapsed_seconds=round(time.monotonic() - started, 1),
        worker_warnings=worker_warnings(sorted(run_dir.glob("worker-*.log"))),
    )


def write_result(result: ChaosResult, path: Path) -> None:
    path.write_text(json.dumps(asdict(result) | {"passed": result.passed}, indent=2) + "\n", encoding="utf-8")


@contextmanager
def _run_dir(keep: Path | None) -> Iterator[str]:
    """``keep`` (created) when given, else a temporary directory removed afterwards."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="comeback-chaos-") as tmp:
            yield tmp
    else:
        keep.mkdir(parents=True, exist_ok=True)
        yield str(keep)


def main(argv: list[str] | None = None) -> int:
    """``comeback chaos``: print the figures, write them as JSON; 0 when nothing was lost or extra."""
    parser = argparse.ArgumentParser(prog="comeback chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=BROKERS, default="embedded")
    parser.add_argument("--workers", type=int, default=2, choices=(1, 2))
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--store", choices=get_args(Store), default="memory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run")
    parser.add_argument("--out", type=Path, default=Path("chaos.json"))
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it (worker logs, stores)")
    args = parser.parse_args(argv)
    if args.broker == "kafka" and (reason := kafka_available()):
        print(f"comeback chaos: {reason}", file=sys.stderr)
        return 2
    with (
        _run_dir(args.keep) as tmp,
        local_broker(args.broker) as broker,
        EmbeddedRedis(data_dir=Path(tmp) / "redis") as redis_server,
    ):
        result = run_chaos(
            stack_env(broker, redis_server, Path(tmp), "event"),
            Path(tmp),
            broker=args.broker,
            workers=args.workers,
            kills=args.kills,
            store=args.store,
            seed=args.seed,
            customers=args.customers,
            days=args.days,
            timeout=args.timeout,
        )
    print(result.table())
    write_result(result, args.out)
    print(f"figures: {args.out.resolve()}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
