"""How big a customer's state gets: fold a simulated shop with the pure core and measure the serialized states.

The size is that of the tables' stored form (``streams.adapters.table_codec``: compressed JSON, defaults left out).
Run: ``python -m benchmarks.state_size --customers 5000 --days 365``.
"""

from __future__ import annotations

import time
from collections import Counter

from benchmarks.common import machine, percentile, shop_parser, simulate
from streams.domain.policy import Policy
from streams.engine.reference import run_reference
from streams.tools.bench.core import state_bytes

__all__ = ["main"]


def _spread(values: list[int]) -> str:
    return (
        " ".join(f"{name} {percentile(values, q):,}" for name, q in (("median", 50), ("p90", 90), ("p99", 99)))
        + f" max {max(values):,}"
    )


def main() -> None:
    args = shop_parser(__doc__.splitlines()[0], customers=5000, days=365).parse_args()
    print(f"machine: {machine()}")
    print(f"shop: seed {args.seed}, {args.customers} customers, {args.days} days from {args.start.date()}")
    shop = simulate(args)
    print(f"events: {shop.describe()}")
    for kind, count in Counter(e.type for e in shop.customer_events).most_common():
        print(f"  {kind:<26} {count:>9,}")
    began = time.perf_counter()
    states, triggers = run_reference(shop.customer_events, Policy(), shop.end)
    took = time.perf_counter() - began
    print(
        f"run_reference: {took:.1f} s ({took / len(shop.customer_events) * 1e6:.0f} us/event), "
        f"{len(states)} customers, {len(triggers)} triggers"
    )
    per_customer = list(Counter(e.customer_id for e in shop.customer_events).values())
    sizes = state_bytes(states.values())
    print(f"events per customer: {_spread(per_customer)}")
    print(f"state bytes per customer: {_spread(sizes)}; all states {sum(sizes) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
