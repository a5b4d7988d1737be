"""The rule catalogue: routing is data. Each rule is ``decide(state, stimulus, now, policy) -> Decision``."""

from __future__ import annotations

from streams.core.decision import Rule
from streams.rules import browse_followup, lifecycle

__all__ = ["RULES", "RULES_BY_NAME"]

RULES: tuple[Rule, ...] = (
    Rule(browse_followup.NAME, browse_followup.decide),
    Rule(lifecycle.NAME, lifecycle.decide),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
