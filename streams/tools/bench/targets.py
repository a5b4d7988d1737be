"""The throughput issue's targets, judged from one bench run: each met or not, with the measured reason.

The reasons are read off the same run: the pure core's rate against the trivial Faust agent (a worker cannot go
faster than the core it runs, on one core), the share of the core's time per function (cProfile), the offered
load of the latency run against the worker's end-to-end rate.
"""

from __future__ import annotations

from typing import Any

from streams.tools.bench.restart import fit

__all__ = ["TARGETS", "verdicts"]

Verdict = tuple[str, str, str, str]  # target, measured, "met" / "NOT met" / "not measured", why

END_TO_END_RATIO = 0.5
CORE_EVENTS_PER_S = 50_000
WELCOME_P99_MS, WELCOME_RATE = 50.0, 1_000.0
LATENESS_P99_MS = 1_000.0
STATE_MEDIAN_BYTES = 1_000
RESTART_SECONDS, RESTART_CUSTOMERS = 60.0, 1_000_000

TARGETS = (
    f"end to end >= {END_TO_END_RATIO}x the trivial Faust agent",
    f"handle_event >= {CORE_EVENTS_PER_S:,} events/s on one core",
    f"welcome p99 < {WELCOME_P99_MS:g} ms at {WELCOME_RATE:,.0f} events/s",
    f"timer lateness p99 < {LATENESS_P99_MS / 1000:g} s",
    f"median state <= {STATE_MEDIAN_BYTES:,} B per customer",
    f"restart with {RESTART_CUSTOMERS:,} customers (RocksDB) ready <= {RESTART_SECONDS:g} s",
)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _end_to_end(f: dict[str, Any]) -> Verdict:
    widest = max(f["worker"], key=int)
    worker, agent = f["worker"][widest], f["faust_agent"][widest]["messages_per_s"]
    rate = worker["triggers_messages_per_s"] or 0.0
    core = f["pure_core"]["handle_event"]["events_per_s"]
    taken = worker["taken_in_events_per_s"] or 0.0
    bound = ", so no worker running it can reach the target" if core / agent < END_TO_END_RATIO else ""
    tail = ""
    if worker.get("taken_in_s") and worker.get("triggers_s"):
        after = worker["triggers_s"] - worker["taken_in_s"]
        tail = (
            f"; {after / worker['triggers_s']:.0%} of the run ({after:,.1f} s) comes after every event is taken "
            "in: releasing the held events, each customer's waiting for one cycle-lookup round trip per order"
        )
    why = (
        f"the pure core alone (handle_event, one core) runs at {core:,.0f} ev/s = {core / agent:.2f}x the agent's "
        f"{agent:,.0f} msg/s{bound}; the worker reaches {rate / core:.0%} of its core's rate end to end "
        f"({taken / core:.0%} to take every event in){tail}"
    )
    return TARGETS[0], f"{rate / agent:.2f}x ({widest} partitions)", _met(rate / agent >= END_TO_END_RATIO), why


def _core(f: dict[str, Any]) -> Verdict:
    core = f["pure_core"]
    rate, fold = core["handle_event"]["events_per_s"], core["evolve"]["events_per_s"]
    shares = ", ".join(f"{row['function']} {row['share']:.0%}" for row in f.get("pure_core_profile", [])[:5])
    why = f"the fold alone (evolve) runs at {fold:,.0f} ev/s; inclusive shares of handle_event's time: {shares}"
    return TARGETS[1], f"{rate:,.0f} ev/s", _met(rate >= CORE_EVENTS_PER_S), why


def _welcome(f: dict[str, Any]) -> Verdict:
    wall = f["wall_clock"]
    offered, p99 = wall["offered_per_s"], wall["welcome"].get("p99_ms")
    measured = f"p99 {p99:,.1f} ms at {offered:,.0f}/s" if p99 is not None else f"none arrived at {offered:,.0f}/s"
    if offered >= WELCOME_RATE:
        return TARGETS[2], measured, _met(p99 is not None and p99 < WELCOME_P99_MS), ""
    widest = max(f["worker"], key=int)
    end_to_end = f["worker"][widest]["triggers_events_per_s"] or 0.0
    why = f"measured at {offered:,.0f}/s only: one worker's end-to-end rate is {end_to_end:,.0f} ev/s" + (
        f", under {WELCOME_RATE:,.0f}/s, so at that load its queue (and the latency) grows without bound"
        if end_to_end < WELCOME_RATE
        else ""
    )
    return TARGETS[2], measured, "NOT met" if end_to_end < WELCOME_RATE else "not measured", why


def _lateness(f: dict[str, Any]) -> Verdict:
    p99 = f["wall_clock"]["timer_lateness"].get("p99_ms")
    if p99 is None:
        return TARGETS[3], "n/a", "not measured", "no browse_followup trigger arrived in the wall-clock run"
    return TARGETS[3], f"{p99:,.0f} ms", _met(p99 < LATENESS_P99_MS), ""


def _state(f: dict[str, Any]) -> Verdict:
    size = f["state_bytes"]
    why = f"stored form (table_codec); max {size['max']:,} B, p90 {size['p90']:,} B"
    return TARGETS[4], f"{size['p50']:,} B", _met(size["p50"] <= STATE_MEDIAN_BYTES), why


def _restart(f: dict[str, Any]) -> Verdict:
    restart = f.get("restart", {})
    points = restart.get("cold_start_points", [])
    if len(points) < 2:
        why = "timed on Apache Kafka only (comeback bench --broker kafka), or from a benchmarks.restart --out FILE"
        return TARGETS[5], "n/a", "not measured", why
    a, b = fit(points)
    at = a + b * RESTART_CUSTOMERS
    sizes = ", ".join(f"{n:,}: {s:,.1f} s" for n, s in points)
    why = f"cold start (crash) = {a:.1f} s + {b * 1e3:.3f} ms x customers, fitted to {sizes}"
    clean = restart.get("clean_restart_points", [])
    if len(clean) >= 2:
        a_clean, b_clean = fit(clean)
        why += (
            f"; after a clean stop (local tables kept) {a_clean + b_clean * RESTART_CUSTOMERS:,.0f} s "
            f"(= {a_clean:.1f} s + {b_clean * 1e3:.3f} ms x customers)"
        )
    return TARGETS[5], f"{at:,.0f} s (extrapolated)", _met(at <= RESTART_SECONDS), why


def verdicts(run: dict[str, Any]) -> list[Verdict]:
    """Every target of the throughput issue, judged from ``run``'s figures."""
    f = run["figures"]
    return [judge(f) for judge in (_end_to_end, _core, _welcome, _lateness, _state, _restart)]
