"""What the benchmarks share: shop-size arguments, the simulated shop's customer events; figures and the machine
come from ``streams.tools.bench.host`` (shared with ``comeback bench``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from schemas import events as ev
from schemas.base import Envelope
from streams.tools.bench.host import machine, percentile
from streams.tools.simulator import simulate_shop

__all__ = ["Shop", "machine", "percentile", "shop_parser", "simulate"]


def shop_parser(description: str, customers: int, days: int) -> argparse.ArgumentParser:
    """A parser with the shop's size (``--seed``, ``--customers``, ``--days``, ``--start``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--days", type=int, default=days)
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default="2026-01-01",
        help="ISO date or time; without an offset, Asia/Shanghai",
    )
    return parser


@dataclass(frozen=True)
class Shop:
    """A simulated shop: its customer-keyed events (time order), how many events in all, when it ends."""

    customer_events: list[ev.CustomerEvent]
    all_events: int
    end: datetime

    def describe(self) -> str:
        return (
            f"{self.all_events} events, {len(self.customer_events)} customer-keyed, "
            f"{self.all_events - len(self.customer_events)} catalog"
        )


def simulate(args: argparse.Namespace) -> Shop:
    """The shop the arguments describe."""
    events: list[Envelope] = list(simulate_shop(args.seed, args.customers, args.days, args.start))
    customer_events = cast(list[ev.CustomerEvent], [e for e in events if hasattr(e, "customer_id")])
    return Shop(customer_events, len(events), events[0].occurred_at + timedelta(days=args.days))
