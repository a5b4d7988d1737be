"""The tickers: wake customers whose timers are due and products whose held lookups or catalog events can
go (wall time or the event-time watermarks), announce the customers' progress (event time), ask again
for cycle answers that never came, and restart a table recovery that stalled."""

import logging
import time
from typing import Any

from streams.runtime.app import Runtime
from streams.runtime.recovery_watchdog import restart_stalled_recovery

log = logging.getLogger(__name__)


def register(runtime: Runtime) -> None:
    customers, products, interval = runtime.customers, runtime.products, runtime.settings.timer_interval_seconds
    runtime.customer_to_state.on_recover(customers.rebuild_timer_index)
    runtime.product_to_state.on_recover(products.rebuild_index)

    @runtime.app.timer(interval=interval, name="wake_due_customers_and_announce_progress")
    async def wake_due_customers_and_announce_progress() -> None:
        await customers.wake_due()
        if customers.event_time:
            await customers.announce_progress()

    @runtime.app.timer(interval=interval * 20, name="ask_again_for_unanswered_cycles")
    async def ask_again_for_unanswered_cycles() -> None:
        await customers.resend_unanswered_lookups()

    @runtime.app.timer(interval=interval, name="wake_products_with_held_messages")
    async def wake_products_with_held_messages() -> None:
        await products.wake_waiting()

    @runtime.app.timer(interval=5.0, name="restart_stalled_recovery", on_leader=False)
    async def restart_a_stalled_recovery() -> None:
        recovery = runtime.app.tables.recovery  # type: ignore[attr-defined]  # on TableManager, not its stub
        restart_stalled_recovery(recovery, time.monotonic(), runtime.settings.recovery_stall_seconds)

    @runtime.app.on_partitions_assigned.connect  # type: ignore[arg-type]  # Faust's stub wants a `signal` keyword
    async def follow_assigned_partitions(sender: Any, assigned: Any, **kwargs: Any) -> None:
        sources, catalog = customers.track_assigned(assigned), products.track_assigned(assigned)
        log.info("reading %d customer and %d catalog event-time sources", len(sources), len(catalog))
