"""The local RocksDB tables are kept after a clean stop and dropped after any other (a kill -9)."""

from __future__ import annotations

from pathlib import Path

import faust
import pytest

from streams.runtime.local_store import mark_clean_stop, open_local_store


def _app(tmp_path: Path, store: str = "rocksdb://") -> faust.App:
    return faust.App("local-store-test", store=store, datadir=str(tmp_path))


def _tables(app: faust.App) -> Path:
    tabledir = Path(app.conf.tabledir)
    (tabledir / "customer_to_state-0.db").mkdir(parents=True)
    return tabledir


def test_after_a_clean_stop_the_local_tables_are_kept_and_the_marker_goes(tmp_path: Path) -> None:
    app = _app(tmp_path)
    tabledir = _tables(app)
    mark_clean_stop(app)

    assert open_local_store(app) is False
    assert (tabledir / "customer_to_state-0.db").is_dir()
    assert list(tabledir.iterdir()) == [tabledir / "customer_to_state-0.db"]  # the next kill finds no marker


def test_after_a_stop_that_was_not_clean_the_local_tables_are_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(tmp_path)
    tabledir = _tables(app)

    assert open_local_store(app) is True
    assert not tabledir.exists()
    assert "did not stop cleanly" in caplog.text


@pytest.mark.parametrize("store", ["rocksdb://", "memory://"])
def test_a_first_start_and_the_memory_store_have_nothing_to_drop(tmp_path: Path, store: str) -> None:
    app = _app(tmp_path, store)
    assert open_local_store(app) is False
    mark_clean_stop(app)
    assert not Path(app.conf.tabledir).exists()
