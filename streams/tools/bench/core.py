"""The pure core on one core: events per second of ``evolve`` alone and of the whole ``handle_event``, and the
size of the stored states (shared with ``benchmarks/fold_throughput`` and ``benchmarks/state_size``).

(a) ``evolve`` over each customer's events; (b) ``handle_event`` (fold, every rule, due timers, the contact
stage) with now = the event's time, as the reference run does. The events are grouped by customer before the
clock starts; each figure is the best of ``runs`` runs timed with ``time.perf_counter``.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from schemas import events as ev
from streams.adapters import table_codec
from streams.domain.customer.fold import evolve
from streams.domain.customer.state import CustomerState, initial_state
from streams.domain.policy import Policy
from streams.engine.customer import handle_event

__all__ = ["Step", "best_seconds", "by_customer", "core_profile", "core_rates", "core_steps", "state_bytes"]

_CORE = ("/schemas/", "/streams/domain/", "/streams/rules/", "/streams/engine/")

Step = Callable[[CustomerState, ev.CustomerEvent], CustomerState]


def by_customer(events: Iterable[ev.CustomerEvent]) -> dict[str, list[ev.CustomerEvent]]:
    """Each customer's events, in the order given."""
    groups: dict[str, list[ev.CustomerEvent]] = defaultdict(list)
    for event in events:
        groups[event.customer_id].append(event)
    return dict(groups)


def core_steps(policy: Policy) -> dict[str, Step]:
    """The two steps measured, by name: ``evolve`` (the fold only) and ``handle_event`` (fold, rules, timers)."""
    return {
        "evolve": lambda state, event: evolve(state, event, policy.limits),
        "handle_event": lambda state, event: handle_event(state, event, event.occurred_at, policy).state,
    }


def _fold_all(groups: Mapping[str, list[ev.CustomerEvent]], step: Step) -> None:
    for customer_id, events in groups.items():
        state = initial_state(customer_id)
        for event in events:
            state = step(state, event)


def best_seconds(groups: Mapping[str, list[ev.CustomerEvent]], step: Step, runs: int) -> float:
    """The fastest of ``runs`` runs of ``step`` over every customer's events, in seconds."""
    timings = []
    for _ in range(max(runs, 1)):
        began = time.perf_counter()
        _fold_all(groups, step)
        timings.append(time.perf_counter() - began)
    return min(timings)


def core_rates(events: list[ev.CustomerEvent], policy: Policy, runs: int) -> dict[str, dict[str, float]]:
    """Per step: events/s, microseconds per event and the best run's seconds."""
    groups = by_customer(events)
    rates = {}
    for name, step in core_steps(policy).items():
        seconds = best_seconds(groups, step, runs)
        rates[name] = {
            "events_per_s": len(events) / seconds,
            "us_per_event": seconds / len(events) * 1e6,
            "seconds": seconds,
        }
    return rates


def core_profile(events: list[ev.CustomerEvent], policy: Policy, count: int = 8) -> list[dict[str, Any]]:
    """Where ``handle_event``'s time goes: one run under cProfile, the ``count`` functions of the pure core with the
    largest inclusive share of the run (``handle_event`` itself left out), and the share of pydantic's own code,
    as ``{"function", "share"}``."""
    groups, step = by_customer(events), core_steps(policy)["handle_event"]
    profiler = cProfile.Profile()
    profiler.runcall(_fold_all, groups, step)
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())  # every function's own time: the run's time
    ours = [
        (f"{Path(file).parent.name}/{Path(file).stem}.{name}", row[3])
        for (file, _, name), row in stats.items()
        if any(package in file for package in _CORE) and name != "handle_event"
    ]
    ours.sort(key=lambda item: -item[1])
    pydantic = sum(row[2] for (file, _, name), row in stats.items() if "pydantic" in file or "pydantic" in name)
    return [
        *({"function": function, "share": inclusive / total} for function, inclusive in ours[:count]),
        {"function": "pydantic's own time (model_copy, validation)", "share": pydantic / total},
    ]


def state_bytes(states: Iterable[CustomerState]) -> list[int]:
    """Each state's stored size, in the tables' form (``streams.adapters.table_codec``)."""
    return [len(table_codec.encode(state)) for state in states]
