"""Customer-keyed input (orders, behaviour, profiles) and timer ticks, one record at a time."""

from streams.runtime.app import app, customer_topics
from streams.runtime.customers import guarded, process_customer_record


@app.agent(customer_topics)
async def fold_customer_events(stream) -> None:  # type: ignore[no-untyped-def]
    async for record in stream.events():
        await guarded(record, process_customer_record)
