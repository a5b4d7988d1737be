"""``GET /customers/{customer_id}``: the profile derived now from the table, with the pending timers.

Routed to the worker that owns the customer by the raw key on an input topic, as the records are
(``table_route`` would hash the changelog's JSON-encoded key and pick another partition).
"""

from faust.web import Request, Response, View

from streams.runtime.app import Runtime


def register(runtime: Runtime) -> None:
    shell = runtime.customers

    @runtime.app.page("/customers/{customer_id}")
    @runtime.app.topic_route(topic=runtime.topics.customers, match_info="customer_id")
    async def customer_profile(web: View, request: Request, customer_id: str) -> Response:
        state = shell.known_state(customer_id)
        if state is None:
            return web.json({"error": f"unknown customer {customer_id}"}, status=404)
        timers = [{"kind": t.kind, "due_at": t.due_at.isoformat()} for t in state.timers]
        return web.json(shell.current_profile(state).model_dump(mode="json") | {"pending_timers": timers})
