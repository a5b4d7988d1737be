"""tier_upgrade, through the engine: a single order of 188 yuan or more makes a VIP (20-yuan coupon), of 388
or more a super VIP (50-yuan coupon); the gift is sent once per tier (domain: "Membership tiers")."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from factories import T0, cancel, days, hours, order, policy, refund, run

from schemas.events import Channel
from schemas.triggers import Trigger
from streams.engine.reference import run_reference
from streams.rules.tier_upgrade import NAME


def upgrades(triggers: Sequence[Trigger]) -> list[str]:
    """The tiers reached, in the order their triggers were sent."""
    return [str(t.facts["tier"]) for t in triggers if t.type == NAME]


@pytest.mark.parametrize(
    ("total", "reached"),
    [
        (187.99, []),
        (188.0, ["vip"]),
        (387.99, ["vip"]),
        (388.0, ["super_vip"]),
    ],
    ids=["187.99 is not vip", "188 is vip", "387.99 is only vip", "388 is super vip"],
)
def test_a_single_order_of_188_makes_a_vip_and_of_388_a_super_vip(total: float, reached: list[str]) -> None:
    _, triggers = run([order(total=50.0, at=T0 - days(10)), order(total=total, at=T0)])
    assert upgrades(triggers) == reached


def test_the_vip_gift_is_the_policy_coupon_valid_for_the_policy_days() -> None:
    _, triggers = run(
        [order(order_id="small", total=50.0, at=T0 - days(10)), order(order_id="big", total=200.0, at=T0)]
    )
    [trigger] = [t for t in triggers if t.type == NAME]
    assert (trigger.offer.kind, trigger.offer.value, trigger.offer.valid_days) == ("coupon", 20, 30)
    assert (trigger.due_at, trigger.channel) == (T0, Channel.WECHAT)
    assert trigger.facts == {
        "previous_tier": "member",
        "tier": "vip",
        "order_id": "big",
        "order_total": 200.0,
        "threshold": 188.0,
    }
    assert "big" in trigger.reason and "188" in trigger.reason and "member -> vip" in trigger.reason
    assert trigger.customer.tier == "vip"


def test_the_super_vip_gift_is_the_larger_coupon() -> None:
    _, triggers = run([order(total=400.0, at=T0)])
    [trigger] = [t for t in triggers if t.type == NAME]
    assert (trigger.offer.value, trigger.facts["previous_tier"], trigger.facts["tier"]) == (50, "none", "super_vip")


def test_a_jump_from_member_straight_to_super_vip_gives_only_the_super_vip_trigger() -> None:
    _, triggers = run([order(total=100.0, at=T0), order(total=500.0, at=T0 + days(1))])
    assert upgrades(triggers) == ["super_vip"]


def test_vip_then_super_vip_gives_one_trigger_each() -> None:
    _, triggers = run([order(total=200.0, at=T0), order(total=400.0, at=T0 + days(1))])
    assert upgrades(triggers) == ["vip", "super_vip"]
    assert len({t.trigger_id for t in triggers if t.type == NAME}) == 2


def test_another_order_above_the_threshold_of_the_current_tier_lifts_nothing() -> None:
    _, triggers = run([order(total=200.0, at=T0), order(total=250.0, at=T0 + days(1))])
    assert upgrades(triggers) == ["vip"]


def test_an_order_that_arrives_already_cancelled_lifts_nothing() -> None:
    _, triggers = run([cancel("big", at=T0 + hours(1)), order(order_id="big", total=400.0, at=T0)])
    assert upgrades(triggers) == []


def test_a_late_smaller_order_does_not_congratulate_on_a_tier_already_passed() -> None:
    """The 200-yuan order happened first but arrives after the 400-yuan one: the customer is already super VIP."""
    _, triggers = run([order(total=400.0, at=T0 + days(1)), order(total=200.0, at=T0)])
    assert upgrades(triggers) == ["super_vip"]


def test_a_tier_is_congratulated_once_even_if_lost_and_regained() -> None:
    """With downgrade on refund, a refunded VIP order drops the tier; buying big again is not a new VIP gift."""
    downgrading = policy(tiers={"downgrade_on_refund": True})
    events = [
        order(order_id="a", total=200.0, at=T0),
        refund("a", 200.0, at=T0 + days(1)),
        order(order_id="b", total=200.0, at=T0 + days(2)),
    ]
    _, triggers = run(events, using=downgrading)
    assert upgrades(triggers) == ["vip"]


def test_a_redelivered_upgrading_order_sends_nothing_more() -> None:
    big = order(order_id="big", total=400.0, at=T0)
    state, _ = run([big])
    assert run([big], state=state)[1] == []
    assert run([order(order_id="big", total=400.0, at=T0)], state=state)[1] == []


def test_replaying_the_same_history_gives_the_same_trigger_ids() -> None:
    history = [order(total=100.0, at=T0), order(total=200.0, at=T0 + days(1)), order(total=400.0, at=T0 + days(2))]
    _, first = run_reference(history, policy(), T0 + days(3))
    _, again = run_reference(history, policy(), T0 + days(60))
    ids = [t.trigger_id for t in first if t.type == NAME]
    assert ids == [t.trigger_id for t in again if t.type == NAME] and len(ids) == 2


def test_the_thresholds_and_coupons_come_from_the_policy() -> None:
    custom = policy(
        tiers={"vip_single_order": 100, "super_vip_single_order": 300, "vip_coupon": 5}, tier_upgrade={"valid_days": 14}
    )
    _, triggers = run([order(total=120.0, at=T0)], using=custom)
    [trigger] = [t for t in triggers if t.type == NAME]
    assert (trigger.facts["tier"], trigger.offer.value, trigger.offer.valid_days) == ("vip", 5, 14)


def test_a_disabled_tier_upgrade_sends_nothing() -> None:
    _, triggers = run([order(total=400.0, at=T0)], using=policy(tier_upgrade={"enabled": False}))
    assert upgrades(triggers) == []
