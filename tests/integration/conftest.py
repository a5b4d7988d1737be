"""Fixtures that run real ``comeback worker`` processes against the embedded broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import Workers


@pytest.fixture
def workers(comeback_env: Callable[..., dict[str, str]], tmp_path: Path) -> Iterator[Workers]:
    """Start ``comeback worker`` processes; all are stopped when the test ends (their logs are printed,
    which pytest shows only for a failed test)."""
    pool = Workers(comeback_env, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        pool.print_logs()
