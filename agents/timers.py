"""The tickers: wake customers whose timers are due and products whose held lookups or catalog events can
go (wall time or the event-time watermarks), announce the customers' progress (event time), and ask again
for cycle answers that never came."""

from streams.runtime.app import SETTINGS, app, customer_to_state, product_to_state
from streams.runtime.customers import (
    announce_progress,
    rebuild_timer_index,
    resend_unanswered_lookups,
    track_assigned,
    wake_due_customers,
)
from streams.runtime.products import rebuild_product_index, wake_waiting_products

customer_to_state.on_recover(rebuild_timer_index)
product_to_state.on_recover(rebuild_product_index)


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_due_customers_and_announce_progress() -> None:
    await wake_due_customers()
    if SETTINGS.clock == "event":
        await announce_progress()


@app.timer(interval=SETTINGS.timer_interval_seconds * 20)
async def ask_again_for_unanswered_cycles() -> None:
    await resend_unanswered_lookups()


@app.timer(interval=SETTINGS.timer_interval_seconds)
async def wake_products_with_held_messages() -> None:
    await wake_waiting_products()


@app.on_partitions_assigned.connect
async def follow_assigned_partitions(sender, assigned, **kwargs) -> None:  # type: ignore[no-untyped-def]
    track_assigned(assigned)
