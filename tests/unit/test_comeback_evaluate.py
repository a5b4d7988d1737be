"""``comeback evaluate`` and ``comeback fit`` on a small simulated shop: every model is measured, the figures
are sane, the HTML and JSON are written, and the fold replay gives the reference run's states."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from schemas.base import Envelope
from streams.domain.policy import Policy
from streams.tools.cli import main
from streams.tools.comeback import Evaluation, auc, evaluate, format_table, load_model, states_at
from streams.tools.report.comeback_html import write_evaluation
from streams.tools.simulator import simulate_shop, write_jsonl

START = datetime(2025, 1, 1)
NAMES = (
    "engine model",
    "BG/NBD alone",
    "R+F+M (shop quintiles)",
    "R+F+M (absolute cut points)",
    "recency alone",
    "90-day rule",
)


@cache
def _shop() -> list[Envelope]:
    return list(simulate_shop(21, 300, 400, START))


def _cutoff() -> datetime:
    return _shop()[0].occurred_at + timedelta(days=310)


@cache
def _evaluation() -> Evaluation:
    return evaluate(_shop(), Policy(), _cutoff(), 90, replay="fold")


def test_auc_is_the_share_of_pairs_ranked_right() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert auc([1, 1, 1], [True, False, True]) == pytest.approx(0.5)
    assert auc([0.2, 0.3], [True, True]) == 0.5


def test_every_model_is_measured_and_the_models_rank_better_than_chance() -> None:
    e = _evaluation()
    assert tuple(r.name for r in e.results) == NAMES
    assert e.buyers > 100 and 0 < e.ordered_again < e.buyers
    by_name = {r.name: r for r in e.results}
    assert by_name["engine model"].auc > 0.7 and by_name["BG/NBD alone"].auc > 0.7
    assert by_name["engine model"].auc >= by_name["BG/NBD alone"].auc - 0.03
    for r in e.results:
        assert r.rmse > 0 and 0.5 <= r.auc <= 1
        assert list(r.lift) == sorted(r.lift) and r.lift[-1] == pytest.approx(1.0)
    assert e.model.calibrated is not None
    table = format_table(e)
    assert all(name in table for name in NAMES) and "AUC" in table and "RMSE" in table


def test_the_figures_go_to_html_with_a_lift_chart_and_to_json(tmp_path: Path) -> None:
    html, figures = write_evaluation(_evaluation(), tmp_path)
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "lift chart" in page and "BG/NBD alone" in page
    data = json.loads(figures.read_text(encoding="utf-8"))
    assert [r["name"] for r in data["results"]] == list(NAMES)
    assert data["model"]["bgnbd"]["r"] > 0


def test_the_fold_replay_gives_the_reference_runs_states() -> None:
    """The same orders, refunds and views (the catalog's cycles, answered by the product side, aside)."""
    events = list(simulate_shop(4, 8, 45, START))
    at = events[0].occurred_at + timedelta(days=40)
    reference, fold = states_at(events, Policy(), at), states_at(events, Policy(), at, replay="fold")
    assert set(reference) == set(fold)
    for cid, state in reference.items():
        assert [o.model_copy(update={"catalog_cycles": {}}) for o in state.orders] == list(fold[cid].orders)
        assert state.views == fold[cid].views and state.favorites == fold[cid].favorites


def test_the_commands_fit_and_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "shop.jsonl"
    with history.open("w", encoding="utf-8") as out:
        write_jsonl(_shop(), out)
    model_path = tmp_path / "model.json"
    until = _cutoff().date().isoformat()
    assert main(["fit", str(history), "--until", until, "--out", str(model_path), "--replay", "fold"]) == 0
    model = load_model(model_path)
    assert model.buyers > 100 and model.fingerprint in capsys.readouterr().out
    cutoff = ["--cutoff", until, "--horizon", "90"]
    assert main(["evaluate", str(history), *cutoff, "--replay", "fold", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "engine model" in printed and "evaluate.html" in printed
    assert main(["fit", str(tmp_path / "missing.jsonl")]) == 2
