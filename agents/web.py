"""The web port: ``GET /customers/{customer_id}`` (the profile derived now from the table, with the pending
timers; a bearer token when configured), ``/healthz`` (alive) and ``/readyz`` (partitions assigned and
tables recovered).

Profiles are routed to the worker that owns the customer by the raw key on an input topic, as the records
are (``table_route`` would hash the changelog's JSON-encoded key and pick another partition). Faust's own
/table/ and /router/ pages are off (``streams.runtime.app.create_app``).
"""

import hmac

from faust.web import Request, Response, View

from streams.runtime.app import Runtime


def _authorized(request: Request, token: str | None) -> bool:
    given = request.headers.get("Authorization", "")
    return token is None or hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def register(runtime: Runtime) -> None:
    shell, app = runtime.customers, runtime.app
    secret = runtime.settings.web_token
    token = None if secret is None else secret.get_secret_value()

    @app.page("/customers/{customer_id}")
    @app.topic_route(topic=runtime.topics.customers, match_info="customer_id")
    async def customer_profile(web: View, request: Request, customer_id: str) -> Response:
        if not _authorized(request, token):
            return web.json({"error": "a bearer token is required"}, status=401)
        state = shell.known_state(customer_id)
        if state is None:
            return web.json({"error": f"unknown customer {customer_id}"}, status=404)
        timers = [{"kind": t.kind, "due_at": t.due_at.isoformat()} for t in state.timers]
        return web.json(shell.current_profile(state).model_dump(mode="json") | {"pending_timers": timers})

    @app.page("/healthz")
    async def healthz(web: View, request: Request) -> Response:
        return web.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(web: View, request: Request) -> Response:
        assigned = len(app.assignor.assigned_actives())
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]  # TableManager has it
        rebuilt = runtime.customers.recovered and runtime.products.recovered  # indexes and watermarks back
        ready = assigned > 0 and not app.rebalancing and recovered and rebuilt
        return web.json({"ready": ready, "assigned_partitions": assigned}, status=200 if ready else 503)
