"""The business numbers a marketer may change, validated from a YAML or TOML file.

Defaults are the figures of shared/domain.md; a file only names what it changes.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.triggers import Offer

__all__ = [
    "AffinityPolicy", "BrowseFollowupPolicy", "BrowsingPolicy", "LifecyclePolicy", "LifecycleWakeupPolicy", "LimitsPolicy", "Policy", "PolicyError",
    "PriceSensitivityPolicy", "RepurchasePolicy", "RfmPolicy", "SegmentPolicy", "ShopPolicy", "TierPolicy", "load_policy",
]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LifecyclePolicy(_Section):
    """Stages by days since the last order (new: days since the first order)."""

    new_within_days: int = Field(default=3, ge=0)
    silent_after_days: int = Field(default=90, ge=1)
    sleeping_after_days: int = Field(default=180, ge=1)
    at_risk_after_days: int = Field(default=270, ge=1)
    lost_after_days: int = Field(default=360, ge=1)

    @model_validator(mode="after")
    def _increasing(self) -> LifecyclePolicy:
        days = [self.silent_after_days, self.sleeping_after_days, self.at_risk_after_days, self.lost_after_days]
        if days != sorted(set(days)):
            raise ValueError("silent < sleeping < at_risk < lost days must strictly increase")
        return self


class TierPolicy(_Section):
    """Membership by the largest single order."""

    vip_single_order: float = Field(default=188, gt=0)
    super_vip_single_order: float = Field(default=388, gt=0)
    vip_coupon: float = Field(default=20, ge=0)
    super_vip_coupon: float = Field(default=50, ge=0)
    downgrade_on_refund: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> TierPolicy:
        if self.super_vip_single_order <= self.vip_single_order:
            raise ValueError("super_vip_single_order must be above vip_single_order")
        return self


def _strictly_increasing(values: tuple[float, ...], name: str) -> None:
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"{name} must strictly increase")


class RfmPolicy(_Section):
    """RFM scores 1-5 from four cut points each."""

    recency_days: tuple[int, int, int, int] = Field(
        default=(30, 60, 90, 180), description="Score 5 within the first, 4 within the second, ... 1 beyond the last.")
    frequency_orders: tuple[int, int, int, int] = Field(
        default=(2, 3, 5, 8), description="Score 2 from the first order count, ... 5 from the last; else 1.")
    monetary_spent: tuple[float, float, float, float] = Field(
        default=(200, 500, 1000, 2000), description="Score 2 from the first net spend (yuan), ... 5 from the last.")

    @model_validator(mode="after")
    def _increasing(self) -> RfmPolicy:
        for name in ("recency_days", "frequency_orders", "monetary_spent"):
            _strictly_increasing(getattr(self, name), name)
        return self


class SegmentPolicy(_Section):
    """Named segments from the RFM scores and order figures."""

    high_value_min_score: int = Field(default=4, ge=1, le=5, description="R, F and M all at least this.")
    potential_min_recency: int = Field(default=4, ge=1, le=5, description="Recent buyers ...")
    potential_max_frequency: int = Field(default=2, ge=1, le=5, description="... who have not bought often yet.")
    slipping_min_frequency: int = Field(default=3, ge=1, le=5, description="Frequent buyers ...")
    slipping_max_recency: int = Field(default=2, ge=1, le=5, description="... who have not bought lately.")
    low_value_max_aov: float = Field(default=30, ge=0, description="Not worth chasing: average order at most this ...")
    low_value_max_orders_per_year: int = Field(default=1, ge=0, description="... and at most this many orders a year.")


class ShopPolicy(_Section):
    """Shop-wide figures that customer bands are relative to."""

    average_order_value: float = Field(default=150, gt=0, description="The shop's average order value (yuan).")
    high_power_factor: float = Field(default=1.5, gt=1, description="High purchasing power: AOV >= factor x shop AOV.")
    low_power_factor: float = Field(default=0.75, gt=0, lt=1, description="Low: AOV < factor x shop AOV.")


class PriceSensitivityPolicy(_Section):
    high_min_share: float = Field(default=0.6, ge=0, le=1, description="High: this share of orders on discount ...")
    high_min_depth: float = Field(default=0.3, ge=0, le=1, description="... or this average discount depth.")
    low_max_share: float = Field(default=0.2, ge=0, le=1, description="Low: at most this share on discount ...")
    low_max_depth: float = Field(default=0.1, ge=0, le=1, description="... and a shallower average depth.")


class AffinityPolicy(_Section):
    """Category and brand affinity: purchases (weight 1) and views, decayed by age."""

    half_life_days: float = Field(default=90, gt=0)
    view_weight: float = Field(default=0.2, ge=0)
    top: int = Field(default=5, ge=1, le=50, description="How many categories and brands the profile lists.")


class RepurchasePolicy(_Section):
    """A customer's own rhythm per category."""

    min_purchases: int = Field(default=2, ge=2, description="Purchases in a category before a cycle is learned.")
    min_interval_days: float = Field(default=1, gt=0, description="Purchases closer than this count as one.")


class BrowsingPolicy(_Section):
    session_gap_minutes: float = Field(default=30, gt=0, description="Views further apart start a new session.")


def _wakeup_offers() -> dict[str, Offer]:
    return {
        "silent": Offer(kind="percent_off", level=1, value=20, valid_days=7,
                        description="an item you liked was upgraded: 20% off for old customers"),
        "sleeping": Offer(kind="coupon", level=2, value=10, valid_days=7,
                          description="limited-time voucher that deducts directly, no spend threshold"),
        "at_risk": Offer(kind="coupon", level=3, value=20, valid_days=7, description="stronger win-back voucher"),
        "lost": Offer(kind="coupon", level=4, value=30, valid_days=14, description="last-chance win-back voucher"),
    }


class LifecycleWakeupPolicy(_Section):
    """lifecycle_wakeup: on entering a dormant stage, an offer that grows with dormancy."""

    enabled: bool = True
    offers: dict[Literal["silent", "sleeping", "at_risk", "lost"], Offer] = Field(
        default_factory=_wakeup_offers, description="Stages left out get no wake-up.")


class BrowseFollowupPolicy(_Section):
    """A same-category offer some hours after a view that led to no purchase."""

    enabled: bool = True
    delay_hours: float = Field(default=2, gt=0, le=24 * 30)
    max_products: int = Field(default=5, ge=1, le=50)
    offer_level: int = Field(default=1, ge=0, le=5)


class LimitsPolicy(_Section):
    """Bounds that keep one customer's state small."""

    remembered_event_ids: int = Field(default=256, ge=16)
    remembered_views: int = Field(default=50, ge=1)
    remembered_orders: int = Field(default=100, ge=1)
    remembered_favorites: int = Field(default=50, ge=1)


class Policy(_Section):
    version: str = Field(default="default", min_length=1, max_length=64, description="Name you give this policy.")
    lifecycle: LifecyclePolicy = LifecyclePolicy()
    tiers: TierPolicy = TierPolicy()
    rfm: RfmPolicy = RfmPolicy()
    segments: SegmentPolicy = SegmentPolicy()
    shop: ShopPolicy = ShopPolicy()
    price_sensitivity: PriceSensitivityPolicy = PriceSensitivityPolicy()
    affinity: AffinityPolicy = AffinityPolicy()
    repurchase: RepurchasePolicy = RepurchasePolicy()
    browsing: BrowsingPolicy = BrowsingPolicy()
    browse_followup: BrowseFollowupPolicy = BrowseFollowupPolicy()
    lifecycle_wakeup: LifecycleWakeupPolicy = LifecycleWakeupPolicy()
    limits: LimitsPolicy = LimitsPolicy()

    @cached_property
    def fingerprint(self) -> str:
        """``version+hash``: names the exact numbers a decision was made with."""
        digest = hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        return f"{self.version}+{digest[:8]}"


class PolicyError(ValueError):
    """The policy file cannot be used; the message says where and why."""


def load_policy(path: Path | None) -> Policy:
    """Read and validate a policy file; ``None`` gives the defaults."""
    if path is None:
        return Policy()
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise PolicyError(f"policy file {path}: cannot read it: {exc}") from exc
    try:
        return Policy.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"policy file {path}: {problems}") from exc
