"""The worker's local RocksDB tables after a stop that was not clean.

Faust writes a table change to the local RocksDB store at once, and to its changelog through the producer's
buffer; input offsets are committed only after that buffer is flushed. A worker killed in between leaves a local
store ahead of its changelog: the records since the last commit are read again but change nothing (their events
are seen, their answers no longer awaited), so their states never reach the changelog, and the next owner of the
partition recovers older ones (the chaos proof saw a customer still awaiting an answer it had applied). So after
a stop that was not clean the local tables are dropped and recovered from their changelogs, as the memory store
always does; after a clean stop (Faust flushed and committed everything, and the marker says so) they are kept.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import faust

__all__ = ["CLEAN_STOP", "mark_clean_stop", "open_local_store"]

log = logging.getLogger(__name__)
CLEAN_STOP = ".clean-stop"  # in the table directory, written after a clean stop and removed at start


def _tabledir(app: faust.App) -> Path | None:
    """The directory of the local RocksDB tables; None with the memory store (nothing local)."""
    return Path(app.conf.tabledir) if str(app.conf.store).startswith("rocksdb") else None


def open_local_store(app: faust.App) -> bool:
    """Before the worker starts: keep the local tables if the last stop was clean, else drop them. Returns whether
    they were dropped. Either way the marker goes: this run is not stopped yet."""
    tabledir = _tabledir(app)
    if tabledir is None or not tabledir.exists():
        return False
    marker = tabledir / CLEAN_STOP
    if marker.exists():
        marker.unlink()
        return False
    log.warning(
        "the last run did not stop cleanly: its local tables in %s may be ahead of their changelogs; "
        "dropping them, the tables are recovered from the changelogs",
        tabledir,
    )
    shutil.rmtree(tabledir)
    return True


def mark_clean_stop(app: faust.App) -> None:
    """After Faust stopped cleanly (changelogs flushed, offsets committed): the next start keeps the local tables."""
    tabledir = _tabledir(app)
    if tabledir is not None and tabledir.exists():
        (tabledir / CLEAN_STOP).touch()
