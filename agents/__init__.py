"""Faust agents and timers: each only hands records to streams.runtime.customers."""

from agents import catalog, customers, profiles, timers, web

__all__ = ["catalog", "customers", "profiles", "timers", "web"]
