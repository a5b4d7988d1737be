"""Catches the Redis profile view up after an outage (the timer only reads the table)."""

from streams.runtime.app import Runtime

CATCH_UP_INTERVAL_SECONDS = 5.0


def register(runtime: Runtime) -> None:
    shell = runtime.customers

    @runtime.app.timer(interval=CATCH_UP_INTERVAL_SECONDS, name="catch_up_profiles")
    async def catch_up_profiles() -> None:
        await shell.projector.catch_up(shell.held_profile, shell.held_customers)
