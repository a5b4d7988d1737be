"""Product-keyed catalog input: stock, prices and catalog facts."""

from streams.app import app, catalog_topic
from streams.shell import guarded, process_catalog_record


@app.agent(catalog_topic)
async def fold_catalog_events(stream) -> None:  # type: ignore[no-untyped-def]
    async for record in stream.events():
        await guarded(record, process_catalog_record)
