"""The two stream agents, one record at a time: customer-keyed input and ticks (orders, behaviour, profiles,
timer ticks, alerts, cycle answers) and product-keyed input (catalog facts, watch changes, cycle lookups)."""

import asyncio
from typing import Any

import faust

from streams.runtime.app import Runtime
from streams.runtime.customers import CustomerShell
from streams.runtime.interrupted import keep_uncommitted
from streams.runtime.products import ProductShell


def _fold(app: faust.App, topic: faust.TopicT, name: str, shell: CustomerShell | ProductShell) -> None:
    @app.agent(topic, name=name)
    async def fold(stream: Any) -> None:
        async for record in stream.events():
            try:
                await shell.records.guarded(record, shell.process, shell.router.origin)
            except asyncio.CancelledError:  # the worker is stopping in the middle of the record
                keep_uncommitted(record)
                raise


def register(runtime: Runtime) -> None:
    _fold(runtime.app, runtime.topics.customer_inputs, "fold_customer_events", runtime.customers)
    _fold(runtime.app, runtime.topics.catalog_inputs, "fold_catalog_events", runtime.products)
