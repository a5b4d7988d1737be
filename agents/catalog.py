"""Product-keyed input: stock, prices and catalog facts, and customers' interest in products."""

from streams.runtime.app import app, catalog_topics
from streams.runtime.customers import guarded
from streams.runtime.products import process_catalog_record


@app.agent(catalog_topics)
async def fold_catalog_events(stream) -> None:  # type: ignore[no-untyped-def]
    async for record in stream.events():
        await guarded(record, process_catalog_record)
