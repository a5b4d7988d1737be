"""The functional core (streams/core, streams/rules) does no I/O and reads no clock or randomness.

Checked on the syntax tree, so comments and docstrings that mention ``datetime.now()`` do not count
and ``from datetime import datetime as dt; dt.now()`` does.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_DIRS = (ROOT / "streams" / "core", ROOT / "streams" / "rules")
MODULES = sorted(p for d in CORE_DIRS for p in d.rglob("*.py"))

FORBIDDEN_MODULES = {
    "faust", "aiokafka", "kafka", "redis", "logging", "random", "uuid", "secrets", "time", "asyncio", "socket",
    "subprocess", "os", "streams.clock", "streams.shell", "streams.app", "streams.intake",
}
CLOCK_READS = {"now", "utcnow", "today"}  # datetime.now(), date.today(), under any alias
RANDOM_IDS = {"uuid1", "uuid4", "urandom"}
TIME_MODULE_READS = {"time", "time_ns", "monotonic", "perf_counter"}  # only as time.<name>()
ALLOWED_ROOTS = {"schemas", "streams", "pydantic", "__future__"}


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def forbidden_imports(tree: ast.AST) -> set[str]:
    return {m for m in imported_modules(tree) if any(m == f or m.startswith(f"{f}.") for f in FORBIDDEN_MODULES)}


def forbidden_calls(tree: ast.AST) -> list[str]:
    """Calls such as ``datetime.now()``, ``time.time()`` or a bare ``uuid4()``, with their line numbers."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            on_time = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "time"
            if name in CLOCK_READS | RANDOM_IDS or (on_time and name in TIME_MODULE_READS):
                found.append(f"{ast.unparse(func)}() on line {node.lineno}")
    return found


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_there_is_a_core_to_check() -> None:
    names = {p.name for p in MODULES}
    assert {"fold.py", "engine.py", "browse_followup.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_core_module_imports_no_io_clock_or_randomness(path: Path) -> None:
    assert forbidden_imports(_tree(path)) == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_core_module_reads_no_clock_and_makes_no_random_ids(path: Path) -> None:
    assert forbidden_calls(_tree(path)) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_core_module_imports_only_the_standard_library_pydantic_and_the_project(path: Path) -> None:
    """Imports point inward: no third-party client library can reach the core."""
    roots = {m.split(".", 1)[0] for m in imported_modules(_tree(path))}
    assert roots - ALLOWED_ROOTS - set(sys.stdlib_module_names) == set()


@pytest.mark.parametrize("source", [
    "import redis", "from faust import App", "import logging", "from uuid import uuid4", "import random as r",
    "from streams.clock import WallClock", "from kafka.errors import KafkaError",
])
def test_the_import_check_catches_a_forbidden_import(source: str) -> None:
    assert forbidden_imports(ast.parse(source))


@pytest.mark.parametrize("source", [
    "datetime.now(UTC)", "from datetime import datetime as dt\ndt.now()", "time.time()", "uuid.uuid4()", "uuid4()",
    "date.today()",
])
def test_the_call_check_catches_a_clock_or_random_call(source: str) -> None:
    assert forbidden_calls(ast.parse(source))


def test_the_checks_ignore_mentions_in_docstrings_and_comments_and_pure_time_values() -> None:
    source = '"""Never call datetime.now() or import random."""\n# time.time() is the shell\'s\nx = time(9, 30)\n'
    assert (forbidden_imports(ast.parse(source)), forbidden_calls(ast.parse(source))) == (set(), [])
