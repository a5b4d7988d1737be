"""Faust agents and timers: each only hands records to streams.shell."""

from agents import catalog, customers, timers

__all__ = ["catalog", "customers", "timers"]
