"""``--profile``: py-spy samples one worker during its end-to-end run; the functions it spent its time in."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from streams.tools.dev import stop

__all__ = ["finish", "py_spy", "record", "top_functions"]

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?):\d+\)$")


def py_spy() -> str | None:
    """The py-spy executable next to this Python or on PATH (``pip install py-spy``), if any."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Start ``py-spy record`` on ``pid`` (50 samples/s, not pausing it) into ``out``, collapsed stacks; None
    without py-spy."""
    executable = py_spy()
    if executable is None:
        return None
    command = [executable, "record", "--pid", str(pid), "--duration", str(max(int(seconds), 1)), "--rate", "50"]
    command += ["--nonblocking", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(spy: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop a recording early (SIGINT: py-spy then writes what it has) and wait for it."""
    stop(spy, timeout, signal.SIGINT)


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    if match is None:
        return frame
    where = match["file"].split("site-packages/")[-1].split("/work/main/")[-1]
    return f"{match['function']} ({where})"


def top_functions(raw: Path, count: int = 10) -> dict[str, Any]:
    """Share of the samples per function from py-spy's collapsed stacks: where the sample was (self) and anywhere
    on the stack (inclusive; the event loop and the entry point left out)."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += int(weight)
        own[frames[-1]] += int(weight)
        for name in set(frames):
            anywhere[name] += int(weight)
    skip = ("asyncio/", "runpy", "streams/__main__", "streams/tools/", "mode/worker", "threading.py", "mode/threads")

    def shares(counter: Counter[str], keep: int) -> list[dict[str, Any]]:
        kept = [(name, n) for name, n in counter.most_common() if not any(s in name for s in skip)]
        return [{"function": name, "share": n / samples} for name, n in kept[:keep]]

    return {"samples": samples, "self": shares(own, count), "inclusive": shares(anywhere, count)}
