"""The tickers: wake customers whose timers are due and products whose lookups can be answered
(wall time or the event-time watermarks)."""

from streams.app import SETTINGS, app, customer_to_state, product_to_state
from streams.catalog_shell import rebuild_product_index, wake_waiting_products
from streams.shell import announce_progress, rebuild_timer_index, track_assigned, wake_due_customers

customer_to_state.on_recover(rebuild_timer_index)
product_to_state.on_recover(rebuild_product_index)


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_customers_with_due_timers() -> None:
    await wake_due_customers()
    if SETTINGS.clock == "event":
        await announce_progress()


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_products_with_answerable_lookups() -> None:
    await wake_waiting_products()


@app.on_partitions_assigned.connect
async def follow_assigned_partitions(sender, assigned, **kwargs) -> None:  # type: ignore[no-untyped-def]
    track_assigned(assigned)
