"""``comeback bench``'s run size from its command line: the full run times the restarts, ``--quick`` does not."""

from __future__ import annotations

from streams.tools.bench.run import FULL, QUICK, parser, size_of


def test_the_full_run_keeps_its_restart_sizes_with_the_sizes_given() -> None:
    size = size_of(parser().parse_args(["--broker", "kafka", "--customers", "200"]))
    assert size.customers == 200 and size.days == FULL.days
    assert size.restart_customers == (10_000, 30_000, 100_000)


def test_the_quick_run_times_no_restart() -> None:
    size = size_of(parser().parse_args(["--quick"]))
    assert (size.customers, size.restart_customers) == (QUICK.customers, ())
