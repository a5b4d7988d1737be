"""A worker with RocksDB tables keeps them after SIGTERM and drops them after SIGKILL (``local_store``): the
chaos proof, with the store, needs a killed worker to recover from the changelogs, not from a local store
that may be ahead of them."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from streams.runtime.app import create_app
from streams.runtime.local_store import CLEAN_STOP
from streams.tools.dev import ready, spawn, stop
from tests.conftest import ComebackEnv
from tests.integration.helpers import eventually, settings_from

pytestmark = pytest.mark.integration

DROPPED = "did not stop cleanly"


def test_a_clean_stop_keeps_the_local_tables_and_a_kill_drops_them(comeback_env: ComebackEnv, tmp_path: Path) -> None:
    env = comeback_env(store="rocksdb://", session_timeout_seconds=6, heartbeat_interval_seconds=1)
    settings = settings_from(env)
    tabledir = Path(create_app(settings).conf.tabledir)
    log = tmp_path / "worker.log"

    def start_and_wait() -> subprocess.Popen[bytes]:
        child = spawn(["-m", "streams", "worker"], env, log)
        eventually(lambda: True if ready(settings.web_port) else None, timeout=120)
        return child

    first = start_and_wait()
    stop(first)
    assert first.returncode == 0, log.read_text(errors="replace")[-3000:]
    assert (tabledir / CLEAN_STOP).exists() and any(tabledir.glob("*.db"))

    second = start_and_wait()
    assert not (tabledir / CLEAN_STOP).exists()
    assert DROPPED not in log.read_text(errors="replace")
    stop(second, sig=signal.SIGKILL)

    third = start_and_wait()
    try:
        assert log.read_text(errors="replace").count(DROPPED) == 1
    finally:
        stop(third)
