"""A real single-node Apache Kafka 3.9.1 (KRaft, combined broker and controller) as a child process.

For tests and ``comeback dev/demo --broker kafka``; no Docker and no Kafka tarball needed, only ``java``
and, once, ``mvn``. The broker's JARs come from Maven Central: ``kafka/pom.xml`` (next to this module)
lists ``kafka_2.13`` and an SLF4J binding, and ``mvn dependency:copy-dependencies`` copies them into a
cache folder outside the repo (``~/.cache/comeback/kafka-3.9.1/``, or ``$COMEBACK_KAFKA_JARS``). The
folder appears complete or not at all, with a marker file in it, so later runs start offline.

``ApacheKafka`` has the API of ``EmbeddedBroker`` (``bootstrap``, ``start``/``stop``, ``with``,
``settings_overrides()``) and the same guarantees: 127.0.0.1 only, a temporary run dir with the data
and ``kafka.log``, and a child that never outlives this process (SIGTERM then SIGKILL, an ``atexit``
hook, ``PR_SET_PDEATHSIG`` on Linux; see streams/tools/embedded.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from streams.tools.embedded import HOST, ChildServer, EmbeddedServerError, die_with_parent, free_port, probe_admin

__all__ = [
    "KAFKA_VERSION",
    "ApacheKafka",
    "KafkaUnavailable",
    "ScramListener",
    "fetch_jars",
    "jar_dir",
    "jars_ready",
    "kafka_available",
]

KAFKA_VERSION = "3.9.1"
JARS_ENV = "COMEBACK_KAFKA_JARS"
_RESOURCES = Path(__file__).resolve().parent / "kafka"
_MARKER = ".comeback-complete"  # written inside the folder before it is moved into place
_FETCH_TIMEOUT = 900.0
_SHORT_LIVED_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")  # a one-shot tool starts in half the time


class KafkaUnavailable(RuntimeError):
    """java or mvn is missing, or the JARs cannot be fetched."""


def _java() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(candidate := Path(java_home) / "bin" / "java", os.X_OK):
        return str(candidate)
    return shutil.which("java")


def jar_dir() -> Path:
    """Where the JARs are cached: ``$COMEBACK_KAFKA_JARS``, else ``~/.cache/comeback/kafka-3.9.1``."""
    if configured := os.environ.get(JARS_ENV):
        return Path(configured).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "comeback" / f"kafka-{KAFKA_VERSION}"


def jars_ready(directory: Path | None = None) -> bool:
    """True when a complete fetch is in ``directory`` (default: ``jar_dir()``)."""
    return ((directory or jar_dir()) / _MARKER).is_file()


def kafka_available() -> str | None:
    """None when an Apache Kafka broker can be started here, else the reason it cannot.

    ``java`` must be on PATH (or in ``$JAVA_HOME``); so must ``mvn`` unless the JARs are cached already.
    """
    missing = [tool for tool, found in (("java", _java()), ("mvn", jars_ready() or shutil.which("mvn"))) if not found]
    if missing:
        return f"Apache Kafka needs {' and '.join(missing)} on PATH (OpenJDK 17 and Maven 3.8 are known to work)"
    return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a lock file): one fetch at a time per cache folder."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch_jars(directory: Path | None = None, *, timeout: float = _FETCH_TIMEOUT) -> Path:
    """The folder of the broker's JARs, fetched with Maven the first time (KafkaUnavailable on failure)."""
    directory = directory or jar_dir()
    if jars_ready(directory):
        return directory
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaUnavailable(f"mvn is not on PATH and {directory} holds no complete fetch of the Kafka JARs")
    directory.parent.mkdir(parents=True, exist_ok=True)
    with _locked(directory.parent / f".{directory.name}.lock"):
        if jars_ready(directory):  # another process fetched them while this one waited
            return directory
        if directory.exists():
            if any(directory.iterdir()):
                raise KafkaUnavailable(f"{directory} exists but holds no complete fetch ({_MARKER}); remove it")
            directory.rmdir()
        print(f"comeback: fetching Apache Kafka {KAFKA_VERSION} with Maven into {directory} (once)", file=sys.stderr)
        with tempfile.TemporaryDirectory(dir=directory.parent, prefix=f".{directory.name}-") as tmp:
            work = Path(tmp)
            shutil.copy(_RESOURCES / "pom.xml", work / "pom.xml")
            jars = work / "jars"
            command = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(work / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-Dkafka.version={KAFKA_VERSION}",
                f"-DoutputDirectory={jars}",
            ]
            try:
                done = subprocess.run(
                    command, cwd=work, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired as exc:
                raise KafkaUnavailable(f"mvn did not fetch the Kafka JARs within {timeout:.0f}s") from exc
            if done.returncode != 0 or not (jars / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
                output = (done.stdout + done.stderr)[-3_000:]
                raise KafkaUnavailable(f"mvn could not fetch the Kafka JARs (exit {done.returncode}):\n{output}")
            (jars / _MARKER).write_text(f"kafka_2.13 {KAFKA_VERSION}\n", encoding="utf-8")
            os.replace(jars, directory)
    return directory


@dataclass(frozen=True)
class ScramListener:
    """A second, locked listener: SASL_SSL with one SCRAM-SHA-512 user, as a shop's cluster would have.

    ``keystore`` is a PEM file with the broker's unencrypted PKCS#8 key and its certificate chain (for
    127.0.0.1). The plain listener stays, on loopback, for the broker itself and the readiness probe.
    """

    username: str
    password: str
    keystore: Path
    port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"


class ApacheKafka(ChildServer):
    """Apache Kafka 3.9.1 in KRaft mode, one node as broker and controller; its data dies with it."""

    name = "kafka"

    def __init__(
        self,
        port: int | None = None,
        *,
        controller_port: int | None = None,
        run_dir: Path | None = None,
        jars: Path | None = None,
        heap: str = "512m",
        startup_timeout: float = 90.0,
        scram: ScramListener | None = None,
    ) -> None:
        super().__init__(port, run_dir, startup_timeout)
        self.controller_port = controller_port or free_port()
        self.jars = jars
        self.heap = heap
        self.scram = scram

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def settings_overrides(self) -> dict[str, object]:
        """COMEBACK_* settings (by field name) this broker needs: none of the embedded broker's workarounds.

        Batches of any size keep end offsets exact, so the SDK batches and Faust keeps its 16 KiB batches;
        idempotent producers work. Faust's default 60 s session timeout stays: a worker stopped with
        SIGTERM leaves its group at once, and a new group joins without delay
        (``group.initial.rebalance.delay.ms=0``).
        """
        return {"producer_ack_each": False, "producer_idempotence": True}

    def _classpath(self) -> str:
        assert self.jars is not None
        return f"{self.jars}/*"

    def _java_command(self, main: str, *args: str, heap: str = "256m", jvm: tuple[str, ...] = ()) -> list[str]:
        java = _java()
        if java is None:
            raise KafkaUnavailable("java is not on PATH (or in $JAVA_HOME)")
        return [
            java,
            f"-Xmx{heap}",
            *jvm,
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{_RESOURCES / 'log4j.properties'}",
            "-cp",
            self._classpath(),
            main,
            *args,
        ]

    def _command(self) -> list[str]:
        return self._java_command("kafka.Kafka", str(self._properties()), heap=self.heap)

    def _properties(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir / "server.properties"

    def _write_properties(self, run_dir: Path) -> None:
        broker, controller = f"{HOST}:{self.port}", f"{HOST}:{self.controller_port}"
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{controller}",
            "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{broker}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(run_dir / "data"),
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        if (scram := self.scram) is not None:
            settings["listeners"] += f",SCRAM://{scram.bootstrap}"
            settings["advertised.listeners"] += f",SCRAM://{scram.bootstrap}"
            settings["listener.security.protocol.map"] += ",SCRAM:SASL_SSL"
            settings |= {
                "listener.name.scram.sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "listener.name.scram.scram-sha-512.sasl.jaas.config": (
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;"
                ),
                "listener.name.scram.ssl.keystore.type": "PEM",
                "listener.name.scram.ssl.keystore.location": str(scram.keystore),
            }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (run_dir / "server.properties").write_text(text, encoding="utf-8")

    def _storage_tool(self, *args: str) -> str:
        """Run ``kafka.tools.StorageTool`` (its output goes to the log too); its stdout."""
        assert self.run_dir is not None
        command = self._java_command("kafka.tools.StorageTool", *args, jvm=_SHORT_LIVED_JVM)
        try:
            done = subprocess.run(
                command,
                cwd=self.run_dir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.startup_timeout,
                preexec_fn=die_with_parent(),
            )
        except subprocess.TimeoutExpired as exc:
            raise EmbeddedServerError(f"kafka StorageTool {args[0]} did not finish in {self.startup_timeout}s") from exc
        with (self.run_dir / f"{self.name}.log").open("a", encoding="utf-8") as log:
            shown = " ".join(args) if self.scram is None else " ".join(args).replace(self.scram.password, "****")
            log.write(f"$ StorageTool {shown}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            output = (done.stdout + done.stderr)[-3_000:]
            raise EmbeddedServerError(f"kafka StorageTool {args[0]} failed with code {done.returncode}:\n{output}")
        return done.stdout

    def _launch(self, run_dir: Path) -> None:
        self.jars = fetch_jars(self.jars)
        run_dir.mkdir(parents=True, exist_ok=True)
        self._write_properties(run_dir)
        if not (run_dir / "data" / "meta.properties").is_file():  # a restart on its own run_dir keeps its data
            cluster_id = self._storage_tool("random-uuid").strip().splitlines()[-1]
            scram = self.scram
            users = (
                ()
                if scram is None
                else ("--add-scram", f"SCRAM-SHA-512=[name={scram.username},password={scram.password}]")
            )
            self._storage_tool("format", "-t", cluster_id, "-c", str(self._properties()), *users)
        super()._launch(run_dir)

    def _probe(self) -> None:
        with probe_admin(self.bootstrap, self.port, "comeback-kafka-probe") as admin:
            if not admin.describe_cluster()["brokers"]:  # answers, but not yet registered and unfenced
                raise EmbeddedServerError("the broker answers metadata but lists no broker yet")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (a controlled shutdown), SIGKILL after ``timeout`` seconds; remove the run dir if ours."""
        super().stop(timeout)


def main(argv: list[str] | None = None) -> int:
    """``python -m streams.tools.kafka_broker [--fetch | --note-skip]``: can Apache Kafka run here?

    Without options: one line saying so (exit 0) or why not (exit 1). ``--fetch`` fetches the JARs now
    (e.g. to warm a CI cache). ``--note-skip`` (for ``make test``) prints a note only when the tests
    skip the Apache Kafka half, and always exits 0.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m streams.tools.kafka_broker", description=main.__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fetch", action="store_true", help="fetch the broker's JARs with Maven now")
    group.add_argument("--note-skip", action="store_true", help="say so if the tests skip the Apache Kafka half")
    args = parser.parse_args(argv)
    reason = kafka_available()
    if args.note_skip:
        if reason and os.environ.get("COMEBACK_REQUIRE_KAFKA") != "1":
            print(f"\nNOTE: the Apache Kafka half of the integration tests was SKIPPED: {reason}.\n", file=sys.stderr)
        return 0
    if reason:
        print(f"Apache Kafka {KAFKA_VERSION}: unavailable: {reason}", file=sys.stderr)
        return 1
    if args.fetch:
        fetch_jars()
    state = "cached" if jars_ready() else "fetched with Maven on first use"
    print(f"Apache Kafka {KAFKA_VERSION}: available; JARs {state} in {jar_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
