"""Catches the Redis profile view up after an outage (the timer only reads the table)."""

from schemas.profile import CustomerProfile
from streams.runtime.app import app
from streams.runtime.customers import current_profile, known_state, projector

CATCH_UP_INTERVAL_SECONDS = 5.0


def _held_profile(customer_id: str) -> CustomerProfile | None:
    state = known_state(customer_id)  # an erased customer's erasure is pending on its own
    return None if state is None else current_profile(state)


@app.timer(interval=CATCH_UP_INTERVAL_SECONDS)
async def catch_up_profiles() -> None:
    await projector.catch_up(_held_profile)
