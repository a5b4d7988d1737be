"""The bench's target verdicts: each judged from the run's own figures, with the measured reason."""

from __future__ import annotations

from typing import Any

from streams.tools.bench.restart import restart_points
from streams.tools.bench.targets import TARGETS, verdicts


def _run(*, end_to_end: float, core: float, offered: float, welcome_p99: float, state_p50: int) -> dict[str, Any]:
    worker = {"triggers_messages_per_s": end_to_end, "triggers_events_per_s": end_to_end, "taken_in_events_per_s": core}
    worker |= {"taken_in_s": 10.0, "triggers_s": 40.0}
    return {
        "figures": {
            "worker": {"1": worker, "4": worker},
            "faust_agent": {"1": {"messages_per_s": 10_000.0}, "4": {"messages_per_s": 10_000.0}},
            "pure_core": {"handle_event": {"events_per_s": core}, "evolve": {"events_per_s": 4 * core}},
            "pure_core_profile": [{"function": "engine/contact.settle", "share": 0.25}],
            "wall_clock": {
                "offered_per_s": offered,
                "welcome": {"p99_ms": welcome_p99},
                "timer_lateness": {"p99_ms": 300.0},
            },
            "state_bytes": {"p50": state_p50, "p90": 2 * state_p50, "max": 4 * state_p50},
        }
    }


def test_a_slow_worker_fails_the_throughput_targets_and_says_what_bounds_it() -> None:
    judged = verdicts(_run(end_to_end=400.0, core=3_000.0, offered=100.0, welcome_p99=20.0, state_p50=900))
    assert [v[0] for v in judged] == list(TARGETS)
    by_target = {target: (verdict, why) for target, _, verdict, why in judged}
    verdict, why = by_target[TARGETS[0]]
    assert verdict == "NOT met" and "0.30x the agent" in why and "13% of its core" in why
    assert "75% of the run (30.0 s) comes after every event is taken in" in why
    assert by_target[TARGETS[1]][0] == "NOT met" and "engine/contact.settle 25%" in by_target[TARGETS[1]][1]
    verdict, why = by_target[TARGETS[2]]
    assert verdict == "NOT met" and "measured at 100/s only" in why and "grows without bound" in why
    assert by_target[TARGETS[3]][0] == by_target[TARGETS[4]][0] == "met"
    assert by_target[TARGETS[5]][0] == "not measured"


def test_a_fast_worker_meets_them() -> None:
    judged = verdicts(_run(end_to_end=6_000.0, core=60_000.0, offered=1_000.0, welcome_p99=30.0, state_p50=1_200))
    assert [v[2] for v in judged] == ["met", "met", "met", "met", "NOT met", "not measured"]


def test_the_restart_target_is_judged_from_a_line_fitted_to_the_restart_benchmarks_cold_starts() -> None:
    run = _run(end_to_end=400.0, core=3_000.0, offered=100.0, welcome_p99=20.0, state_p50=900)
    run["figures"]["restart"] = {"cold_start_points": [(10_000, 11.0), (30_000, 24.0), (100_000, 70.3)]}
    target, measured, verdict, why = verdicts(run)[5]
    assert (target, verdict) == (TARGETS[5], "NOT met") and measured == "664 s (extrapolated)"
    assert why.startswith("cold start (crash) = 4.3 s + 0.660 ms x customers, fitted to 10,000: 11.0 s")
    run["figures"]["restart"] = {"cold_start_points": [(10_000, 1.0), (100_000, 5.5)]}
    assert verdicts(run)[5][2] == "met"


def test_the_restart_after_a_clean_stop_is_extrapolated_beside_the_cold_start() -> None:
    """The target is judged on the cold start (a crash drops the local tables); a clean stop keeps them."""
    run = _run(end_to_end=400.0, core=3_000.0, offered=100.0, welcome_p99=20.0, state_p50=900)
    runs = [{"customers": n, "cold_s": 5.0 + n / 1_000, "clean_s": 3.0 + n / 20_000} for n in (10_000, 20_000)]
    run["figures"]["restart"] = restart_points({"runs": runs})
    _, measured, verdict, why = verdicts(run)[5]
    assert verdict == "NOT met" and why.endswith(
        "after a clean stop (local tables kept) 53 s (= 3.0 s + 0.050 ms x customers)"
    )
