"""Events per second the pure core applies on one core: the fold alone, then the whole engine.

(a) ``evolve`` over each customer's events; (b) ``handle_event`` (fold, every rule, due timers) with
now = the event's time, as the reference run does. The events are simulated and grouped by customer
before the clock starts; each figure is the best of ``--runs`` runs timed with ``time.perf_counter``.
The timing code is ``streams.tools.bench.core``, which ``comeback bench`` uses too.
Run: ``python -m benchmarks.fold_throughput --customers 1000 --days 365``.
"""

from __future__ import annotations

from benchmarks.common import machine, shop_parser, simulate
from streams.domain.policy import Policy
from streams.tools.bench.core import best_seconds, by_customer, core_steps

__all__ = ["main"]

_NAMES = {"evolve": "evolve (fold only)", "handle_event": "handle_event (fold + rules + timers)"}


def main() -> None:
    parser = shop_parser(__doc__.splitlines()[0], customers=1000, days=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure; the best counts (default: 3)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"shop: seed {args.seed}, {args.customers} customers, {args.days} days from {args.start.date()}")
    shop = simulate(args)
    groups = by_customer(shop.customer_events)
    count = len(shop.customer_events)
    print(f"events: {shop.describe()}; {len(groups)} customers; best of {args.runs} runs")
    for name, step in core_steps(Policy()).items():
        seconds = best_seconds(groups, step, args.runs)
        print(
            f"{_NAMES[name]:<38} {count / seconds:>10,.0f} events/s {seconds / count * 1e6:>8.1f} us/event "
            f"({seconds:.2f} s)"
        )


if __name__ == "__main__":
    main()
