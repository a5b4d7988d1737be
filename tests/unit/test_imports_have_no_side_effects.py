"""Importing any module of the project connects nothing, reads no settings and builds no client or app.

Every module under schemas/, streams/ and agents/ (but ``python -m streams``, the entry point) is imported
in a fresh interpreter with an empty environment, after the constructors that would do such things are
made to fail loudly: a socket connect, ``Settings()``, ``faust.App(...)`` and the Redis clients.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pkgutil, socket, sys

def refuse(what):
    def fail(*args, **kwargs):
        raise AssertionError(f"{what} at import time")
    return fail

socket.socket.connect = refuse("socket connect")
socket.create_connection = refuse("socket connect")
import faust, redis, redis.asyncio
import streams.config
faust.App.__init__ = refuse("faust.App()")
redis.Redis.__init__ = refuse("redis.Redis()")
redis.asyncio.Redis.__init__ = refuse("redis.asyncio.Redis()")
streams.config.Settings.__init__ = refuse("Settings()")

names = []
for root in ("schemas", "streams", "agents"):
    package = importlib.import_module(root)
    names.append(root)
    names += [m.name for m in pkgutil.walk_packages(package.__path__, root + ".") if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_module_imports_with_an_empty_environment_and_no_side_effects() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env={}, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 60  # every layer's modules were imported, not just the packages
