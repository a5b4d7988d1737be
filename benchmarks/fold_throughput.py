"""Events per second the pure core applies on one core: the fold alone, then the whole engine.

(a) ``evolve`` over each customer's events; (b) ``handle_event`` (fold, every rule, due timers) with
now = the event's time, as the reference run does. The events are simulated and grouped by customer
before the clock starts; each figure is the best of ``--runs`` runs timed with ``time.perf_counter``.
Run: ``python -m benchmarks.fold_throughput --customers 1000 --days 365``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from benchmarks.common import machine, shop_parser, simulate
from schemas import events as ev
from streams.domain.customer.fold import evolve
from streams.domain.customer.state import CustomerState, initial_state
from streams.domain.policy import Policy
from streams.engine.customer import handle_event

__all__ = ["main"]

Step = Callable[[CustomerState, ev.CustomerEvent], CustomerState]


def _fold_all(groups: dict[str, list[ev.CustomerEvent]], step: Step) -> None:
    for customer_id, events in groups.items():
        state = initial_state(customer_id)
        for event in events:
            state = step(state, event)


def _best_seconds(groups: dict[str, list[ev.CustomerEvent]], step: Step, runs: int) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        _fold_all(groups, step)
        timings.append(time.perf_counter() - began)
    return min(timings)


def main() -> None:
    parser = shop_parser(__doc__.splitlines()[0], customers=1000, days=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure; the best counts (default: 3)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"shop: seed {args.seed}, {args.customers} customers, {args.days} days from {args.start.date()}")
    shop = simulate(args)
    groups: dict[str, list[ev.CustomerEvent]] = defaultdict(list)
    for event in shop.customer_events:
        groups[event.customer_id].append(event)
    count = len(shop.customer_events)
    print(f"events: {shop.describe()}; {len(groups)} customers; best of {args.runs} runs")
    policy = Policy()
    steps: dict[str, Step] = {
        "evolve (fold only)": lambda state, event: evolve(state, event, policy.limits),
        "handle_event (fold + rules + timers)": lambda state, event: (
            handle_event(state, event, event.occurred_at, policy).state
        ),
    }
    for name, step in steps.items():
        seconds = _best_seconds(groups, step, args.runs)
        print(f"{name:<38} {count / seconds:>10,.0f} events/s {seconds / count * 1e6:>8.1f} us/event ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
