"""``comeback replay`` and ``comeback produce`` over the real broker and worker."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schemas.control import WatermarkAdvanced
from schemas.topics import INPUT_TOPICS, by_role
from streams.adapters.kafka_admin import create_topics
from streams.adapters.redis_view import connect, read_profile
from streams.adapters.table_codec import decode
from streams.domain.customer.profile import derive_profile
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy
from streams.engine.reference import run_reference
from streams.sdk.producer import MARK_EVERY, EventProducer
from streams.tools.cli import main
from streams.tools.replay import WATERMARK_MARGIN
from tests.factories import follow, line, order, view
from tests.integration.helpers import Workers, read_topic, settings_from

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOB_SECOND = datetime(2026, 3, 2, 10, tzinfo=UTC)
ORDER_LOG = f"""\
Order No,Buyer,Paid At,Paid,Qty,SKU,Cat,brand
A-1,c-ann,2026-03-01 10:00,120.50,1,p-mat,yoga,Lotus
A-1,c-ann,2026-03-01 10:00,59.00,2,p-shampoo,haircare,Herba
A-2,c-ann,02/03/2026 18:30,80,1,p-wear,sportswear,Lotus
,c-bob,2026-03-01T12:00:00+00:00,300,3,p-mat,yoga,
,c-bob,{int(BOB_SECOND.timestamp())},45.5,1,p-shampoo,haircare,Herba
A-3,c-cat,2026/03/03 09:15,999,1,p-bike,cycling,
A-4,c-cat,2026/03/0X 09:15,10,1,p-mat,yoga,
"""
MAPPING = "order=Order No,customer=Buyer,at=Paid At,amount=Paid,quantity=Qty,product=SKU,category=Cat"
# The same orders as events.
ORDERS = [
    order(
        "c-ann",
        order_id="A-1",
        at=datetime(2026, 3, 1, 10, tzinfo=SHANGHAI),
        total=179.5,
        lines=[line("p-mat", "yoga", 120.5, brand="Lotus"), line("p-shampoo", "haircare", 29.5, 2, brand="Herba")],
    ),
    order(
        "c-ann",
        order_id="A-2",
        at=datetime(2026, 3, 2, 18, 30, tzinfo=SHANGHAI),
        lines=[line("p-wear", "sportswear", 80, brand="Lotus")],
    ),
    order("c-bob", at=datetime(2026, 3, 1, 12, tzinfo=UTC), lines=[line("p-mat", "yoga", 100, 3)]),
    order("c-bob", at=BOB_SECOND, lines=[line("p-shampoo", "haircare", 45.5, brand="Herba")]),
    order(
        "c-cat", order_id="A-3", at=datetime(2026, 3, 3, 9, 15, tzinfo=SHANGHAI), lines=[line("p-bike", "cycling", 999)]
    ),
]

Summary = tuple[int, float, float, datetime | None, datetime | None]


def _summary(state: CustomerState) -> Summary:
    return state.order_count, state.total_spent, state.max_order_value, state.first_order_at, state.last_order_at


def _latest(values: list[bytes]) -> dict[str, CustomerState]:
    states = (decode(CustomerState, value) for value in values)
    return {state.customer_id: state for state in states}  # the latest per customer wins


def _use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_a_replayed_csv_order_log_gives_the_customer_states_of_the_reference_run(
    workers: Workers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = workers.start(clock="event")
    _use_env(monkeypatch, workers.env)
    log = tmp_path / "orders.csv"
    log.write_text(ORDER_LOG, encoding="utf-8")
    states, _ = run_reference(ORDERS, Policy(), ORDERS[-1].occurred_at + WATERMARK_MARGIN)
    expected = {customer_id: _summary(state) for customer_id, state in states.items()}
    assert expected["c-ann"] == (2, 259.5, 179.5, ORDERS[0].occurred_at, ORDERS[1].occurred_at)

    # Twice: the second replay repeats every event id, which the worker drops.
    assert main(["replay", str(log), "--map", MAPPING, "--no-watermark"]) == 0
    assert main(["replay", str(log), "--map", MAPPING]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == 2 * [
        "sent 5 events; skipped 1 malformed rows",
        "  line 8: unrecognised date '2026/03/0X 09:15'",
    ]
    assert "5/5" in err

    # A customer's events are processed in order: once their follow is stored, so are the repeats before it.
    with EventProducer(settings) as producer:
        producer.send_all(follow(customer_id, at=ORDERS[-1].occurred_at) for customer_id in expected)

    def all_followed(values: list[bytes]) -> bool:
        latest = _latest(values)
        return set(latest) == set(expected) and all("follows_shop" in state.facts for state in latest.values())

    values = read_topic(settings, f"{settings.app_id}-customer_to_state-changelog", all_followed)
    assert all_followed(values)
    assert {customer_id: _summary(state) for customer_id, state in _latest(values).items()} == expected


def test_produce_sends_the_valid_lines_of_stdin_and_reports_the_invalid_ones(
    comeback_env: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = comeback_env()
    settings = settings_from(env)
    create_topics(settings)
    _use_env(monkeypatch, env)
    events = [view("c-1", event_id="pv-1"), view("c-2", event_id="pv-2")]
    lines = [
        events[0].model_dump_json(),
        "{broken",
        "",
        json.dumps({"type": "product_viewed"}),
        events[1].model_dump_json(),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["produce"]) == 0
    out, err = capsys.readouterr()
    assert out == "sent 2 events; skipped 2 invalid lines\n"
    assert (
        err.startswith("comeback: line 2: Invalid JSON")
        and "comeback: line 4: product_viewed.event_id: Field required" in err
    )
    values = read_topic(settings, settings.topic_name(by_role("behavior")), lambda v: len(v) >= 2, timeout=20)
    assert sorted(json.loads(v)["event_id"] for v in values) == ["pv-1", "pv-2"]
    assert main(["produce", "/no/such/file.jsonl"]) == 2


def test_sending_in_time_order_marks_every_input_partition_each_day_and_refuses_an_older_event(
    comeback_env: Callable[..., dict[str, str]],
) -> None:
    """A quiet topic (here the catalog gets nothing) still sees event time move, a day at a time."""
    settings = settings_from(comeback_env())
    create_topics(settings)
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    events = [view(customer_id="c-1", at=start + MARK_EVERY * n / 2) for n in range(5)]  # every half day
    with EventProducer(settings) as producer:
        assert producer.send_in_time_order(events) == len(events)
        with pytest.raises(ValueError, match="older than one sent before"):
            producer.send_in_time_order([events[1], events[0]])
    catalog = settings.topic_name(by_role("catalog"))
    marks = read_topic(settings, catalog, lambda v: len(v) >= 2 * settings.partitions, timeout=20)
    expected = [events[2].occurred_at, events[4].occurred_at]
    assert sorted(WatermarkAdvanced.model_validate_json(m).at for m in marks) == sorted(
        at for at in expected for _ in range(settings.partitions)
    )


def test_after_an_event_time_replay_rebuild_profiles_derives_them_as_of_the_replays_end(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Profiles rebuilt from the changelog take the run's clock (its saved watermark), not today's: at
    today's wall clock every customer of a replayed history would look lost."""
    settings = workers.start(clock="event", redis_prefix=f"t{uuid.uuid4().hex[:8]}:")
    _use_env(monkeypatch, workers.env)
    until = ORDERS[-1].occurred_at + WATERMARK_MARGIN
    with EventProducer(settings) as producer:
        producer.send_in_time_order(sorted(ORDERS, key=lambda e: e.occurred_at))
        producer.advance_watermark(until)
    states, _ = run_reference(ORDERS, Policy(), until)
    changelog = f"{settings.app_id}-customer_to_state-changelog"
    applied = {c: state.revision for c, state in states.items()}  # not only held: folded as the reference did
    read_topic(settings, changelog, lambda v: {c: state.revision for c, state in _latest(v).items()} == applied)
    inputs = 2 * sum(1 for spec in INPUT_TOPICS if spec.accepts("watermark_advanced"))  # two partitions each

    def every_input_saved_at_the_end(values: list[bytes]) -> bool:
        """The final watermark of every input partition is written (at a flush, after the states before it)."""
        return sum(datetime.fromisoformat(json.loads(value)) >= until for value in values) >= inputs

    read_topic(settings, f"{settings.app_id}-source_to_watermark-changelog", every_input_saved_at_the_end)

    assert main(["rebuild-profiles"]) == 0
    with connect(settings.redis_url.get_secret_value()) as client:
        rebuilt = {customer_id: read_profile(client, settings.redis_prefix, customer_id) for customer_id in states}
    assert rebuilt == {c: derive_profile(state, until, Policy()) for c, state in states.items()}
