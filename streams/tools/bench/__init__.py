"""``comeback bench``: throughput, latency and memory figures of one simulated workload on a local broker."""

from streams.tools.bench.run import FULL, QUICK, Size, main, run_bench

__all__ = ["FULL", "QUICK", "Size", "main", "run_bench"]
