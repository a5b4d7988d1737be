"""Restarting a table recovery that stopped receiving its changelogs.

Under load, after a worker was killed, the worker taking over its partitions can start a table recovery that
never receives a changelog record: Faust logs "No event received for active tp ... since recovery start"
every few seconds, forever, and the worker never reads its inputs again (docs/reliability.md). Faust's own
way out of a recovery is a new one: the signal a rebalance sets, on which recovery seeks every changelog
partition again and reads from there. The watchdog sets that signal when a recovery with records still to
read has received none for ``stall_seconds``.

The recovery is Faust's ``app.tables.recovery``; this reads its private bookkeeping (faust-streaming 0.15).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def stalled_seconds(recovery: Any, now: float) -> float:
    """Seconds since the running recovery last received an active changelog record (or started), when it
    still has records to read; 0.0 when no recovery is running or it is done."""
    if not recovery.in_recovery or not recovery.need_recovery():
        return 0.0
    started = recovery._recovery_started_at
    last = max(recovery._active_events_received_at.values(), default=started)
    return 0.0 if last is None else max(0.0, now - last)


def restart_stalled_recovery(recovery: Any, now: float, stall_seconds: float) -> bool:
    """Start ``recovery`` again when it stalled for ``stall_seconds`` (``now``: ``time.monotonic()``);
    whether it did."""
    stalled = stalled_seconds(recovery, now)
    if stalled < stall_seconds:
        return False
    log.warning(
        "table recovery received no changelog record for %.0f s with %d to read: restarting it",
        stalled,
        sum(recovery.active_remaining().values()),
    )
    recovery._recovery_started_at = now  # the next check waits a whole period again
    recovery.signal_recovery_start.set()
    return True
