"""Product-keyed input: stock, prices and catalog facts, and customers' interest in products."""

from typing import Any

from streams.runtime.app import Runtime


def register(runtime: Runtime) -> None:
    shell, records = runtime.products, runtime.products.records

    @runtime.app.agent(runtime.topics.catalog_inputs, name="fold_catalog_events")
    async def fold_catalog_events(stream: Any) -> None:
        async for record in stream.events():
            await records.guarded(record, shell.process)
