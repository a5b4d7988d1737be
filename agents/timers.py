"""The ticker: wakes customers whose timers are due (wall time or the event-time watermark)."""

from streams.app import SETTINGS, app, customer_to_state
from streams.shell import rebuild_timer_index, track_assigned, wake_due_customers

customer_to_state.on_recover(rebuild_timer_index)


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_customers_with_due_timers() -> None:
    await wake_due_customers()


@app.on_partitions_assigned.connect
async def follow_assigned_partitions(sender, assigned, **kwargs) -> None:  # type: ignore[no-untyped-def]
    track_assigned(assigned)
