"""The AsyncAPI document written by ``comeback schema`` passes the official AsyncAPI parser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import TOPICS
from streams.tools.cli import main

pytestmark = pytest.mark.node

CHECK_DIR = Path(__file__).parent / "asyncapi_check"
ERROR = 0  # spectral severity: 0 error, 1 warning, 2 info, 3 hint


@pytest.fixture(scope="session")
def node() -> str:
    """Path to node, after installing the pinned parser into asyncapi_check/ on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed on PATH to run the AsyncAPI parser")
    if not (CHECK_DIR / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=CHECK_DIR,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return node


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("schema")
    assert main(["schema", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module", params=["asyncapi.json", "asyncapi.yaml"])
def report(request: pytest.FixtureRequest, node: str, out_dir: Path) -> dict[str, Any]:
    """What the parser says about one of the written documents."""
    done = subprocess.run(
        [node, "check.js", str(out_dir / request.param)],
        cwd=CHECK_DIR,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def test_the_parser_reports_no_errors(report: dict[str, Any]) -> None:
    errors = [d for d in report["diagnostics"] if d["severity"] == ERROR]
    assert errors == []
    assert report["valid"] is True


def test_the_parsed_document_lists_every_topic_as_a_channel(report: dict[str, Any]) -> None:
    assert sorted(report["channels"]) == sorted(spec.name for spec in TOPICS)


def test_the_engine_receives_every_input_topic_and_sends_every_output_topic(report: dict[str, Any]) -> None:
    expected = {
        f"{action}{spec.role.title().replace('_', '')}"
        for spec in TOPICS
        for action in {"in": ["receive"], "out": ["send"], "internal": ["receive", "send"]}[spec.direction]
    }
    assert set(report["operations"]) == expected
