"""`comeback dev`: the embedded broker, redis-server and a worker run until Ctrl-C, then all stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.integration


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


def test_ctrl_c_stops_the_dev_stack_and_leaves_nothing_listening() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMEBACK_")}
    dev = subprocess.Popen(
        [sys.executable, "-m", "streams", "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and dev.stdout is not None:
        lines.append(dev.stdout.readline())
        if "embedded stack running" in lines[-1]:
            break
    output = "".join(lines)
    broker = re.search(r"broker\s+(\S+)", output)
    redis_url = re.search(r"redis\s+redis://([^/\s]+)", output)
    assert broker and redis_url, output
    assert _listening(broker.group(1)) and _listening(redis_url.group(1))
    dev.send_signal(signal.SIGINT)
    assert dev.wait(timeout=60) == 0
    assert not _listening(broker.group(1)) and not _listening(redis_url.group(1))
