"""The rule catalogue: routing is data. Each rule is ``decide(state, stimulus, now, policy) -> Decision``."""

from __future__ import annotations

from streams.domain.decision import Rule
from streams.rules import (
    birthday,
    browse_followup,
    churn_warning,
    cross_sell,
    lifecycle,
    product_alerts,
    replenishment,
    tier_upgrade,
    usage_guide,
    welcome,
)

__all__ = ["RULES", "RULES_BY_NAME"]

RULES: tuple[Rule, ...] = (
    Rule(browse_followup.NAME, browse_followup.decide),
    Rule(lifecycle.NAME, lifecycle.decide),
    Rule(product_alerts.NAME, product_alerts.decide),
    Rule(welcome.NAME, welcome.decide),
    Rule(tier_upgrade.NAME, tier_upgrade.decide),
    Rule(churn_warning.NAME, churn_warning.decide),
    Rule(birthday.NAME, birthday.decide),
    Rule(usage_guide.NAME, usage_guide.decide),
    Rule(replenishment.NAME, replenishment.decide),
    Rule(cross_sell.NAME, cross_sell.decide),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
