"""The report: weekly figures agree with the engine's states and triggers; the page is self-contained."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from schemas.base import Envelope
from schemas.events import EVENT_ADAPTER
from streams.domain.customer.profile import derive_profile
from streams.domain.policy import Policy
from streams.engine.reference import checkpoints, run_reference
from streams.engine.uplift import purchases, uplift_by_type
from streams.tools.cli import main
from streams.tools.report.contact import OUTCOMES
from streams.tools.report.figures import LIFECYCLES, TIERS, TRIGGER_TYPES, Report, compute_report, repurchase_rate
from streams.tools.report.files import read_jsonl, write_report
from streams.tools.report.html import render_html
from streams.tools.report.summary import format_summary
from streams.tools.simulator import simulate_shop
from tests.factories import T0, cancel, days, order, policy, view

SAMPLE = Path(__file__).resolve().parents[2] / "streams" / "data" / "sample.jsonl"
CHARTS = 5  # lifecycle, segments, triggers, repurchase rate, tiers at the end


@pytest.fixture(scope="module")
def shop() -> list[Envelope]:
    """Six weeks of a small simulated shop (times at +08:00)."""
    return list(simulate_shop(seed=3, customers=15, days=38, start=datetime(2026, 3, 4, 10)))


@pytest.fixture(scope="module")
def report(shop: list[Envelope]) -> Report:
    return compute_report(shop, Policy())


def test_weeks_start_on_monday_midnight_at_the_first_events_offset(report: Report, shop: list[Envelope]) -> None:
    starts = [w.start for w in report.weeks]
    assert report.zone == "UTC+08:00" and len(starts) >= 5
    assert all(s.weekday() == 0 and (s.hour, s.minute, s.utcoffset()) == (0, 0, timedelta(hours=8)) for s in starts)
    assert starts == [report.start + i * timedelta(days=7) for i in range(len(starts))]
    assert report.start <= min(e.occurred_at for e in shop) and max(e.occurred_at for e in shop) < report.end


def test_an_event_at_monday_midnight_opens_the_next_week() -> None:
    zone = timezone(timedelta(hours=8))
    sunday_night, monday = datetime(2026, 3, 8, 23, 59, tzinfo=zone), datetime(2026, 3, 9, tzinfo=zone)
    figures = compute_report([order("c1", at=sunday_night), order("c2", at=monday)], Policy())
    assert [(w.start, w.customers) for w in figures.weeks] == [(monday - days(7), 1), (monday, 2)]


def test_every_weeks_figures_are_those_of_derive_profile_over_the_offline_run_to_its_end(
    report: Report, shop: list[Envelope]
) -> None:
    for week in report.weeks:
        states, _ = run_reference([e for e in shop if e.occurred_at < week.end], Policy(), week.end)
        profiles = [derive_profile(s, week.end, Policy()) for s in states.values()]
        assert week.lifecycle == {stage: Counter(p.lifecycle for p in profiles)[stage] for stage in LIFECYCLES}
        assert week.tiers == {tier: Counter(p.tier for p in profiles)[tier] for tier in TIERS}
        assert week.segments == dict(Counter(name for p in profiles for name in p.segments))
        assert week.customers == len(profiles) == sum(week.lifecycle.values())


def test_the_final_week_is_the_offline_runs_end(report: Report, shop: list[Envelope]) -> None:
    states, triggers = run_reference(shop, Policy(), report.end)
    profiles = [derive_profile(s, report.end, Policy()) for s in states.values()]
    assert report.weeks[-1].lifecycle == {s: Counter(p.lifecycle for p in profiles)[s] for s in LIFECYCLES}
    totals = report.totals
    assert (totals.customers, totals.orders) == (len(states), sum(p.order_count for p in profiles))
    assert totals.revenue == pytest.approx(sum(p.total_spent for p in profiles))
    assert totals.triggers == len(triggers) > 0


def test_triggers_per_type_per_week_sum_to_the_triggers_by_due_time(report: Report, shop: list[Envelope]) -> None:
    _, triggers = run_reference(shop, Policy(), report.end)
    assert sum(n for w in report.weeks for n in w.triggers.values()) == report.totals.triggers == len(triggers)
    assert report.totals.triggers_outside == 0
    for week in report.weeks:
        due = Counter(t.type for t in triggers if week.start <= t.due_at < week.end)
        assert week.triggers == {kind: due[kind] for kind in TRIGGER_TYPES}


def test_given_triggers_are_counted_instead_and_those_due_outside_only_in_the_totals(
    report: Report, shop: list[Envelope]
) -> None:
    _, offline = run_reference(shop, Policy(), report.end)
    late = offline[0].model_copy(update={"due_at": report.end})
    given = [*offline[:10], late]
    figures = compute_report(shop, Policy(), given)
    assert (figures.totals.triggers, figures.totals.triggers_outside) == (11, 1)
    assert sum((Counter(w.triggers) for w in figures.weeks), Counter()) == Counter(t.type for t in offline[:10])
    same_but_triggers = (
        w.model_copy(update={"triggers": f.triggers}) for w, f in zip(report.weeks, figures.weeks, strict=True)
    )
    assert figures.weeks == tuple(same_but_triggers)


def test_repurchase_rate_of_a_hand_built_history() -> None:
    """Week 1: c1 and c2 buy, c3 only looks. Week 2: c1 again, c4 new.
    Week 3: c4 again; c2's second order is cancelled."""
    events = [
        order("c1", at=T0, total=50),
        order("c2", at=T0, total=80),
        view("c3", at=T0),
        order("c1", at=T0 + days(8), total=60),
        order("c4", at=T0 + days(9), total=200),
        order("c4", at=T0 + days(15), total=40),
        order("c2", order_id="c2-again", at=T0 + days(16), total=70),
        cancel("c2-again", customer_id="c2", at=T0 + days(16.5)),
    ]
    figures = compute_report(events, policy())
    assert [(w.buyers, w.repeat_buyers, w.repurchase_rate) for w in figures.weeks] == [
        (2, 0, 0.0),
        (3, 1, 0.3333),
        (3, 2, 0.6667),
    ]
    totals = figures.totals
    assert (totals.customers, totals.buyers, totals.repeat_buyers, totals.orders) == (4, 3, 2, 5)
    assert (totals.repurchase_rate, totals.revenue) == (0.6667, 430.0)


def test_repurchase_rate_is_undefined_without_buyers() -> None:
    assert repurchase_rate([]) is None and repurchase_rate([0, 0]) is None
    assert repurchase_rate([0, 1, 2, 3]) == 0.6667
    figures = compute_report([view("c1", at=T0)], Policy())
    assert figures.weeks[0].repurchase_rate is None and figures.totals.repurchase_rate is None


def test_no_events_is_an_error() -> None:
    with pytest.raises(ValueError, match="no events"):
        compute_report([], Policy())


def test_replay_checkpoints_see_the_events_before_each_mark_and_end_as_run_offline(shop: list[Envelope]) -> None:
    until = max(e.occurred_at for e in shop) + days(1)
    marks = [min(e.occurred_at for e in shop) + days(n) for n in (3, 10, 100)]
    *seen, end = checkpoints(shop, Policy(), until, marks)
    assert [c.at for c in seen] == marks[:2] and end.at == until
    states, triggers = run_reference(shop, Policy(), until)
    assert (dict(end.customers), end.triggers) == (states, triggers)
    for checkpoint in seen:
        before = [e for e in shop if e.occurred_at < checkpoint.at]
        known = {e.customer_id for e in before if hasattr(e, "customer_id")}
        assert set(checkpoint.customers) == known
        assert all(s.last_event_at is None or s.last_event_at < checkpoint.at for s in checkpoint.customers.values())


def _embedded(page: str) -> str:
    found = re.search(r'<script type="application/json" id="figures">(.*?)</script>', page, re.S)
    assert found
    return found.group(1)


def test_the_page_has_a_chart_each_no_external_loads_and_the_figures_as_json(report: Report) -> None:
    page = render_html(report)
    assert page.count("<svg") == CHARTS and page.count("</svg>") == CHARTS
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)\s*=|@import|url\(", page)
    assert Report.model_validate_json(_embedded(page)) == report
    for title in ("lifecycle stage", "segment", "Triggers per week", "Repurchase rate", "tier at the end", "Totals"):
        assert title in page


def test_text_from_the_policy_cannot_break_out_of_the_page(shop: list[Envelope]) -> None:
    figures = compute_report(shop[:50], policy(version="</script><svg onload=alert(1)>"))
    page = render_html(figures)
    assert page.count("</script>") == 1 and page.count("<svg") == CHARTS
    assert Report.model_validate_json(_embedded(page)) == figures


def test_the_command_writes_the_page_and_the_json_next_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(SAMPLE), "--out", str(tmp_path / "out")]) == 0
    html_path, json_path = tmp_path / "out" / "report.html", tmp_path / "out" / "report.json"
    assert capsys.readouterr().out.splitlines()[-2:] == [str(html_path), str(json_path)]  # after any summary
    figures = Report.model_validate_json(json_path.read_text(encoding="utf-8"))
    assert Report.model_validate_json(_embedded(html_path.read_text(encoding="utf-8"))) == figures
    assert figures.totals.triggers > 0 and figures.weeks[-1].customers == figures.totals.customers


def test_the_command_counts_the_triggers_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = read_jsonl(SAMPLE, EVENT_ADAPTER.validate_json)
    _, triggers = run_reference(events, Policy(), compute_report(events, Policy()).end)
    trigger_file = tmp_path / "triggers.jsonl"
    trigger_file.write_text("".join(t.model_dump_json() + "\n" for t in triggers[:3]), encoding="utf-8")
    assert main(["report", str(SAMPLE), "--triggers", str(trigger_file), "--out", str(tmp_path)]) == 0
    figures = Report.model_validate_json((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert figures.totals.triggers == 3
    assert +Counter(figures.weeks[0].triggers) == Counter(t.type for t in triggers[:3])


def test_the_command_names_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "events.jsonl"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").splitlines()[0] + '\n{"type": "order_placed"}\n')
    assert main(["report", str(bad), "--out", str(tmp_path)]) == 2
    assert f"{bad}, line 2" in capsys.readouterr().err


def test_write_report_writes_the_same_figures_twice(report: Report, tmp_path: Path) -> None:
    html_path, json_path = write_report(report, tmp_path / "new" / "dir")
    assert Report.model_validate_json(json_path.read_text(encoding="utf-8")) == report
    assert Report.model_validate_json(_embedded(html_path.read_text(encoding="utf-8"))) == report


def test_the_contact_section_counts_every_decision_of_the_replay(report: Report, shop: list[Envelope]) -> None:
    *_, end = checkpoints(shop, Policy(), report.end)
    contact = report.contact
    assert contact.decisions == len(end.decisions) > 0
    assert contact.triggers == len({d.trigger_id for d in end.decisions})
    assert contact.outcomes == {o: Counter(d.outcome for d in end.decisions)[o] for o in OUTCOMES}
    assert contact.outcomes["sent"] == report.totals.triggers
    assert sum((Counter(c) for c in contact.by_type.values()), Counter()) == +Counter(contact.outcomes)
    for kind, counts in contact.by_type.items():
        assert counts == {o: Counter(d.outcome for d in end.decisions if d.type == kind)[o] for o in OUTCOMES}


def test_the_uplift_is_measured_on_the_replays_decisions_and_the_logs_orders(
    report: Report, shop: list[Envelope]
) -> None:
    *_, end = checkpoints(shop, Policy(), report.end)
    last = max(e.occurred_at for e in shop)
    windows = {t: Policy().contact.of(t).attribution_days for t in TRIGGER_TYPES}
    assert report.contact.windows_closed_by == last
    assert report.contact.uplift == uplift_by_type(end.decisions, purchases(shop), windows, last)
    assert {u.type for u in report.contact.uplift} <= {d.type for d in end.decisions if d.outcome == "sent"}


def test_the_page_and_the_screen_show_the_contact_section(report: Report) -> None:
    page, text = render_html(report), format_summary(report)
    for shown in (page, text):
        assert "Contact decisions" in shown and "Uplift" in shown
        assert all(o.replace("_", " ") in shown for o in OUTCOMES)
        assert all(kind in shown for kind in report.contact.by_type)
        assert all(u.type in shown for u in report.contact.uplift)
    assert f"{report.contact.decisions:,} records" in text and "customers needed" in text and "95% CI" in page
