"""The two stream agents, one record at a time: customer-keyed input and ticks (orders, behaviour, profiles,
timer ticks, alerts, cycle answers) and product-keyed input (catalog facts, watch changes, cycle lookups)."""

from collections.abc import Awaitable, Callable
from typing import Any

import faust

from streams.runtime.app import Runtime
from streams.runtime.records import Records


def _fold(
    app: faust.App, topic: faust.TopicT, name: str, records: Records, handle: Callable[..., Awaitable[None]]
) -> None:
    @app.agent(topic, name=name)
    async def fold(stream: Any) -> None:
        async for record in stream.events():
            await records.guarded(record, handle)


def register(runtime: Runtime) -> None:
    customers, products = runtime.customers, runtime.products
    _fold(runtime.app, runtime.topics.customer_inputs, "fold_customer_events", customers.records, customers.process)
    _fold(runtime.app, runtime.topics.catalog_inputs, "fold_catalog_events", products.records, products.process)
