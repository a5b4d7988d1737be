"""Faust agents, timers and web views: each only hands records to the runtime's shells."""

from agents import folds, models, profiles, timers, web
from streams.runtime.app import Runtime

__all__ = ["register"]


def register(runtime: Runtime) -> None:
    """Attach every agent, timer and page to the runtime's app (the worker calls this once at start-up)."""
    for module in (folds, timers, models, profiles, web):
        module.register(runtime)
