"""The demo: the built-in sample through the real broker and worker, checked against the pure core."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

from schemas import events as ev
from schemas.base import Envelope
from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision, Outcome
from schemas.events import EVENT_ADAPTER
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.adapters.kafka_clients import consumer
from streams.config import Settings, shop_policy
from streams.engine.reference import Checkpoint, checkpoints
from streams.sdk.producer import EventProducer
from streams.tools.report.figures import compute_report
from streams.tools.report.files import write_report
from streams.tools.simulator import simulate_shop

__all__ = ["OUTCOMES", "demo_events", "load_sample", "outcome_table", "run_demo"]

_BAD_INPUT = (
    b"{this is not json",
    json.dumps(
        {
            "type": "product_viewed",
            "event_id": "bad-1",
            "occurred_at": "2026-11-02T09:00:00",
            "customer_id": "c-anna",
            "product_id": "p-yoga-mat",
            "category": "yoga",
        }
    ).encode(),
)


def load_sample() -> list[Envelope]:
    text = resources.files("streams").joinpath("data/sample.jsonl").read_text(encoding="utf-8")
    return [EVENT_ADAPTER.validate_json(line) for line in text.splitlines() if line.strip()]


def _describe(trigger: Trigger) -> str:
    products = ", ".join(p.product_id for p in trigger.products)
    return (
        f"[trigger] {trigger.type:<16} {trigger.customer_id:<8} due {trigger.due_at.isoformat()} "
        f"tier={trigger.customer.tier} products: {products}\n          {trigger.reason}"
    )


_OPT_INS: tuple[tuple[str, dict[str, bool]], ...] = (
    ("c-ben", {"wechat": True}),
    ("c-chen", {"push": True, "sms": False}),
    ("c-dai", {"sms": True}),
    ("c-eva", {"wechat": True, "push": True}),
    ("c-fang", {"push": True}),
)
"""Consents of the sample's customers, given as each signs up (c-anna's is in the sample; c-gao gave none, so
the contact policy suppresses what the rules propose for her)."""


def _opt_ins(first: datetime) -> list[Envelope]:
    return [
        ev.CustomerProfileChanged(
            event_id=f"sample-consent-{customer_id}",
            customer_id=customer_id,
            occurred_at=first,
            consents={ev.Channel(channel): given for channel, given in consents.items()},
        )
        for customer_id, consents in _OPT_INS
    ]


def demo_events() -> list[Envelope]:
    """The hand-written sample day with its customers' consents, after 60 simulated days of a small shop (its
    customers are c0000N)."""
    sample = load_sample()
    first = min(e.occurred_at for e in sample)
    history = simulate_shop(seed=11, customers=30, days=60, start=first - timedelta(days=61))
    return sorted([*history, *_opt_ins(first), *sample], key=lambda e: e.occurred_at)


OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass
class _Received:
    triggers: dict[str, Trigger] = field(default_factory=dict)
    decisions: dict[str, ContactDecision] = field(default_factory=dict)
    repeated_decisions: int = 0  # the same decision id published again (a restarted worker)
    letters: int = 0


def _describe_decision(record: ContactDecision) -> str:
    local = record.decided_at.astimezone(ZoneInfo(record.timezone))
    return (
        f"[decision] {record.type:<16} {record.customer_id:<8} {record.outcome:<10} {local:%m-%d %H:%M} "
        f"{record.timezone}: {record.reason}\n          {record.detail}"
    )


def _consume(settings: Settings, expected: Checkpoint, timeout: float) -> _Received:
    """Triggers, decision records and dead letters as they arrive: the sample customers' printed in full."""
    roles = ("triggers", "decisions", "dead_letters")
    triggers, decisions, letters = (settings.topic_name(by_role(role)) for role in roles)
    reader = consumer(settings, triggers, decisions, letters, auto_offset_reset="earliest")
    wanted = {t.trigger_id for t in expected.triggers}
    wanted_decisions = {d.decision_id for d in expected.decisions}
    got = _Received()
    deadline = time.monotonic() + timeout

    def waiting() -> bool:
        return bool(
            wanted - set(got.triggers) or wanted_decisions - set(got.decisions) or got.letters < len(_BAD_INPUT)
        )

    while waiting() and time.monotonic() < deadline:
        for records in reader.poll(timeout_ms=500).values():
            for record in records:
                if record.topic == letters:
                    got.letters += 1
                    letter = DeadLetter.model_validate_json(record.value)
                    print(f"[dead letter] {letter.code}: {letter.reason}", flush=True)
                elif record.topic == decisions:
                    decision = ContactDecision.model_validate_json(record.value)
                    if decision.decision_id in got.decisions:
                        got.repeated_decisions += 1
                        continue
                    got.decisions[decision.decision_id] = decision
                    if decision.customer_id.startswith("c-") and decision.outcome != "sent":
                        print(_describe_decision(decision), flush=True)
                else:
                    trigger = Trigger.model_validate_json(record.value)
                    got.triggers[trigger.trigger_id] = trigger
                    if trigger.customer_id.startswith("c-"):
                        print(_describe(trigger), flush=True)
    reader.close()
    return got


def outcome_table(decisions: Iterable[ContactDecision]) -> str:
    """How many triggers had each outcome (at least once: a trigger deferred, then sent counts in both), per
    outcome and per type x outcome; the records behind them."""
    records = list(decisions)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        seen[(record.type, record.outcome)].add(record.trigger_id)
        seen[("total", record.outcome)].add(record.trigger_id)
        seen[(record.type, "triggers")].add(record.trigger_id)
        seen[("total", "triggers")].add(record.trigger_id)
    types = sorted({r.type for r in records})
    columns = ("triggers", *OUTCOMES)
    width = max((len(t) for t in types), default=5)
    lines = [
        f"contact decisions: {len(records)} records about {len(seen[('total', 'triggers')])} triggers; "
        + ", ".join(f"{outcome.replace('_', ' ')} {len(seen[('total', outcome)])}" for outcome in OUTCOMES),
        f"{'type':<{width}}  " + "  ".join(f"{c:>10}" for c in columns),
    ]
    for kind in (*types, "total"):
        lines.append(f"{kind:<{width}}  " + "  ".join(f"{len(seen[(kind, c)]):>10}" for c in columns))
    return "\n".join(lines)


def _differences(expected: Sequence[ContactDecision], received: Mapping[str, ContactDecision], shown: int = 10) -> str:
    """The records only the reference run has, and those only the worker published (the first ``shown`` of each)."""
    wanted = {d.decision_id for d in expected}
    only_reference = [d for d in expected if d.decision_id not in received]
    only_worker = [d for d in received.values() if d.decision_id not in wanted]
    lines = []
    for title, records in (("only in the reference run", only_reference), ("only from the worker", only_worker)):
        lines.append(f"{len(records)} contact decisions {title}{':' if records else ''}")
        lines += [f"  {_describe_decision(d)}" for d in records[:shown]]
        lines += [f"  ... and {len(records) - shown} more"] if len(records) > shown else []
    same = {(d.trigger_id, d.outcome, d.decided_at) for d in only_reference} & {
        (d.trigger_id, d.outcome, d.decided_at) for d in only_worker
    }
    if same:
        lines.append(f"{len(same)} of them are the same trigger, outcome and moment under another decision id")
    return "\n".join(lines)


def run_demo(settings: Settings, report_dir: Path = Path("comeback-report"), timeout: float = 100.0) -> int:
    """Feed the demo events and two bad messages through the worker, print what comes out, check the triggers and
    the contact decisions against the pure core's reference run and write the report; 0 when the worker
    matched."""
    events = demo_events()
    policy = shop_policy(settings)
    until = max(e.occurred_at for e in events) + timedelta(days=1)
    (expected,) = deque(checkpoints(events, policy, until), maxlen=1)
    with EventProducer(settings) as producer:
        producer.send_in_time_order(events)
        for bad in _BAD_INPUT:
            producer.send_raw(by_role("behavior"), b"c-anna", bad)
        producer.advance_watermark(until)
    print(f"sent {len(events)} events and {len(_BAD_INPUT)} bad messages; waiting for the worker", flush=True)
    got = _consume(settings, expected, timeout)
    received = got.triggers
    matched = set(received) == {t.trigger_id for t in expected.triggers}  # product alerts included
    decided = set(got.decisions) == {d.decision_id for d in expected.decisions}
    tally = ", ".join(f"{kind} {n}" for kind, n in sorted(Counter(t.type for t in received.values()).items()))
    print(
        f"{len(received)} triggers from the worker ({tally}); {len(expected.triggers)} predicted by the pure core: "
        f"{'they match' if matched else 'MISMATCH'}",
        flush=True,
    )
    repeats = f" ({got.repeated_decisions} published twice)" if got.repeated_decisions else ""
    print(
        f"{len(got.decisions)} contact decisions from the worker{repeats}; {len(expected.decisions)} predicted: "
        f"{'they match' if decided else 'MISMATCH'}; {got.letters} dead letters",
        flush=True,
    )
    if not decided:
        print(_differences(expected.decisions, got.decisions), flush=True)
    print(outcome_table(got.decisions.values()), flush=True)
    html, figures = write_report(compute_report(events, policy, tuple(received.values())), report_dir)
    print(f"report: {html.resolve()}\nfigures: {figures.resolve()}", flush=True)
    return 0 if matched and decided and got.letters == len(_BAD_INPUT) else 1
