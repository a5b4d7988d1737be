"""Writes the Redis profile view every ``COMEBACK_PROJECTION_LAG_SECONDS``: the customers marked since the last
write, and after an outage or a rebalance everything pending (the timer only reads the table)."""

from streams.runtime.app import Runtime


def register(runtime: Runtime) -> None:
    shell = runtime.customers

    @runtime.app.timer(interval=runtime.settings.projection_lag_seconds, name="project_profiles")
    async def project_profiles() -> None:
        await shell.projector.flush(shell.held_profile, shell.held_customers)
