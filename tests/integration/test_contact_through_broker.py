"""The contact policy through the real broker and worker, in event time, with the default policy.

Three customers order at the same instant, 15:00 UTC on a Monday: 23:00 in Shanghai, 16:00 in Berlin.
c-late (Shanghai, WeChat consent) gets the welcome deferred to 08:00 (quiet hours), and a browse follow-up
due the same local morning capped (one marketing message a local day) to 08:00 the next day. c-berlin
(push consent) gets the welcome at once: it is afternoon there. c-nobody gave no consent: suppressed. The
triggers topic and the decisions topic must hold exactly what the reference run decides, and
``comeback explain`` reads a customer's records back from the decisions topic.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.decisions import ContactDecision
from schemas.topics import by_role
from schemas.triggers import Trigger
from streams.config import Settings
from streams.domain.policy import Policy
from streams.sdk.producer import EventProducer
from streams.tools.cli import main
from tests.factories import hours, order, profile_changed, view
from tests.integration.helpers import Workers, read_topic, reference_end

pytestmark = pytest.mark.integration

NIGHT = datetime(2026, 3, 2, 15, tzinfo=UTC)  # 23:00 in Shanghai, 16:00 in Berlin
MORNING = datetime(2026, 3, 3, 0, tzinfo=UTC)  # 08:00 in Shanghai
NEXT_MORNING = datetime(2026, 3, 4, 0, tzinfo=UTC)
UNTIL = NIGHT + hours(48)
EVENTS = [
    profile_changed("c-late", at=NIGHT - hours(1), timezone="Asia/Shanghai", consents={"wechat": True}),
    profile_changed("c-berlin", at=NIGHT - hours(1), timezone="Europe/Berlin", consents={"push": True}),
    order("c-late", product_id="p-tea", category="tea", at=NIGHT),
    order("c-berlin", product_id="p-tea", category="tea", at=NIGHT),
    order("c-nobody", product_id="p-tea", category="tea", at=NIGHT),
    view(customer_id="c-late", product_id="p-cup", category="cups", at=MORNING + hours(1)),  # 09:00 there
]
# (customer, type, outcome, reason, decided at, next try or sent from, channel), per customer in order
EXPECTED = [
    ("c-late", "welcome", "deferred", "quiet_hours", NIGHT, MORNING, None),
    ("c-late", "welcome", "sent", "allowed", MORNING, MORNING, "wechat"),
    ("c-late", "browse_followup", "capped", "cap_1_per_1d", MORNING + hours(3), NEXT_MORNING, None),
    ("c-late", "browse_followup", "sent", "allowed", NEXT_MORNING, NEXT_MORNING, "wechat"),
    ("c-berlin", "welcome", "sent", "allowed", NIGHT, NIGHT, "push"),
    ("c-nobody", "welcome", "suppressed", "no_consent", NIGHT, None, None),
]


def _summary(record: ContactDecision) -> tuple[Any, ...]:
    r, channel = record, record.channel.value if record.channel else None
    return (r.customer_id, r.type, r.outcome, r.reason, r.decided_at, r.send_after, channel)


def _by_customer(records: list[ContactDecision]) -> dict[str, list[ContactDecision]]:
    grouped: dict[str, list[ContactDecision]] = defaultdict(list)
    for record in records:
        grouped[record.customer_id].append(record)
    return dict(grouped)


def _without_emitted_at(trigger: Trigger) -> dict[str, Any]:
    """A trigger fired by a timer is emitted at the engine's clock then, which differs between the worker's
    watermark and the reference run's end; the decision's times are logical and match."""
    return trigger.model_dump(mode="json", exclude={"emitted_at"})


def _use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_deferral_and_caps_through_the_broker_match_the_reference_run_and_explain_reads_them_back(
    workers: Workers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = reference_end(EVENTS, Policy(), UNTIL)
    expected_by_customer = _by_customer(list(reference.decisions))
    assert sorted(map(_summary, reference.decisions), key=EXPECTED.index) == EXPECTED  # the scenario, spelled out

    settings = workers.start(clock="event")
    with EventProducer(settings) as producer:
        producer.send_in_time_order(sorted(EVENTS, key=lambda e: e.occurred_at))
        producer.advance_watermark(UNTIL)

    decisions = _read(settings, "decisions", len(EXPECTED))
    triggers = _read(settings, "triggers", len(reference.triggers))
    records = [ContactDecision.model_validate_json(v) for v in decisions]
    assert _by_customer(records) == expected_by_customer  # the same records, in the same order per customer
    sent = sorted((Trigger.model_validate_json(v) for v in triggers), key=lambda t: (t.send_after, t.customer_id))
    assert [_without_emitted_at(t) for t in sent] == [
        _without_emitted_at(t) for t in sorted(reference.triggers, key=lambda t: (t.send_after, t.customer_id))
    ]
    assert [(t.customer_id, t.type, t.send_after, t.decision_id) for t in sent] == [
        ("c-berlin", "welcome", NIGHT, expected_by_customer["c-berlin"][0].decision_id),
        ("c-late", "welcome", MORNING, expected_by_customer["c-late"][1].decision_id),
        ("c-late", "browse_followup", NEXT_MORNING, expected_by_customer["c-late"][3].decision_id),
    ]

    _use_env(monkeypatch, workers.env)
    capsys.readouterr()
    assert main(["explain", "c-late"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("customer c-late: 4 latest contact decisions, newest last")
    rows = [line.split() for line in lines[2::2]]
    assert [row[5:8] for row in rows] == [
        ["welcome", "deferred", "quiet_hours"],
        ["welcome", "sent", "allowed"],
        ["browse_followup", "capped", "cap_1_per_1d"],
        ["browse_followup", "sent", "allowed"],
    ]
    assert rows[0][:5] == ["2026-03-02", "15:00", "2026-03-02", "23:00", "Asia/Shanghai"]  # UTC, then local
    assert " ".join(rows[0][8:]) == "- 2026-03-03 08:00 (2026-03-03 00:00 UTC)"  # no channel; the next try
    assert rows[1][8:] == ["wechat", "-"]
    assert lines[3].strip() == expected_by_customer["c-late"][0].detail

    assert main(["explain", "c-late", "--json", "--limit", "2"]) == 0
    latest = [ContactDecision.model_validate(d) for d in json.loads(capsys.readouterr().out)]
    assert latest == expected_by_customer["c-late"][-2:]
    assert main(["explain", "c-nobody", "--json"]) == 0
    assert [d["reason"] for d in json.loads(capsys.readouterr().out)] == ["no_consent"]
    assert main(["explain", "c-stranger"]) == 1
    assert "no contact decisions about customer 'c-stranger'" in capsys.readouterr().err


def _read(settings: Settings, role: str, count: int) -> list[bytes]:
    """The topic's records once there are ``count``, and a moment more to see that no others follow."""
    topic = settings.topic_name(by_role(role))
    read_topic(settings, topic, lambda v: len(v) >= count, timeout=90)
    return read_topic(settings, topic, lambda v: False, timeout=3)
