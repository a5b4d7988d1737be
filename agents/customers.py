"""Customer-keyed input (orders, behaviour, profiles) and timer ticks, one record at a time."""

from typing import Any

from streams.runtime.app import Runtime


def register(runtime: Runtime) -> None:
    shell, records = runtime.customers, runtime.customers.records

    @runtime.app.agent(runtime.topics.customer_inputs, name="fold_customer_events")
    async def fold_customer_events(stream: Any) -> None:
        async for record in stream.events():
            await records.guarded(record, shell.process)
