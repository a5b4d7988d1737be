"""`make demo` end to end: its own embedded stack, the worker's triggers and contact decisions checked, the
outcome table printed, the report written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.helpers import check_demo_output

pytestmark = pytest.mark.integration


def test_the_demo_matches_the_pure_core_and_writes_the_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMEBACK_")}
    done = subprocess.run(
        [sys.executable, "-m", "streams", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = check_demo_output(done.stdout)
    assert {"sent", "deferred", "capped", "suppressed"} <= {o for o, n in table["total"].items() if n}
    figures = json.loads((tmp_path / "comeback-report" / "report.json").read_text())
    assert figures["totals"]["triggers"] > 0
    assert "<svg" in (tmp_path / "comeback-report" / "report.html").read_text()
