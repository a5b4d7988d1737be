"""The rule catalogue: routing is data. Each rule is ``decide(state, stimulus, now, policy) -> Decision``, and says
which stimuli besides its own timers it reacts to: a stimulus goes only to the rules that name its type
(``RULES_FOR``); ``tests/unit/test_rule_routing.py`` checks that every other rule leaves it alone."""

from __future__ import annotations

from collections.abc import Mapping

from schemas import events as ev
from schemas.control import ProductAlert, ProductCycle
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

__all__ = ["RULES", "RULES_BY_NAME", "RULES_FOR"]

_ORDER_CHANGES = (ev.OrderPlaced, ev.OrderCancelled, ev.OrderRefunded)

RULES: tuple[Rule, ...] = (
    Rule(browse_followup.NAME, browse_followup.decide, (ev.ProductViewed, ev.OrderPlaced)),
    Rule(lifecycle.NAME, lifecycle.decide, _ORDER_CHANGES),
    Rule(product_alerts.NAME, product_alerts.decide, (ProductAlert,)),
    Rule(welcome.NAME, welcome.decide, (ev.OrderPlaced,)),
    Rule(tier_upgrade.NAME, tier_upgrade.decide, (ev.OrderPlaced,)),
    Rule(churn_warning.NAME, churn_warning.decide, (ev.ProductViewed, ev.ShopUnfollowed)),
    Rule(birthday.NAME, birthday.decide, (ev.CustomerProfileChanged,)),
    Rule(usage_guide.NAME, usage_guide.decide, _ORDER_CHANGES),
    Rule(replenishment.NAME, replenishment.decide, (*_ORDER_CHANGES, ProductCycle)),
    Rule(cross_sell.NAME, cross_sell.decide, _ORDER_CHANGES),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
RULES_FOR: Mapping[type, tuple[Rule, ...]] = {
    kind: tuple(rule for rule in RULES if kind in rule.stimuli) for kind in {k for r in RULES for k in r.stimuli}
}
"""The rules a stimulus of each type goes to, in catalogue order; a type no rule names goes to none."""
