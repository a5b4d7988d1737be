"""The shop simulator: deterministic, valid, time-ordered, consistent, and as varied as a real shop."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from schemas import events as ev
from schemas.base import Envelope
from schemas.events import EVENT_ADAPTER, EVENT_TYPES
from schemas.triggers import TriggerType
from streams.domain.policy import Policy
from streams.engine.reference import checkpoints
from streams.tools.cli import main
from streams.tools.simulator import SHOP_ZONE, ResponseTruth, simulate_shop, simulate_with_response

START = datetime(2026, 1, 1, tzinfo=SHOP_ZONE)
DAYS = 365
END = START + timedelta(days=DAYS)


@pytest.fixture(scope="module")
def year() -> list[Envelope]:
    """A year of a small shop, with 11.11 inside it."""
    return list(simulate_shop(7, 200, DAYS, START))


def _orders(events: list[Envelope]) -> list[ev.OrderPlaced]:
    return [e for e in events if isinstance(e, ev.OrderPlaced)]


def test_the_same_seed_gives_the_same_events_and_another_seed_others() -> None:
    run = list(simulate_shop(3, 40, 30, START))
    assert run == list(simulate_shop(3, 40, 30, START))
    assert run != list(simulate_shop(4, 40, 30, START))


def test_every_event_validates_and_every_kind_of_event_appears(year: list[Envelope]) -> None:
    assert all(EVENT_ADAPTER.validate_json(e.model_dump_json()) == e for e in year)
    assert {type(e) for e in year} == set(EVENT_TYPES.values()) - {ev.CustomerErasureRequested}


def test_times_are_aware_non_decreasing_and_inside_the_period(year: list[Envelope]) -> None:
    times = [e.occurred_at for e in year]
    assert all(t.utcoffset() == timedelta(hours=8) for t in times)
    assert times == sorted(times)
    assert times[0] >= START and times[-1] < END


def test_event_ids_are_unique(year: list[Envelope]) -> None:
    assert len({e.event_id for e in year}) == len(year)


def test_refunds_and_cancellations_follow_an_order_of_the_same_customer(year: list[Envelope]) -> None:
    placed: dict[str, ev.OrderPlaced] = {}
    adjustments = 0
    for event in year:
        if isinstance(event, ev.OrderPlaced):
            placed[event.order_id] = event
        elif isinstance(event, ev.OrderRefunded | ev.OrderCancelled):
            order = placed[event.order_id]
            assert (order.customer_id, order.occurred_at <= event.occurred_at) == (event.customer_id, True)
            adjustments += 1
    assert 0.02 < adjustments / len(placed) < 0.09


def test_the_catalog_precedes_every_event_about_its_products(year: list[Envelope]) -> None:
    known: set[str] = set()
    for event in year:
        if isinstance(event, ev.ProductUpserted):
            known.add(event.product_id)
        if isinstance(event, ev.OrderPlaced):
            assert {line.product_id for line in event.lines} <= known, event
        assert getattr(event, "product_id", None) in known | {None}, event
    assert 40 <= len(known) <= 80


def test_the_catalog_changes_low_stock_restocks_and_price_drops(year: list[Envelope]) -> None:
    stock = [e.available for e in year if isinstance(e, ev.StockLevelChanged)]
    drops = [e for e in year if isinstance(e, ev.PriceChanged) and e.new_price <= 0.9 * (e.old_price or 0)]
    assert min(stock) <= 5 and max(stock) >= 80 and drops


def test_the_big_sale_brings_several_days_of_traffic_and_a_day_of_orders(year: list[Envelope]) -> None:
    """The warm-up (Nov 8-10), 11.11 and the day after: views well above October's; orders peak on the day."""
    views = Counter(e.occurred_at.date() for e in year if isinstance(e, ev.ProductViewed))
    orders = Counter(o.occurred_at.date() for o in _orders(year))
    sale, october = [date(2026, 11, day) for day in range(8, 13)], [date(2026, 10, day) for day in range(1, 32)]
    assert sum(views[d] for d in sale) / len(sale) > 3 * sum(views[d] for d in october) / len(october)
    assert orders[date(2026, 11, 11)] > 3 * orders.total() / DAYS


def test_a_year_has_lost_customers_and_recent_buyers(year: list[Envelope]) -> None:
    last_order = {o.customer_id: o.occurred_at for o in _orders(year)}
    assert any(END - at > timedelta(days=360) for at in last_order.values())
    assert any(END - at < timedelta(days=90) for at in last_order.values())


def test_a_fifth_of_the_buyers_bring_most_of_the_revenue(year: list[Envelope]) -> None:
    revenue: defaultdict[str, float] = defaultdict(float)
    for order in _orders(year):
        revenue[order.customer_id] += order.total
    ranked = sorted(revenue.values(), reverse=True)
    assert sum(ranked[: len(ranked) // 5]) > 0.5 * sum(ranked)


def test_orders_mix_list_prices_discounts_coupons_and_several_lines(year: list[Envelope]) -> None:
    orders = _orders(year)
    assert any(o.coupon_code for o in orders) and any(o.discount == 0 for o in orders)
    assert any(line.unit_price < (line.list_price or 0) for o in orders for line in o.lines)
    assert {len(o.lines) for o in orders} == {1, 2, 3, 4}
    for o in orders:
        assert sum(line.unit_price * line.quantity for line in o.lines) - o.discount == pytest.approx(o.total, abs=0.01)


def test_the_cli_writes_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "shop.jsonl"
    assert (
        main(
            ["simulate", "--seed", "5", "--customers", "10", "--days", "5", "--start", "2026-03-01", "--out", str(out)]
        )
        == 0
    )
    events = [EVENT_ADAPTER.validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert events == list(simulate_shop(5, 10, 5, datetime(2026, 3, 1, tzinfo=SHOP_ZONE)))


# --- the response model: customers answer the triggers they are sent ---------------------------------------

LOOP_DAYS = 40
EFFECTS: dict[TriggerType, float] = {"welcome": 0.5, "browse_followup": 0.5}


@pytest.fixture(scope="module")
def responded() -> tuple[list[Envelope], ResponseTruth]:
    return simulate_with_response(5, 150, LOOP_DAYS, START, EFFECTS, Policy())


def _extra(events: list[Envelope]) -> list[ev.OrderPlaced]:
    return [e for e in _orders(events) if e.event_id.startswith("sim-5-response-")]


def test_without_effects_the_closed_loop_gives_simulate_shops_events() -> None:
    events, truth = simulate_with_response(3, 40, 30, START, {}, Policy())
    assert events == list(simulate_shop(3, 40, 30, START))
    assert truth.responses == () and sum(truth.sent.values()) > 0


def test_responses_only_add_orders(responded: tuple[list[Envelope], ResponseTruth]) -> None:
    """Everything else is simulate_shop's, event for event: the extra orders draw from their own stream."""
    events, truth = responded
    extra = _extra(events)
    assert [e for e in events if e not in extra] == list(simulate_shop(5, 150, LOOP_DAYS, START))
    assert sorted(e.order_id for e in extra) == sorted(r.order_id for r in truth.responses)
    times = [e.occurred_at for e in events]
    assert times == sorted(times) and times[-1] < START + timedelta(days=LOOP_DAYS)
    assert all(EVENT_ADAPTER.validate_json(e.model_dump_json()) == e for e in extra)


def test_the_closed_loop_sends_what_the_offline_run_of_its_events_sends(
    responded: tuple[list[Envelope], ResponseTruth],
) -> None:
    events, truth = responded
    *_, end = checkpoints(events, Policy(), START + timedelta(days=LOOP_DAYS))
    assert Counter(t.type for t in end.triggers) == truth.sent
    assert {r.trigger_id for r in truth.responses} <= {t.trigger_id for t in end.triggers}


def test_an_extra_order_comes_from_the_next_day_inside_the_attribution_window_in_the_triggers_category(
    responded: tuple[list[Envelope], ResponseTruth],
) -> None:
    events, truth = responded
    *_, end = checkpoints(events, Policy(), START + timedelta(days=LOOP_DAYS))
    triggers = {t.trigger_id: t for t in end.triggers}
    extra = {e.order_id: e for e in _extra(events)}
    one_day = timedelta(days=1)
    for response in truth.responses:
        trigger, placed = triggers[response.trigger_id], extra[response.order_id]
        window = timedelta(days=Policy().contact.of(response.type).attribution_days)
        assert (trigger.type, trigger.customer_id, trigger.send_after) == (
            response.type,
            placed.customer_id,
            response.sent_at,
        )
        assert response.sent_at < placed.occurred_at == response.at <= response.sent_at + window
        assert (placed.occurred_at - START) // one_day > (response.sent_at - START) // one_day
        named = [p.category for p in trigger.products if p.category]
        assert not named or placed.lines[0].category == named[0]
    for kind in EFFECTS:
        planted = sum(r.type == kind for r in truth.responses)
        assert 0.3 * truth.sent[kind] < planted < 0.7 * truth.sent[kind]


def test_effects_are_probabilities() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        simulate_with_response(1, 5, 5, START, {"welcome": 1.5}, Policy())
