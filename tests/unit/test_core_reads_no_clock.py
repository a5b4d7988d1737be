"""The functional core (schemas, streams/domain, streams/rules, streams/engine) reads no clock.

Imports are checked by the import-linter contracts in pyproject.toml (``lint-imports``, run by
``make test``), which follow indirect imports too. What an import check cannot see is a call such as
``datetime.now()`` on a class the core may import, so this test checks calls on the syntax tree:
comments and docstrings that mention ``datetime.now()`` do not count, and
``from datetime import datetime as dt; dt.now()`` does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_DIRS = tuple(ROOT / d for d in ("schemas", "streams/domain", "streams/rules", "streams/engine"))
MODULES = sorted(p for d in CORE_DIRS for p in d.rglob("*.py"))

CLOCK_READS = {"now", "utcnow", "today"}  # datetime.now(), date.today(), under any alias
RANDOM_IDS = {"uuid1", "uuid4", "urandom"}
TIME_MODULE_READS = {"time", "time_ns", "monotonic", "perf_counter"}  # only as time.<name>()


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
    assert {"fold.py", "customer.py", "reference.py", "browse_followup.py", "events.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_core_module_reads_no_clock_and_makes_no_random_ids(path: Path) -> None:
    assert forbidden_calls(_tree(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "datetime.now(UTC)",
        "from datetime import datetime as dt\ndt.now()",
        "time.time()",
        "uuid.uuid4()",
        "uuid4()",
        "date.today()",
    ],
)
def test_the_call_check_catches_a_clock_or_random_call(source: str) -> None:
    assert forbidden_calls(ast.parse(source))


def test_the_checks_ignore_mentions_in_docstrings_and_comments_and_pure_time_values() -> None:
    source = '"""Never call datetime.now() or import random."""\n# time.time() is the shell\'s\nx = time(9, 30)\n'
    assert forbidden_calls(ast.parse(source)) == []
