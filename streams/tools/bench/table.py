"""The bench's printed table: one row per figure, with its ratio to the trivial Faust agent where it applies."""

from __future__ import annotations

from typing import Any

__all__ = ["format_run", "rows"]

Row = tuple[str, str, str]


def _num(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _ratio(value: float | None, base: float | None) -> str:
    return "" if value is None or not base else f"{value / base:.2f}x"


def _spread(figure: dict[str, Any], unit: str = " ms") -> str:
    if not figure.get("count"):
        return "n/a (none arrived)"
    values = (figure.get(k) for k in ("p50_ms", "p99_ms", "max_ms"))
    return " / ".join(_num(v, "", 0 if v is None or v >= 100 else 1) for v in values) + unit


def _rate(figure: dict[str, Any], what: str) -> str:
    return f"{_num(figure[f'{what}_events_per_s'], ' ev/s')} ({_num(figure[f'{what}_messages_per_s'], ' msg/s')})"


def rows(run: dict[str, Any]) -> list[Row]:
    """(figure, value, ratio to the Faust agent) for every figure of a run."""
    f = run["figures"]
    out: list[Row] = []
    for p, agent in f["faust_agent"].items():
        base = agent["messages_per_s"]
        raw, worker, produced = f["raw_consume"][p], f["worker"][p], f["produce"][p]
        raw_rate = raw["messages_per_s"]
        n = f"{p} partition{'s' if p != '1' else ''}"
        out += [
            (f"[{n}] SDK producer, time order", _num(produced["messages_per_s"], " msg/s"), ""),
            (f"[{n}] raw consume (aiokafka)", _num(raw_rate, " msg/s"), _ratio(raw_rate, base)),
            (f"[{n}] trivial Faust agent", _num(base, " msg/s"), "1.00x"),
            (f"[{n}] worker launch to first event taken in", _num(worker["startup_s"], " s", 1), ""),
            (
                f"[{n}] worker takes in every event ({worker['events']:,}, held)",
                _rate(worker, "taken_in"),
                _ratio(worker["taken_in_messages_per_s"], base),
            ),
            (
                f"[{n}] worker to input lag 0 (committed)",
                _rate(worker, "lag_zero"),
                _ratio(worker["lag_zero_messages_per_s"], base),
            ),
            (
                f"[{n}] worker to last trigger, END TO END ({worker['triggers_received']:,}"
                + f"/{worker['expected_triggers']:,}"
                + (f", {worker['unexpected_triggers']} unexpected" if worker["unexpected_triggers"] else "")
                + "".join(f"; missing {m}" for m in worker.get("missing", []))
                + ")",
                _rate(worker, "triggers"),
                _ratio(worker["triggers_messages_per_s"], base),
            ),
        ]
    core = f["pure_core"]
    out += [
        ("pure core evolve, one core", _num(core["evolve"]["events_per_s"], " ev/s"), ""),
        ("pure core handle_event, one core", _num(core["handle_event"]["events_per_s"], " ev/s"), ""),
        ("reference run (whole engine, one core)", _num(f["reference_run"]["events_per_s"], " ev/s"), ""),
    ]
    wall = f["wall_clock"]
    load = f"{_num(wall['offered_per_s'], '/s')} offered, {_num(wall['achieved_per_s'], '/s')} sent"
    out += [
        (f"welcome latency p50/p99/max ({load})", _spread(wall["welcome"]), ""),
        ("  of which until decided (emitted_at)", _spread(wall["welcome_decided"]), ""),
        (
            f"timer lateness p50/p99/max (browse_followup, {wall['browse_followup_delay_s']:g} s)",
            _spread(wall["timer_lateness"]),
            "",
        ),
        (
            "worker's lateness histogram p50/p99 (all triggers)",
            " / ".join(_num(wall["timer_lateness_histogram"].get(k), "", 1) for k in ("p50_ms", "p99_ms")) + " ms",
            "",
        ),
    ]
    size, rss = f["state_bytes"], f["rss"]
    out += [
        ("state bytes per customer median / max", f"{_num(size['p50'])} / {_num(size['max'])} B", ""),
        (
            f"worker RSS per customer ({rss['customers']:,} customers, {rss['partitions']} partitions)",
            _num(rss["per_customer_bytes"], " B"),
            "",
        ),
        (
            "  worker RSS idle / after the run",
            f"{_num(_mib(rss['baseline_bytes']), ' MiB', 1)} / {_num(_mib(rss['end_bytes']), ' MiB', 1)}",
            "",
        ),
    ]
    return out


def _profiles(run: dict[str, Any]) -> list[str]:
    lines = []
    for p, worker in run["figures"]["worker"].items():
        sampled = worker.get("profile")
        if not sampled or not sampled.get("samples"):
            continue
        lines.append(
            f"\npy-spy, the {p}-partition worker end to end ({sampled['samples']:,} samples): self | inclusive"
        )
        for own, anywhere in zip(sampled["self"], sampled["inclusive"], strict=False):
            lines.append(
                f"  {own['share']:6.1%} {own['function'][:60]:<60} | {anywhere['share']:6.1%} {anywhere['function']}"
            )
    return lines


def _mib(value: int | None) -> float | None:
    return None if value is None else value / 2**20


def format_run(run: dict[str, Any]) -> str:
    """The run's header (broker, machine, Python, load average, workload) and its table."""
    machine, load, w = run["machine"], run["load_average"], run["workload"]
    table = rows(run)
    width = max(len(r[0]) for r in table)
    value_width = max(len(r[1]) for r in table)
    header = [
        f"comeback bench: broker {run['broker']} ({run['broker_detail']})",
        f"machine: CPU {machine['cpu']}, {machine['cores']} cores; {machine['python']}; {machine['platform']}",
        f"load average (1/5/15 min): before {_load(load['before'])}, after {_load(load['after'])}",
        f"workload: seed {w['seed']}, {w['customers']:,} customers, {w['days']} days from {w['start'][:10]}: "
        f"{w['events']:,} events ({w['customer_events']:,} customer-keyed), {w['expected_triggers']:,} triggers "
        f"expected; took {run['took_s']:.0f} s",
        "",
        f"{'figure':<{width}}  {'value':>{value_width}}  ratio to Faust agent",
    ]
    lines = [f"{name:<{width}}  {value:>{value_width}}  {ratio}" for name, value, ratio in table]
    return "\n".join(header + lines + _profiles(run) + _targets(run))


def _targets(run: dict[str, Any]) -> list[str]:
    lines = ["", "targets (issue 13): verdict | target | measured | why"]
    for t in run.get("targets", []):
        lines.append(f"  {t['verdict']:<12} {t['target']:<52} {t['measured']:<24} {t['why']}".rstrip())
    return lines


def _load(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)
