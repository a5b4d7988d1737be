"""``derive_profile(state, now, policy)``: the read model served to other services and to triggers.

With the shop's fitted repurchase model in the policy (``Policy.model``, set by
``streams.domain.customer.comeback.effective_policy``), the profile also carries the live scores
(probability of ordering within the horizon, expected orders and spend, P(alive)); the same policy holds,
as its ``comeback`` section says, the RFM cut points and purchasing power relative to the shop's own
distribution. Without one, those fields are null and the policy's absolute cut points apply.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from schemas.events import Channel
from schemas.profile import CustomerProfile
from schemas.triggers import CustomerSnapshot
from streams.domain.customer import comeback, habits, segments
from streams.domain.customer.state import CustomerState
from streams.domain.policy import Policy

__all__ = ["derive_profile", "score_profile", "snapshot"]


def derive_profile(state: CustomerState, now: datetime, policy: Policy) -> CustomerProfile:
    """The profile at ``now``, with the live scores when the policy carries the shop's model."""
    profile = _derive(state, now, policy)
    return profile if policy.model is None else score_profile(profile, state, now, policy)


def score_profile(profile: CustomerProfile, state: CustomerState, now: datetime, policy: Policy) -> CustomerProfile:
    """``profile`` with the customer's live repurchase scores at ``now`` by the policy's model (unchanged
    before a first order, or without a model)."""
    scores = None if policy.model is None else comeback.score(state, policy.model, now, policy)
    if scores is None:
        return profile
    return profile.model_copy(
        update={
            "comeback_probability": scores.probability,
            "comeback_expected_orders": scores.expected_orders,
            "comeback_expected_spend": scores.expected_spend,
            "comeback_p_alive": scores.p_alive,
            "comeback_horizon_days": scores.horizon_days,
            "comeback_band": scores.probability_band,
            "value_band": scores.value_band,
            "comeback_model": scores.model,
        }
    )


def snapshot(state: CustomerState, now: datetime, policy: Policy) -> CustomerSnapshot:
    """The segment fields a trigger carries for personalisation (the profile's, without deriving the rest)."""
    return CustomerSnapshot(
        lifecycle=segments.lifecycle(state, now, policy.lifecycle),
        tier=segments.tier(state, policy.tiers),
        order_count=state.order_count,
        total_spent=max(state.total_spent, 0.0),
        average_order_value=max(segments.average_order_value(state), 0.0),
        segments=segments.named_segments(state, now, policy),
    )


def _derive(state: CustomerState, now: datetime, policy: Policy) -> CustomerProfile:
    recency, frequency, monetary = segments.rfm_scores(state, now, policy)
    share, depth = segments.discount_profile(state)
    categories, brands = habits.affinities(state, now, policy.affinity)
    last = state.last_order_at
    birthday = state.fact("birthday")
    return CustomerProfile(
        **dict(snapshot(state, now, policy)),
        customer_id=state.customer_id,
        revision=state.revision,
        as_of=now,
        recency_score=recency,
        frequency_score=frequency,
        monetary_score=monetary,
        max_order_value=state.max_order_value,
        first_order_at=state.first_order_at,
        last_order_at=last,
        days_since_last_order=None if last is None else (now - last) // timedelta(days=1),
        purchasing_power=segments.purchasing_power(state, policy.shop),
        price_sensitivity=segments.price_sensitivity(state, policy.price_sensitivity),
        discount_share=share,
        average_discount_depth=depth,
        top_categories=categories,
        top_brands=brands,
        next_purchases=habits.next_purchases(state, policy.repurchase),
        favorites_unbought=habits.favorites_unbought(state),
        browse_streak=habits.browse_streak(state, policy.browsing),
        follows_shop=state.fact("follows_shop"),
        consents={
            c: bool(state.fact(f"consent.{c.value}")) for c in Channel if state.fact(f"consent.{c.value}") is not None
        },
        timezone=state.fact("timezone"),
        birthday=date.fromisoformat(birthday) if isinstance(birthday, str) else None,
    )
