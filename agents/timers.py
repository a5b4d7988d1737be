"""The ticker: wakes customers whose timers are due (wall time or the event-time watermark)."""

from streams.app import SETTINGS, app, customer_to_state
from streams.shell import rebuild_timer_index, wake_due_customers

customer_to_state.on_recover(rebuild_timer_index)


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_customers_with_due_timers() -> None:
    await wake_due_customers()
