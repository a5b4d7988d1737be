"""The recovery watchdog restarts a table recovery only when it has records to read and received none for the
stall period."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from streams.runtime.recovery_watchdog import restart_stalled_recovery, stalled_seconds


@dataclass
class Recovery:
    """The part of Faust's ``Recovery`` the watchdog reads and sets."""

    remaining: dict[str, int]
    in_recovery: bool = True
    _recovery_started_at: float | None = 100.0
    _active_events_received_at: dict[str, float] = field(default_factory=dict)
    signal_recovery_start: asyncio.Event = field(default_factory=asyncio.Event)

    def active_remaining(self) -> dict[str, int]:
        return self.remaining

    def need_recovery(self) -> bool:
        return any(v > 0 for v in self.remaining.values())


def test_a_recovery_that_received_nothing_since_it_started_is_restarted_after_the_stall_period() -> None:
    recovery = Recovery({"changelog-0": 12})
    assert not restart_stalled_recovery(recovery, now=129.0, stall_seconds=30)
    assert not recovery.signal_recovery_start.is_set()
    assert restart_stalled_recovery(recovery, now=130.0, stall_seconds=30)
    assert recovery.signal_recovery_start.is_set()
    assert recovery._recovery_started_at == 130.0  # the next restart waits a whole period again
    assert stalled_seconds(recovery, 131.0) == 1.0


def test_the_stall_counts_from_the_last_changelog_record_of_any_partition() -> None:
    recovery = Recovery({"a": 3, "b": 0}, _active_events_received_at={"a": 140.0, "b": 120.0})
    assert stalled_seconds(recovery, 160.0) == 20.0
    assert not restart_stalled_recovery(recovery, now=160.0, stall_seconds=30)
    assert restart_stalled_recovery(recovery, now=170.0, stall_seconds=30)


def test_a_finished_recovery_or_none_at_all_is_left_alone() -> None:
    for recovery in (Recovery({"a": 0}), Recovery({"a": 5}, in_recovery=False)):
        assert stalled_seconds(recovery, 1_000.0) == 0.0
        assert not restart_stalled_recovery(recovery, now=1_000.0, stall_seconds=30)
        assert not recovery.signal_recovery_start.is_set()
