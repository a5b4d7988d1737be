"""Rule routing (``streams.rules.RULES_FOR``): a stimulus goes only to the rules that name its type, and every
other rule would have left it alone. Checked over a simulated shop run with every rule seeing every stimulus."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import pytest

import streams.engine.customer as engine
from streams.domain.customer.state import CustomerState
from streams.domain.decision import Decision, Rule, Stimulus
from streams.domain.policy import Policy
from streams.engine.reference import run_reference
from streams.rules import RULES, RULES_FOR
from streams.tools.simulator import simulate_shop
from tests.factories import T0, unfollow


class EveryRule(Mapping[type, tuple[Rule, ...]]):
    """A routing that hands every stimulus to every rule and notes, per rule and stimulus type, whether the rule
    changed anything."""

    def __init__(self) -> None:
        self.acted: dict[tuple[str, type], bool] = {}

    def _noting(self, rule: Rule) -> Rule:
        def decide(state: CustomerState, stimulus: Stimulus, now: datetime, policy: Policy) -> Decision:
            decided = rule.decide(state, stimulus, now, policy)
            key = (rule.name, type(stimulus))
            self.acted[key] = self.acted.get(key, False) or decided != Decision(state)
            return decided

        return Rule(rule.name, decide, rule.stimuli)

    def __getitem__(self, kind: type) -> tuple[Rule, ...]:
        return tuple(self._noting(rule) for rule in RULES)

    def __iter__(self) -> Iterator[type]:
        return iter(RULES_FOR)

    def __len__(self) -> int:
        return len(RULES_FOR)

    def get(self, kind: type, default: object = None) -> tuple[Rule, ...]:  # type: ignore[override]
        return self[kind]


def test_a_rule_changes_nothing_for_a_stimulus_type_it_does_not_name(monkeypatch: pytest.MonkeyPatch) -> None:
    every = EveryRule()
    monkeypatch.setattr(engine, "RULES_FOR", every)
    events = list(simulate_shop(seed=5, customers=60, days=120, start=T0))
    buyers = sorted({e.customer_id for e in events if e.type == "order_placed"})[:10]
    events += [unfollow(customer_id, at=T0 + timedelta(days=100)) for customer_id in buyers]  # the simulator has none
    run_reference(events, Policy(), T0 + timedelta(days=120))
    seen = {kind for _, kind in every.acted}
    assert {*RULES_FOR} <= seen  # the shop gave every routed type, product alerts and cycle answers among them
    routed = {(rule.name, kind) for kind, rules in RULES_FOR.items() for rule in rules}
    assert [key for key, acted in every.acted.items() if acted and key not in routed] == []
    assert {name for (name, _), acted in every.acted.items() if acted} == {rule.name for rule in RULES}
