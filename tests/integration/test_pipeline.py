"""The whole pipeline over real sockets: producer -> broker -> worker -> trigger and dead-letter topics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.dead_letter import DeadLetter
from schemas.decisions import ContactDecision
from schemas.topics import INPUT_TOPICS, by_role
from schemas.triggers import Trigger
from streams.adapters.table_codec import decode
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.domain.product.state import ProductState
from streams.sdk.producer import EventProducer
from tests.factories import order, product_upserted, profile_changed, view
from tests.integration.helpers import Workers, open_contact_policy, read_topic, reference_end, write_policy

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _valid_event(role: str, n: int) -> dict[str, object]:
    base = {"event_id": f"valid-{role}-{n}", "occurred_at": T0.isoformat()}
    if role == "catalog":
        return base | {"type": "stock_level_changed", "product_id": f"p-{role}", "available": 5}
    kinds = {
        "orders": {"type": "order_cancelled", "order_id": "o-1"},
        "behavior": {"type": "shop_followed"},
        "customers": {"type": "customer_profile_changed", "timezone": "Asia/Shanghai"},
    }
    return base | kinds[role] | {"customer_id": f"c-{role}"}


def test_bad_input_on_every_input_topic_is_dead_lettered_and_the_next_valid_message_still_processed(
    workers: Workers,
) -> None:
    settings = workers.start(clock="event")
    with EventProducer(settings) as producer:
        for spec in INPUT_TOPICS:
            producer.send_raw(spec, b"k", b"\xff garbage")
            producer.send(_valid_event(spec.role, 1))
    letters = read_topic(settings, settings.topic_name(by_role("dead_letters")), lambda v: len(v) >= len(INPUT_TOPICS))
    rejected = {DeadLetter.model_validate_json(v).source_topic: DeadLetter.model_validate_json(v) for v in letters}
    assert set(rejected) == {settings.topic_name(spec) for spec in INPUT_TOPICS}
    assert all(letter.code == "not_json" and letter.value_base64 == "/yBnYXJiYWdl" for letter in rejected.values())

    def customers(values: list[bytes]) -> set[str]:
        return {decode(CustomerState, v).customer_id for v in values}

    def products(values: list[bytes]) -> set[str]:
        return {decode(ProductState, v).product_id for v in values}

    for table, keys, stored in (
        ("customer_to_state", {"c-orders", "c-behavior", "c-customers"}, customers),
        ("product_to_state", {"p-catalog"}, products),
    ):
        seen = read_topic(settings, f"{settings.app_id}-{table}-changelog", lambda v: keys <= stored(v))
        assert keys <= stored(seen)


def test_the_worker_emits_exactly_the_triggers_and_contact_decisions_the_pure_core_predicts(workers: Workers) -> None:
    settings = workers.start(clock="event")
    hour = timedelta(hours=1)
    first_view = view(customer_id="c-a", at=T0)
    events = [
        *(profile_changed(c, at=T0 - hour, consents={"push": True}) for c in ("c-a", "c-b", "c-c")),
        first_view,
        view(customer_id="c-a", product_id="p2", at=T0 + hour / 2),
        view(customer_id="c-b", at=T0),
        order(customer_id="c-b", at=T0 + hour),
        view(customer_id="c-c", at=T0),
        order(customer_id="c-c", at=T0 + 3 * hour),
        first_view,  # a redelivered view changes nothing
    ]
    until = T0 + 10 * hour
    reference = reference_end(events, Policy(), until)
    expected = reference.triggers
    with EventProducer(settings) as producer:
        producer.send_all(events)
        producer.advance_watermark(until)
    values = read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: len(v) >= len(expected))
    received = [Trigger.model_validate_json(v) for v in values]
    assert sorted(t.trigger_id for t in received) == sorted(t.trigger_id for t in expected)
    assert {t.customer_id for t in received if t.type == "browse_followup"} == {"c-a", "c-c"}
    wanted = len(reference.decisions)
    decided = read_topic(settings, settings.topic_name(by_role("decisions")), lambda v: len(v) >= wanted)
    records = sorted(map(ContactDecision.model_validate_json, decided), key=lambda d: (d.decided_at, d.decision_id))
    assert records == sorted(reference.decisions, key=lambda d: (d.decided_at, d.decision_id))
    # c-b's welcome is held out (control group); c-c's is capped by the browse follow-up sent that local day
    assert {(d.customer_id, d.type, d.outcome) for d in records if d.type == "welcome"} == {
        ("c-b", "welcome", "held_out"),
        ("c-c", "welcome", "capped"),
    }


def _short_delay_policy(tmp_path: Path, seconds: float) -> Path:
    """Browse follow-ups due ``seconds`` after the view, sent at once at any hour (the contact stage open)."""
    sections = {"version": "fast-test", "browse_followup": {"delay_hours": seconds / 3600}}
    return write_policy(tmp_path / "policy.yaml", open_contact_policy(**sections))


def test_on_the_wall_clock_a_browse_followup_fires_within_a_second_of_its_due_time(
    workers: Workers, tmp_path: Path
) -> None:
    """Timers are exact: the ticker wakes the customer at the due time, not on the next event."""
    settings = workers.start(clock="wall", policy_file=_short_delay_policy(tmp_path, 4))
    topic = settings.topic_name(by_role("triggers"))
    read_topic(settings, topic, lambda v: False, timeout=8)  # let the worker join its group first
    with EventProducer(settings) as producer:
        producer.send(view(customer_id="c-wall", at=datetime.now(UTC)))
    values = read_topic(settings, topic, lambda v: len(v) >= 1, timeout=30)
    trigger = Trigger.model_validate_json(values[0])
    assert trigger.policy_version.startswith("fast-test+")
    assert timedelta(0) <= trigger.emitted_at - trigger.due_at < timedelta(seconds=1)


def test_a_pending_timer_survives_a_worker_restart(workers: Workers, tmp_path: Path) -> None:
    """The timer lives in the changelog-backed table: a new worker restores it and fires it once."""
    settings = workers.start(clock="wall", policy_file=_short_delay_policy(tmp_path, 25))
    changelog = f"{settings.app_id}-customer_to_state-changelog"
    with EventProducer(settings) as producer:
        producer.send(view(customer_id="c-restart", at=datetime.now(UTC)))
    read_topic(settings, changelog, lambda v: len(v) >= 1, timeout=20)
    workers.stop_all()
    workers.start(workers.env)
    values = read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: len(v) >= 1, timeout=60)
    assert [Trigger.model_validate_json(v).customer_id for v in values] == ["c-restart"]
    assert read_topic(settings, settings.topic_name(by_role("triggers")), lambda v: False, timeout=3) == values


def test_on_the_wall_clock_a_replenishment_reminder_uses_the_catalogs_cycle(workers: Workers, tmp_path: Path) -> None:
    """The order's lookup crosses to the product side and back: a 1-day catalog cycle with a lead of all but
    6 seconds reminds 6 seconds after the purchase, in a category the policy knows no cycle for."""
    sections = {"version": "cycle-test", "replenishment": {"lead_days": 1 - 6 / 86400}}
    policy_file = write_policy(tmp_path / "policy.yaml", open_contact_policy(**sections))
    settings = workers.start(clock="wall", policy_file=policy_file)
    topic = settings.topic_name(by_role("triggers"))
    read_topic(settings, topic, lambda v: False, timeout=8)  # let the worker join its group first
    now = datetime.now(UTC)
    with EventProducer(settings) as producer:
        producer.send(product_upserted(product_id="p-vit", category="vitamins", replenishment_days=1, at=now))
        producer.send(
            order(customer_id="c-vit", product_id="p-vit", category="vitamins", at=now + timedelta(seconds=1))
        )
    values = read_topic(settings, topic, lambda v: any(b'"replenishment"' in x for x in v), timeout=40)
    [reminder] = [t for t in map(Trigger.model_validate_json, values) if t.type == "replenishment"]
    assert (reminder.customer_id, reminder.facts["cycle_source"], reminder.facts["cycle_days"]) == (
        "c-vit",
        "catalog",
        1,
    )
    assert abs(reminder.due_at - (now + timedelta(seconds=7))) < timedelta(milliseconds=1)  # lead in float days
    assert timedelta(0) <= reminder.emitted_at - reminder.due_at < timedelta(seconds=1)
