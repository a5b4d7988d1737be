"""``GET /customers/{customer_id}``: the profile derived now from the table, with the pending timers.

Routed to the worker that owns the customer by the raw key on an input topic, as the records are
(``table_route`` would hash the changelog's JSON-encoded key and pick another partition).
"""

from faust.web import Request, Response, View

from schemas.topics import by_role
from streams.runtime.app import SETTINGS, app
from streams.runtime.customers import current_profile, known_state

_customer_keyed = app.topic(SETTINGS.topic_name(by_role("customers")), key_serializer="raw", value_serializer="raw")


@app.page("/customers/{customer_id}")
@app.topic_route(topic=_customer_keyed, match_info="customer_id")
async def customer_profile(web: View, request: Request, customer_id: str) -> Response:
    state = known_state(customer_id)
    if state is None:
        return web.json({"error": f"unknown customer {customer_id}"}, status=404)
    timers = [{"kind": t.kind, "due_at": t.due_at.isoformat()} for t in state.timers]
    return web.json(current_profile(state).model_dump(mode="json") | {"pending_timers": timers})
